"""Live change events: published on Redis through `broadcaster`, fanned out in each process.

Each process holds one Redis subscription and hands every change to its subscribers through
bounded queues. A subscriber that falls too far behind is cut off with `SlowConsumer` (never
unbounded memory); when Redis goes away every subscriber gets `Unavailable` at once instead of
a silent hang. Either way the client reconnects and catches up with `changes(since:)`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress

from broadcaster import Broadcast

from app.changes.records import CHANGES_CHANNEL, Change
from app.core.errors import NexusError, Unavailable
from app.journal.outbox import PendingEvent
from app.live.redis_backend import RedisPubSubBackend

log = logging.getLogger(__name__)

RECONNECT_DELAY = 1.0


class SlowConsumer(NexusError):
    """The subscriber did not keep up; it should reconnect and catch up."""


class LiveSubscription:
    def __init__(self, queue_size: int) -> None:
        self._queue: asyncio.Queue[Change | None] = asyncio.Queue(maxsize=queue_size)
        self._failure: NexusError | None = None

    def offer(self, change: Change) -> None:
        if self._failure is not None:
            return
        try:
            self._queue.put_nowait(change)
        except asyncio.QueueFull:
            self.fail(
                SlowConsumer(
                    f"Subscriber fell more than {self._queue.maxsize} events behind and was "
                    "disconnected; reconnect and catch up with changes(since:)."
                )
            )

    def fail(self, error: NexusError) -> None:
        if self._failure is None:
            self._failure = error
            with suppress(asyncio.QueueFull):
                self._queue.put_nowait(None)  # wake a reader waiting on an empty queue

    @property
    def failure(self) -> NexusError | None:
        return self._failure

    async def changes(self) -> AsyncIterator[Change]:
        while True:
            if self._failure is not None:
                raise self._failure
            change = await self._queue.get()
            if change is not None and self._failure is None:
                yield change


class LiveChannel:
    """Publishes change events and serves subscriptions to them, for one process."""

    def __init__(self, redis_url: str, *, queue_size: int) -> None:
        self._backend = RedisPubSubBackend(redis_url)
        self._broadcast = Broadcast(backend=self._backend)
        self._queue_size = queue_size
        self._subscriptions: set[LiveSubscription] = set()
        self._connected = False
        self._listening = asyncio.Event()
        self._subscribed = False
        self._observers: list[Callable[[Change], None]] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    @property
    def available(self) -> bool:
        return self._connected and self._listening.is_set() and self._backend.healthy

    async def start(self) -> None:
        self._backend.on_health_change(self._health_changed)
        self._task = asyncio.create_task(self._run(), name="nexus-live-channel")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._connected:
            with suppress(Exception):
                await self._broadcast.disconnect()

    async def wait_ready(self, within: float) -> bool:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), within)
        return self.available

    async def publish(self, events: Sequence[PendingEvent]) -> None:
        """Best effort: a change that is not announced is still in the outbox for catch-up."""
        if not self._connected:
            return
        try:
            for event in events:
                await self._broadcast.publish(
                    CHANGES_CHANNEL, Change.from_pending(event).to_message()
                )
        except Exception as exc:
            log.warning(
                "could not publish change events; subscribers will catch up",
                extra={"error": f"{type(exc).__name__}: {exc}", "first_seq": events[0].id},
            )

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[LiveSubscription]:
        if not self.available:
            raise Unavailable(
                "Live updates are unavailable (Redis is unreachable); retry shortly and catch "
                "up with changes(since:)."
            )
        subscription = LiveSubscription(self._queue_size)
        self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    def _health_changed(self, healthy: bool) -> None:
        if healthy:
            # redis-py re-subscribed on reconnect: the same subscription delivers again.
            if self._subscribed:
                self._listening.set()
            return
        self._listening.clear()
        error = Unavailable(
            "The live update stream was interrupted (Redis is unreachable); resubscribe and "
            "catch up with changes(since:)."
        )
        for subscription in list(self._subscriptions):
            subscription.fail(error)

    async def _run(self) -> None:
        while True:
            try:
                if not self._connected:
                    await self._broadcast.connect()
                    self._connected = True
                async with self._broadcast.subscribe(CHANGES_CHANNEL) as subscriber:
                    self._subscribed = True
                    self._listening.set()
                    log.info("listening for change events")
                    while True:
                        event = await subscriber.get()
                        self._dispatch(Change.from_message(event.message))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._subscribed = False
                self._listening.clear()
                log.warning(
                    "live channel unavailable; retrying",
                    extra={"error": f"{type(exc).__name__}: {exc}"},
                )
                await asyncio.sleep(RECONNECT_DELAY)

    def add_observer(self, observer: Callable[[Change], None]) -> None:
        """Sees every change this process receives, before any subscriber does."""
        self._observers.append(observer)

    def _dispatch(self, change: Change) -> None:
        for observer in self._observers:
            observer(change)
        for subscription in list(self._subscriptions):
            subscription.offer(change)
