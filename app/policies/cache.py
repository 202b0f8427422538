"""The active policy rules of each organisation, shared by every request of a process.

Loading the rules cost every request a Postgres round trip of its own before any field was
resolved. Here a process keeps one copy per organisation, and a request uses it only while
the organisation's *policy stamp* in Redis is the one the copy was loaded under:

- every policy mutation sets a new random stamp once its transaction has committed
  (`changed`), so the next request on any replica loads the rules again;
- a request reads the stamp in the same Redis round trip as its token's revocation check
  (`app.identity.authn`), so checking costs nothing extra;
- a stamp is random, not a counter, so a Redis that restarts empty cannot bring an old
  stamp back.

Safety nets, for changes that could not set the stamp (Redis away at that moment) or that
did not go through the mutations (`nexus seed` in another process): a policy event on the
change stream drops the process's copy (`observe`), no copy is used for longer than
`max_age` seconds (`NEXUS_POLICY_CACHE_MAX_AGE`), and while Redis cannot be read nothing is
cached at all: each request loads the rules itself, as before.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from prometheus_client import Counter

from app.access.control import AccessControl
from app.access.rules import Rule
from app.changes.records import Change
from app.core.db import SessionFactory
from app.core.scope import Scope
from app.policies import records as policies

log = logging.getLogger("nexus.policies")

LOOKUPS = Counter(
    "nexus_policy_cache_lookups",
    "Active-policy lookups by requests and subscription events: hit (shared copy), miss "
    "(loaded), bypass (stamp unknown or caching off, loaded without caching)",
    ["result"],
)


def stamp_key(organization_id: uuid.UUID) -> str:
    return f"nexus:policy-stamp:{organization_id}"


def stamp_of(value: Any) -> str:
    """A stamp as read from Redis; an organisation whose policies never changed since Redis
    started has the empty stamp."""
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True, slots=True)
class _Copy:
    stamp: str
    loaded_at: float
    rules: asyncio.Future[tuple[Rule, ...]]


class PolicyCache:
    def __init__(self, sessions: SessionFactory, redis: aioredis.Redis, *, max_age: float) -> None:
        self._sessions = sessions
        self._redis = redis
        self._max_age = max_age
        self._copies: dict[uuid.UUID, _Copy] = {}

    async def stamp(self, organization_id: uuid.UUID) -> str | None:
        """The organisation's stamp, for callers whose authentication did not read it (API
        keys); None when Redis cannot be read."""
        try:
            value = await self._redis.get(stamp_key(organization_id))
        except Exception:
            self.forget_all()
            return None
        return stamp_of(value)

    async def access_control(self, scope: Scope, stamp: str | None) -> AccessControl:
        """The caller's policy decisions under the organisation's rules as of `stamp`."""
        return AccessControl(scope=scope, rules=await self.rules(scope.organization_id, stamp))

    async def rules(self, organization_id: uuid.UUID, stamp: str | None) -> Sequence[Rule]:
        """The organisation's active rules as of `stamp` (None: unknown, load them fresh)."""
        if stamp is None or self._max_age == 0:
            LOOKUPS.labels("bypass").inc()
            return await self._load(organization_id)
        now = time.monotonic()
        copy = self._copies.get(organization_id)
        if (
            copy is None
            or copy.stamp != stamp
            or now - copy.loaded_at > self._max_age
            or failed(copy.rules)
        ):
            LOOKUPS.labels("miss").inc()
            copy = _Copy(stamp, now, asyncio.ensure_future(self._load(organization_id)))
            self._copies[organization_id] = copy
        else:
            LOOKUPS.labels("hit").inc()
        # Shielded: one request giving up must not cancel the load others are waiting for.
        return await asyncio.shield(copy.rules)

    async def changed(self, organization_id: uuid.UUID) -> None:
        """A policy of the organisation was written (and committed): every replica's next
        request loads the rules again."""
        self._copies.pop(organization_id, None)
        try:
            await self._redis.set(stamp_key(organization_id), uuid.uuid4().hex)
        except Exception:
            log.warning(
                "redis unreachable: other replicas pick up this policy change from the change "
                "stream or within %.0f s",
                self._max_age,
            )

    def observe(self, change: Change) -> None:
        """Called for every change the process receives: a policy change drops the copy."""
        if change.aggregate_type == "policy":
            self._copies.pop(change.organization_id, None)

    def forget_all(self) -> None:
        """Redis could not be read: a stamp seen after it returns proves nothing about what
        changed meanwhile."""
        self._copies.clear()

    async def _load(self, organization_id: uuid.UUID) -> tuple[Rule, ...]:
        return tuple(await policies.active_rules(self._sessions, organization_id=organization_id))


def failed(future: asyncio.Future[Any]) -> bool:
    return future.done() and (future.cancelled() or future.exception() is not None)
