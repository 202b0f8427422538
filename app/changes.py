"""Change events: announced on Redis through `broadcaster` after they reach the graph.

Publishing is best effort: a subscriber that missed an event (Redis down, connection lost)
catches up from the outbox with `changes(since:)`, so a failed publish loses nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select

from app.db import SessionFactory
from app.errors import Unavailable
from app.models import OutboxEvent
from app.outbox import PendingEvent

log = logging.getLogger(__name__)

CHANGES_CHANNEL = "nexus.changes"


def change_message(event: PendingEvent) -> str:
    return orjson.dumps(
        {
            "seq": event.id,
            "org": str(event.organization_id),
            "type": event.event_type,
            "aggregate": event.aggregate_type,
            "id": str(event.aggregate_id),
            "version": event.version,
        }
    ).decode()


@dataclass(frozen=True, slots=True)
class Change:
    seq: int
    organization_id: uuid.UUID
    event_type: str
    aggregate_type: str
    aggregate_id: uuid.UUID
    version: int

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
        )


async def changes_since(
    sessions: SessionFactory, *, organization_id: uuid.UUID, since: int, first: int
) -> list[Change]:
    """Committed changes after `since`, oldest first: what a reconnecting client missed."""
    query = (
        select(
            OutboxEvent.id,
            OutboxEvent.organization_id,
            OutboxEvent.event_type,
            OutboxEvent.aggregate_type,
            OutboxEvent.aggregate_id,
            OutboxEvent.version,
        )
        .where(OutboxEvent.organization_id == organization_id, OutboxEvent.id > since)
        .order_by(OutboxEvent.id)
        .limit(first)
    )
    async with sessions() as session:
        return [Change(*row) for row in await session.execute(query)]


class ChangePublisher:
    def __init__(self, broadcast: Any) -> None:
        self._broadcast = broadcast
        self.connected = False

    async def connect(self) -> None:
        try:
            await self._broadcast.connect()
            self.connected = True
        except Exception as exc:
            log.warning("redis is unavailable; live updates are paused", extra={"error": str(exc)})

    async def disconnect(self) -> None:
        if self.connected:
            try:
                await self._broadcast.disconnect()
            except Exception:
                log.warning("error while disconnecting from redis", exc_info=True)
            self.connected = False

    async def publish(self, events: Sequence[PendingEvent]) -> None:
        if not self.connected:
            await self.connect()
            if not self.connected:
                return
        try:
            for event in events:
                await self._broadcast.publish(CHANGES_CHANNEL, change_message(event))
        except Exception as exc:
            log.warning(
                "could not publish change events; subscribers will catch up",
                extra={"error": str(exc), "first_seq": events[0].id if events else None},
            )

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[Change]]:
        """Live changes from every replica, as they are announced."""
        if not self.connected:
            await self.connect()
            if not self.connected:
                raise Unavailable("Live updates are unavailable (Redis); retry shortly.")
        async with self._broadcast.subscribe(CHANGES_CHANNEL) as subscriber:

            async def stream() -> AsyncIterator[Change]:
                async for event in subscriber:
                    if event is None:
                        return
                    yield Change.from_message(event.message)

            yield stream()
