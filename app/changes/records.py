"""Change events: what a subscriber or a catching-up client learns about each graph change.

The projector announces each event on Redis after it reaches the graph (`app.live.channel`); the
outbox keeps every event, so a client that missed some asks `changes(since:)`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select

from app.core.db import SessionFactory
from app.core.models import OutboxEvent
from app.journal.outbox import PendingEvent

CHANGES_CHANNEL = "nexus.changes"
_LINK_KEYS = ("source_id", "target_id", "entity_id", "dataset_id", "job_id")


@dataclass(frozen=True, slots=True)
class Change:
    seq: int
    organization_id: uuid.UUID
    event_type: str
    aggregate_type: str
    aggregate_id: uuid.UUID
    version: int
    committed_at: datetime
    kind: str | None = None
    namespace: str | None = None
    # The objects a link changes: a relationship's source and target, a description's entity
    # and dataset, a job's input and output datasets, a run's job.
    endpoints: tuple[uuid.UUID, ...] = ()

    def touches(self, entity_id: uuid.UUID) -> bool:
        return self.aggregate_id == entity_id or entity_id in self.endpoints

    @property
    def is_description(self) -> bool:
        """An entity describing a dataset, linked or unlinked: recorded on the dataset
        (`app.datasets.descriptions`), its endpoints are the entity and the dataset."""
        return self.event_type.startswith("description.")

    @classmethod
    def from_event(
        cls,
        *,
        seq: int,
        organization_id: uuid.UUID,
        event_type: str,
        aggregate_type: str,
        aggregate_id: uuid.UUID,
        version: int,
        committed_at: datetime,
        payload: dict[str, Any],
    ) -> Change:
        linked = [payload[key] for key in _LINK_KEYS if payload.get(key)]
        for key in ("inputs", "outputs"):
            linked += payload.get(key) or []
        endpoints = tuple(dict.fromkeys(uuid.UUID(str(value)) for value in linked))
        return cls(
            seq=seq,
            organization_id=organization_id,
            event_type=event_type,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            version=version,
            committed_at=committed_at,
            kind=payload.get("kind"),
            namespace=payload.get("namespace"),
            endpoints=endpoints,
        )

    @classmethod
    def from_pending(cls, event: PendingEvent) -> Change:
        return cls.from_event(
            seq=event.id,
            organization_id=event.organization_id,
            event_type=event.event_type,
            aggregate_type=event.aggregate_type,
            aggregate_id=event.aggregate_id,
            version=event.version,
            committed_at=event.created_at,
            payload=event.payload,
        )

    def to_message(self) -> str:
        return orjson.dumps(
            {
                "seq": self.seq,
                "org": str(self.organization_id),
                "type": self.event_type,
                "aggregate": self.aggregate_type,
                "id": str(self.aggregate_id),
                "version": self.version,
                "committedAt": self.committed_at.isoformat(),
                "kind": self.kind,
                "namespace": self.namespace,
                "endpoints": [str(e) for e in self.endpoints],
            }
        ).decode()

    @classmethod
    def from_message(cls, message: str) -> Change:
        raw = orjson.loads(message)
        return cls(
            seq=raw["seq"],
            organization_id=uuid.UUID(raw["org"]),
            event_type=raw["type"],
            aggregate_type=raw["aggregate"],
            aggregate_id=uuid.UUID(raw["id"]),
            version=raw["version"],
            committed_at=datetime.fromisoformat(raw["committedAt"]),
            kind=raw.get("kind"),
            namespace=raw.get("namespace"),
            endpoints=tuple(uuid.UUID(e) for e in raw.get("endpoints", ())),
        )


async def changes_since(
    sessions: SessionFactory, *, organization_id: uuid.UUID, since: int, first: int
) -> list[Change]:
    """Committed changes after `since`, oldest first: what a reconnecting client missed."""
    query = (
        select(
            OutboxEvent.id,
            OutboxEvent.event_type,
            OutboxEvent.aggregate_type,
            OutboxEvent.aggregate_id,
            OutboxEvent.version,
            OutboxEvent.created_at,
            OutboxEvent.payload,
        )
        .where(OutboxEvent.organization_id == organization_id, OutboxEvent.id > since)
        .order_by(OutboxEvent.id)
        .limit(first)
    )
    async with sessions() as session:
        rows = await session.execute(query)
        return [
            Change.from_event(
                seq=row.id,
                organization_id=organization_id,
                event_type=row.event_type,
                aggregate_type=row.aggregate_type,
                aggregate_id=row.aggregate_id,
                version=row.version,
                committed_at=row.created_at,
                payload=row.payload,
            )
            for row in rows
        ]
