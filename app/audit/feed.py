"""The audit log as a live feed, for `auditEvents` subscribers in this process.

Every replica writes its audit rows to the same append-only table, so each process tails it
(one indexed query per interval, only while someone listens) instead of publishing a second
stream: nothing written by any replica is missed, and a feed that falls behind simply reads
further. Subscribers get bounded queues, like live changes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from app.core.db import SessionFactory
from app.core.errors import Unavailable
from app.core.models import AuditLog
from app.journal.audit import audit_entries_after, last_audit_id
from app.live.channel import SlowConsumer

log = logging.getLogger(__name__)


class AuditSubscription:
    def __init__(self, queue_size: int) -> None:
        self.queue: asyncio.Queue[AuditLog | Exception] = asyncio.Queue(maxsize=queue_size)

    def offer(self, entry: AuditLog) -> bool:
        try:
            self.queue.put_nowait(entry)
        except asyncio.QueueFull:
            with suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            self.queue.put_nowait(
                SlowConsumer("Audit subscriber fell behind; resubscribe and read auditLog.")
            )
            return False
        return True

    async def entries(self) -> AsyncIterator[AuditLog]:
        while True:
            item = await self.queue.get()
            if isinstance(item, Exception):
                raise item
            yield item


class AuditFeed:
    def __init__(self, sessions: SessionFactory, *, interval: float, queue_size: int) -> None:
        self._sessions = sessions
        self._interval = interval
        self._queue_size = queue_size
        self._subscriptions: set[AuditSubscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._last_id = 0

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AuditSubscription]:
        if self._task is None or self._task.done():
            try:
                self._last_id = await last_audit_id(self._sessions)
            except Exception as exc:
                raise Unavailable("The audit feed is unavailable (Postgres).") from exc
            self._task = asyncio.create_task(self._tail(), name="nexus-audit-feed")
        subscription = AuditSubscription(self._queue_size)
        self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _tail(self) -> None:
        while self._subscriptions:
            try:
                entries = await audit_entries_after(self._sessions, after_id=self._last_id)
            except Exception as exc:
                log.warning("could not read the audit log", extra={"error": str(exc)[:300]})
                entries = []
            for entry in entries:
                self._last_id = entry.id
                for subscription in list(self._subscriptions):
                    if not subscription.offer(entry):
                        self._subscriptions.discard(subscription)
            if not entries:
                await asyncio.sleep(self._interval)
