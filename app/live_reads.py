"""What every subscriber of a process needs for one change event, loaded once per process.

Without it, each subscriber would reload its organisation's policies and the changed records
for every event: a thousand subscribers, a thousand queries per event. Here the active policy
rules of an organisation are cached until a policy event passes through the change stream
(or, as a safety net, for a few seconds), and an event's records are read once; each
subscriber then decides what it may see in memory.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from app import entities as entity_records
from app import policies
from app.access import Rule
from app.changes import Change
from app.db import SessionFactory
from app.models import Entity, Relationship
from app.policy_cache import failed

RULES_TTL = 5.0
EVENTS_KEPT = 256


@dataclass(frozen=True, slots=True)
class EventRecords:
    """The entities and relationship an event is about, as stored (not yet access-checked)."""

    entities: dict[uuid.UUID, Entity | None] = field(default_factory=dict)
    relationships: dict[uuid.UUID, Relationship | None] = field(default_factory=dict)


class LiveReads:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions
        self._rules: dict[uuid.UUID, tuple[float, asyncio.Future[list[Rule]]]] = {}
        self._events: OrderedDict[int, asyncio.Future[EventRecords]] = OrderedDict()

    def observe(self, change: Change) -> None:
        """Called for every change the process receives: a policy change drops the rules."""
        if change.aggregate_type == "policy":
            self._rules.pop(change.organization_id, None)

    async def rules(self, organization_id: uuid.UUID) -> list[Rule]:
        cached = self._rules.get(organization_id)
        if cached is None or time.monotonic() - cached[0] > RULES_TTL or failed(cached[1]):
            future = asyncio.ensure_future(
                policies.active_rules(self._sessions, organization_id=organization_id)
            )
            cached = (time.monotonic(), future)
            self._rules[organization_id] = cached
        return await asyncio.shield(cached[1])

    async def records(self, change: Change) -> EventRecords:
        future = self._events.get(change.seq)
        if future is None or failed(future):
            future = asyncio.ensure_future(self._load(change))
            self._events[change.seq] = future
            while len(self._events) > EVENTS_KEPT:
                self._events.popitem(last=False)
        return await asyncio.shield(future)

    async def _load(self, change: Change) -> EventRecords:
        entity_ids: set[uuid.UUID] = set()
        relationship_ids: list[uuid.UUID] = []
        if change.aggregate_type == "entity":
            entity_ids.add(change.aggregate_id)
        elif change.aggregate_type == "relationship":
            relationship_ids.append(change.aggregate_id)
            entity_ids.update(change.endpoints)
        elif change.aggregate_type == "description":
            entity_ids.update(change.endpoints)
        if not entity_ids and not relationship_ids:
            return EventRecords()
        org = change.organization_id
        async with self._sessions() as session:
            ordered = sorted(entity_ids)
            found = await entity_records.entities_by_ids(session, organization_id=org, ids=ordered)
            rels = await entity_records.relationships_by_ids(
                session, organization_id=org, ids=relationship_ids
            )
        return EventRecords(
            entities=dict(zip(ordered, found, strict=True)),
            relationships=dict(zip(relationship_ids, rels, strict=True)),
        )
