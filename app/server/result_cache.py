"""Results of read queries shared by every caller who would get the same answer.

A query's result is a function of what the databases hold, of who asks, and of the request.
The cache key covers each of them:

- **The data.** Postgres' current snapshot (`pg_current_snapshot()`), read by a statement
  that starts after the request arrived. Every committed write changes it: a writing
  transaction's id is either in the snapshot's in-progress list or at or past its `xmax`.
  That includes the projector marking events projected once they are in Neo4j, so the
  graph's state is covered as well, and `nexus graph rebuild`, which ends with a write of
  its own (`advance`). The server's start time is part of it too, since a new cluster
  starts counting transaction ids again.
- **Who asks.** The organisation, the role and the content of the active policy rules
  the answer was computed under. The user is included when one of those rules names users
  or has the OWNER condition: only then can two callers of one role be told different
  things.
- **The request.** The document, the operation name and the variables.

The data version is stored with the answer, the other two make the key. An answer is
served only to a request that read the same version, so one that began before the next
write committed; an answer computed while a write commits carries the older version, which
no later request reads. A newer version replaces the answer kept instead of adding one:
Redis holds at most one answer per audience and request, however often the data changes.

Only queries whose every root field reads the shared catalogue are cached (the fields declare
it: `resolvers.caching`): never a mutation, `me`, `changes`, or the stewards' policy and
audit fields. Results with errors are not kept. Answers live in Redis, shared by every
worker and replica, for `NEXUS_RESULT_CACHE_TTL` seconds (0 turns the cache off).
Requests arriving while the same answer for the same version is being computed in their
process wait for it instead of computing it again: after a deploy, a thousand users asking
for the same page cost one execution per process, not a thousand. A request sent with
`Cache-Control: no-cache` is answered fresh (and its answer kept); `no-store` skips the
cache entirely. When Redis or Postgres cannot be read, requests run as they would without
it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)
from prometheus_client import Counter
from strawberry.types import ExecutionResult

from app.access.control import AccessControl
from app.access.rules import Rule
from app.core.settings import Settings
from app.projection.version import DataVersion

log = logging.getLogger("nexus.result_cache")

KEY_PREFIX = "nexus:result:"
# Longer documents are run without the cache (and meet the token limit there); with at most
# 256 documents remembered, what a client can make the process hold stays small.
MAX_QUERY_LENGTH = 16 * 1024
RETRY_AFTER_REDIS = 2.0

REQUESTS = Counter(
    "nexus_result_cache_requests",
    "Read queries by how the result cache served them: hit, shared (waited for an identical "
    "request's answer), miss (run, and kept when it had no errors), bypass (not cacheable, or "
    "asked not to be), unavailable (Redis or Postgres could not be read)",
    ["result"],
)


@lru_cache(maxsize=256)
def is_cacheable(
    query: str, operation_name: str | None, max_tokens: int, cacheable: frozenset[str]
) -> bool:
    """Whether the operation is a query whose root fields are all `cacheable` (the fields
    that declare themselves so: `resolvers.caching`).
    Documents that do not parse within the token limit are not: running them reports why.
    Over-long documents are not even parsed here (the limit holds however long they are)."""
    if len(query) > MAX_QUERY_LENGTH:
        return False
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return False
    operation = _operation(document, operation_name)
    if operation is None or operation.operation != OperationType.QUERY:
        return False
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    return all(
        name in cacheable for name in _root_fields(operation.selection_set, fragments, set())
    )


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


def _root_fields(
    selections: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: set[str],
) -> Iterator[str]:
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            yield selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:
                yield ""  # unknown or cyclic: validation refuses it, so never cached
                continue
            yield from _root_fields(fragment.selection_set, fragments, seen | {name})


@dataclass(frozen=True, slots=True)
class Directives:
    """What the request's `Cache-Control` header asks of the cache."""

    lookup: bool = True
    store: bool = True

    @classmethod
    def of(cls, header: str | None) -> Directives:
        if not header:
            return cls()
        words = {part.strip().lower() for part in header.split(",")}
        if "no-store" in words:
            return cls(lookup=False, store=False)
        return cls(lookup="no-cache" not in words)


CODE_PACKAGES = ("app", "resolvers", "graph")
# Settings that change what a query answers, or whether it is refused.
ANSWER_SETTINGS = (
    "max_page_size",
    "default_page_size",
    "max_query_depth",
    "max_aliases",
    "max_tokens",
)


def build_fingerprint(schema_sdl: str, settings: Settings) -> str:
    """What the answers of this process depend on besides the data and the caller: its
    code, schema and limits. Part of every key, so that replicas running other code (during
    a rolling deploy) or other limits never serve each other's answers; a hit skips parsing
    and validation, which is sound only for the code and limits that produced it."""
    digest = hashlib.sha256(schema_sdl.encode())
    for name in ANSWER_SETTINGS:
        digest.update(f"{name}={getattr(settings, name)}".encode())
    root = Path(__file__).resolve().parents[2]
    for package in CODE_PACKAGES:
        for source in sorted((root / package).rglob("*.py")):
            digest.update(source.relative_to(root).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:32]


def audience(access: AccessControl) -> str:
    """Who an answer is for, as far as the access rules can tell callers apart."""
    scope = access.scope
    personal = any(rule.user_ids or rule.condition for rule in access.rules)
    user = str(scope.policy_user_id) if personal else "*"
    return f"{scope.organization_id}|{scope.role.value}|{user}|{_fingerprint(access.rules)}"


