"""The projector: applies outbox events to Neo4j in order, then announces them.

Every replica runs one in the background. A batch is applied under the projection lock in
one Neo4j transaction (consecutive events of one type become one `UNWIND` statement) and
marked projected in the same Postgres transaction that holds the lock, so an event is applied
at least once and, thanks to idempotent `MERGE`s guarded by version, exactly once in effect.
If Neo4j is down the batch rolls back, the failure is recorded on the event, and the loop
retries with backoff until the graph catches up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from itertools import groupby
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.settings import Settings
from app.core.turns import turn_given_up
from app.journal.outbox import PendingEvent
from app.projection import queue
from app.projection.registry import Projections
from graph.driver import Graph, Statement

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """Where projected events go next: the live channel (`app.live.channel`)."""

    async def publish(self, events: Sequence[PendingEvent]) -> None: ...


def statements_for(projections: Projections, events: Sequence[PendingEvent]) -> list[Statement]:
    """Translate events into Cypher, keeping their order: runs of one type share statements."""
    statements: list[Statement] = []
    for event_type, run in groupby(events, key=lambda e: e.event_type):
        statements += projections.builder(event_type)([event.payload for event in run])
    return statements


class Projector:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        graph: Graph,
        projections: Projections,
        publisher: Publisher | None,
        settings: Settings,
    ) -> None:
        self._engine = engine
        self._graph = graph
        self._projections = projections
        self._publisher = publisher
        self._batch_size = settings.projector_batch_size
        self._poll_interval = settings.projector_poll_interval
        self._max_backoff = settings.projector_max_backoff
        self._drain_task: asyncio.Task[int] | None = None
        self._wakeup = asyncio.Event()
        self._watermark = 0
        self.last_error: str | None = None

    @property
    def watermark(self) -> int:
        return self._watermark

    # --- one pass ------------------------------------------------------------------------

    async def project_batch(self) -> list[PendingEvent]:
        events: list[PendingEvent] = []
        try:
            async with self._engine.connect() as conn, conn.begin():
                await queue.lock_projection(conn)
                events = await queue.pending_events(conn, limit=self._batch_size)
                if not events:
                    return []
                await self._graph.write_batch(statements_for(self._projections, events))
                await queue.mark_projected(conn, [event.id for event in events])
        except Exception as exc:
            if events:
                await self._record_failure(events[0].id, exc)
            raise
        self._watermark = max(self._watermark, events[-1].id)
        self.last_error = None
        if self._publisher is not None:
            await self._publisher.publish(events)
        return events

    async def drain(self) -> int:
        """Project until nothing is pending; returns how many events were applied."""
        applied = 0
        while True:
            events = await self.project_batch()
            applied += len(events)
            if len(events) < self._batch_size:
                return applied

    async def _record_failure(self, event_id: int, exc: Exception) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"
        try:
            async with self._engine.begin() as conn:
                await queue.record_projection_failure(
                    conn, event_id=event_id, error=self.last_error
                )
        except Exception:
            log.warning("could not record a projection failure", exc_info=True)

    # --- read-your-writes ----------------------------------------------------------------

    def _kick(self) -> asyncio.Task[int]:
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = asyncio.create_task(self.drain(), name="nexus-projector-drain")
            self._drain_task.add_done_callback(_swallow)
        return self._drain_task

    async def ensure_projected(self, seq: int, *, within: float) -> bool:
        """Wait (bounded) until event `seq` is in the graph; False if it is not yet.

        The drain runs as a task of its own, so a caller that stops waiting never cancels a
        half-applied batch.
        """
        if seq <= 0 or seq <= self._watermark:
            return True
        # Only waiting: the caller's turn (app.core.turns) goes to the next operation meanwhile.
        async with turn_given_up():
            return await self._wait_projected(seq, within)

    async def _wait_projected(self, seq: int, within: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            task = self._kick()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(asyncio.shield(task), remaining)
            except TimeoutError:
                return False
            except Exception:
                self._wakeup.set()
                return False
            if seq <= self._watermark:
                return True
            try:
                async with self._engine.connect() as conn:
                    if await queue.is_projected(conn, seq):
                        return True
            except Exception:
                # The write is committed: a failure to ask whether the graph has it yet must
                # not turn it into an error that a client would retry (and so duplicate).
                log.warning("could not ask whether event %s is projected", seq, exc_info=True)
                return False

    # --- background loop -----------------------------------------------------------------

    def wake(self) -> None:
        self._wakeup.set()

    async def run_forever(self) -> None:
        backoff = self._poll_interval
        while True:
            try:
                await self._kick()
                backoff = self._poll_interval
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                backoff = min(backoff * 2, self._max_backoff)
                log.warning(
                    "graph projection failed; retrying in %.1fs",
                    backoff,
                    extra={"error": f"{type(exc).__name__}: {exc}"[:500]},
                )
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), backoff)

    async def close(self) -> None:
        if self._drain_task is not None and not self._drain_task.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._drain_task), 5)
            except Exception:
                self._drain_task.cancel()


def _swallow(task: asyncio.Task[int]) -> None:
    # The failure is logged by the background loop; retrieving it here keeps asyncio quiet.
    if not task.cancelled():
        task.exception()
