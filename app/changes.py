"""Change events: announced on Redis through `broadcaster` after they reach the graph.

Publishing is best effort: a subscriber that missed an event (Redis down, connection lost)
catches up from the outbox with `changes(since:)`, so a failed publish loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson

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