_FINGERPRINTS: dict[int, tuple[Sequence[Rule], str]] = {}


def _fingerprint(rules: Sequence[Rule]) -> str:
    """A digest of the rules' content. A process shares one tuple of rules per organisation
    between requests (`app.policies.cache`), so each tuple is digested once."""
    known = _FINGERPRINTS.get(id(rules))
    if known is not None and known[0] is rules:
        return known[1]
    canonical = sorted(repr(_canonical(rule)) for rule in rules)
    digest = hashlib.sha256("\n".join(canonical).encode()).hexdigest()[:32]
    if len(_FINGERPRINTS) >= 256:
        _FINGERPRINTS.clear()
    # The tuple is held with its digest, so its id cannot be reused while the entry lives.
    _FINGERPRINTS[id(rules)] = (rules, digest)
    return digest


def _canonical(rule: Rule) -> tuple[Any, ...]:
    return tuple(
        tuple(sorted(map(str, value))) if isinstance(value, frozenset) else value
        for value in (getattr(rule, f.name) for f in dataclasses.fields(rule))
    )


def cache_key(
    build: str,
    who: str,
    query: str,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> str:
    """Where a request's answer for this audience is kept. The data version is stored with
    the answer rather than in the key: a new version replaces the answer instead of adding
    one, so Redis holds at most one answer per audience and request however often the data
    changes."""
    digest = hashlib.sha256()
    for part in (build, who, operation_name or "", query):
        digest.update(part.encode())
        digest.update(b"\0")
    # The standard library's encoder, as the request body was decoded with: NaN, Infinity
    # and integers of any size stay distinct (orjson writes NaN as null), and lone
    # surrogates are escaped rather than refused.
    digest.update(json.dumps(variables or {}, sort_keys=True, default=str).encode())
    return KEY_PREFIX + digest.hexdigest()


class ResultCache:
    def __init__(
        self, redis: aioredis.Redis, version: DataVersion, *, ttl: float, max_bytes: int
    ) -> None:
        self.redis = redis
        self.version = version
        self._ttl = ttl
        self._max_bytes = max_bytes
        self._running: dict[tuple[str, str], asyncio.Future[ExecutionResult | None]] = {}
        self._redis_failed_at = float("-inf")
        self._writes: set[asyncio.Task[None]] = set()

    @property
    def enabled(self) -> bool:
        return self._ttl > 0

    async def find(self, key: str, *, look: bool) -> tuple[str | None, Any | None]:
        """The data version and, when `look`, the data of the answer kept for it (None when
        there is none, or the one kept is of another version). The two reads run at the
        same time. The version is None when the cache cannot be used: Postgres could not
        be read, or Redis failed within the last few seconds (then neither is asked, so
        that a Redis that does not answer delays one request, not every one)."""
        if time.monotonic() - self._redis_failed_at < RETRY_AFTER_REDIS:
            return None, None
        if not look:
            return await self.version.read(), None
        try:
            version, payload = await asyncio.gather(self.version.read(), self.redis.get(key))
        except Exception as exc:
            self._redis_failed_at = time.monotonic()
            log.warning("redis unreadable, result cache skipped for a while: %s", exc)
            return None, None
        if version is None or payload is None:
            return version, None
        if isinstance(payload, str):  # only with decode_responses, which this client is not
            payload = payload.encode()
        kept, _, data = payload.partition(b"\n")
        return version, orjson.loads(data) if kept == version.encode() else None

    def running(self, key: str, version: str) -> asyncio.Future[ExecutionResult | None] | None:
        """The answer another request of this process is computing, or has just computed and
        is still writing to Redis, for this key and data version. It resolves to that
        request's result (errors included: the same request for the same data and caller
        gets the same errors), or to None if that request was cancelled."""
        return self._running.get((key, version))

    def compute(self, key: str, version: str) -> asyncio.Future[ExecutionResult | None]:
        """Announce that this request computes the answer (`computed` must follow)."""
        future: asyncio.Future[ExecutionResult | None] = asyncio.get_running_loop().create_future()
        self._running.setdefault((key, version), future)
        return future

    def computed(
        self,
        key: str,
        version: str,
        future: asyncio.Future[ExecutionResult | None],
        result: ExecutionResult | None,
        *,
        store: bool,
    ) -> None:
        """Hand the result to the requests waiting for it and, when it has no errors and
        `store`, keep its data in the background. Until that write is done, requests for
        the same answer still find it here rather than computing it again."""
        if not future.done():
            future.set_result(result)
        if self._running.get((key, version)) is not future:
            return
        if not store or result is None or result.errors or result.data is None:
            del self._running[(key, version)]
            return
        payload = version.encode() + b"\n" + orjson.dumps(result.data, default=str)
        task = asyncio.ensure_future(self._write(key, payload))
        self._writes.add(task)

        def written(done: asyncio.Task[None]) -> None:
            self._writes.discard(done)
            if self._running.get((key, version)) is future:
                del self._running[(key, version)]

        task.add_done_callback(written)

    async def _write(self, key: str, payload: bytes) -> None:
        if len(payload) > self._max_bytes:
            return
        try:
            await self.redis.set(key, payload, px=int(self._ttl * 1000))
        except Exception as exc:
            log.debug("answer not kept: %s", exc)

    async def close(self) -> None:
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        await self.version.close()
