"""What every subscriber of a process needs for one change event, loaded once per process.

Without it, each subscriber would reload its organisation's policies and the changed records
for every event: a thousand subscribers, a thousand queries per event. Here an event's records
and its organisation's policy stamp are read once per process; the subscribers then take the
active rules from the process's `PolicyCache` under that stamp, exactly as requests do, and
each decides what it may see in memory.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from app.changes.records import Change
from app.core.db import SessionFactory
from app.core.models import Dataset, Entity, Job, Relationship
from app.datasets import jobs as job_records
from app.datasets import records as dataset_records
from app.entities import records as entity_records
from app.policies.cache import PolicyCache, failed

EVENTS_KEPT = 256


@dataclass(frozen=True, slots=True)
class EventRecords:
    """The entities, relationship, dataset and job an event is about, as stored (not yet
    access-checked), and the policy stamp of its organisation when the process received it
    (None: Redis could not be read, so each subscriber loads the rules itself)."""

    policy_stamp: str | None = None
    entities: dict[uuid.UUID, Entity | None] = field(default_factory=dict)
    relationships: dict[uuid.UUID, Relationship | None] = field(default_factory=dict)
    jobs: dict[uuid.UUID, Job | None] = field(default_factory=dict)
    datasets: dict[uuid.UUID, Dataset | None] = field(default_factory=dict)


class LiveReads:
    def __init__(
        self, sessions: SessionFactory, policy_cache: PolicyCache, engine: AsyncEngine
    ) -> None:
        self._sessions = sessions
        self._engine = engine
        self._policy_cache = policy_cache
        self._events: OrderedDict[int, asyncio.Future[EventRecords]] = OrderedDict()

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
        elif change.is_description:
            entity_ids.update(change.endpoints)
        # A job's change, and a run's (shown with its job)
        job_ids: list[uuid.UUID] = []
        if change.aggregate_type == "job":
            job_ids.append(change.aggregate_id)
        elif change.aggregate_type == "run":
            job_ids.extend(change.endpoints)
        # A dataset's change, and a description's (its endpoints: the entity and the dataset)
        dataset_ids: list[uuid.UUID] = []
        if change.is_description:
            dataset_ids.extend(change.endpoints)
        elif change.aggregate_type == "dataset":
            dataset_ids.append(change.aggregate_id)
        org = change.organization_id
        stamp = await self._policy_cache.stamp(org)
        datasets: dict[uuid.UUID, Dataset | None] = {}
        if dataset_ids:
            found_datasets = await dataset_records.dataset_records(
                self._engine, organization_id=org, ids=dataset_ids
            )
            datasets = dict(zip(dataset_ids, found_datasets, strict=True))
        if not entity_ids and not relationship_ids and not job_ids:
            return EventRecords(policy_stamp=stamp, datasets=datasets)
        async with self._sessions() as session:
            ordered = sorted(entity_ids)
            found = await entity_records.entities_by_ids(session, organization_id=org, ids=ordered)
            rels = await entity_records.relationships_by_ids(
                session, organization_id=org, ids=relationship_ids
            )
            jobs = (
                await job_records.jobs_by_ids(session, organization_id=org, ids=job_ids)
                if job_ids
                else []
            )
        return EventRecords(
            policy_stamp=stamp,
            entities=dict(zip(ordered, found, strict=True)),
            relationships=dict(zip(relationship_ids, rels, strict=True)),
            jobs=dict(zip(job_ids, jobs, strict=True)),
            datasets=datasets,
        )
