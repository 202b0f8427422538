"""`nexus graph rebuild`: Postgres is the truth, Neo4j the index rebuilt from it.

What each domain replays is declared in its projection (`app.projection.registry`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import SessionFactory
from app.projection import queue, version
from app.projection.registry import Projections, Replay
from graph import bulk as graph_bulk
from graph.driver import Graph, Statement

Progress = Callable[[str], None]
# label, rows done, rows expected (0: unknown), seconds since the phase began
Ticker = Callable[[str, int, int, float], None]


@dataclass
class RebuildReport:
    """What a rebuild wrote: rows per phase and seconds per phase, in order."""

    phases: dict[str, tuple[int, float]] = field(default_factory=dict)
    graph_nodes: int = 0
    graph_relationships: int = 0

    @property
    def rows(self) -> int:
        return sum(rows for rows, _ in self.phases.values())

    def count(self, phase: str) -> int:
        return self.phases.get(phase, (0, 0.0))[0]


class Meter:
    """Progress of one phase: a line that rewrites itself on a terminal, a line every few
    seconds otherwise, and a final line with the rate."""

    def __init__(self, label: str, total: int, progress: Progress, ticker: Ticker | None) -> None:
        self.label, self.total, self.progress, self.ticker = label, total, progress, ticker
        self.done = 0
        self.started = time.perf_counter()

    def advance(self, rows: int) -> None:
        self.done += rows
        if self.ticker is not None:
            self.ticker(self.label, self.done, self.total, self.elapsed)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def finish(self, report: RebuildReport) -> None:
        elapsed = self.elapsed
        rate = self.done / elapsed if elapsed > 0 else 0.0
        report.phases[self.label] = (self.done, elapsed)
        self.progress(f"{self.label}: {self.done:,} in {elapsed:.1f}s ({rate:,.0f}/s)")


async def rebuild_graph(
    sessions: SessionFactory,
    graph: Graph,
    projections: Projections,
    *,
    batch_size: int,
    progress: Progress,
    ticker: Ticker | None = None,
) -> RebuildReport:
    """Empty Neo4j and replay every live record into it, in `UNWIND` batches of CREATEs.

    Holds the projection lock throughout, so no projector writes meanwhile; events committed
    before the snapshot are then marked projected, later ones are projected as usual. Reading
    the next batch from Postgres overlaps writing the current one to Neo4j.
    """
    report = RebuildReport()
    async with sessions() as lock_session:
        lock = await lock_session.connection()
        async with queue.projection_paused(lock):
            try:
                gone = await graph_bulk.delete_everything(graph)
                progress(f"emptied the graph ({gone[0]:,} nodes, {gone[1]:,} relationships)")
                # Answers kept from the graph as it was are retired now, and again at the end.
                await _advance(sessions)
                async with sessions() as session, session.begin():
                    connection = await session.connection()
                    await queue.set_repeatable_read(connection)
                    covered = await queue.pending_ids_in_snapshot(connection)
                    for replay in projections.replays:
                        await _replay(session, graph, replay, batch_size, progress, ticker, report)
                if covered:
                    async with sessions() as session, session.begin():
                        await queue.mark_projected(await session.connection(), covered)
            finally:
                # Answers kept while the graph was being rebuilt are retired, even after a
                # failure.
                await _advance(sessions)
    # Both counts come from Neo4j's count store: constant time whatever the size.
    report.graph_nodes, report.graph_relationships = await graph_bulk.counts(graph)
    return report


async def _advance(sessions: SessionFactory) -> None:
    """A new data version (`app.projection.version`), in a transaction of its own: the lock's
    connection stays in the one transaction that holds it."""
    async with sessions() as session, session.begin():
        await version.advance(await session.connection())


async def _replay(
    session: AsyncSession,
    graph: Graph,
    replay: Replay,
    batch_size: int,
    progress: Progress,
    ticker: Ticker | None,
    report: RebuildReport,
) -> None:
    """Read batches in key order and write each one as it comes; the next read runs while
    the current write is under way (a queue of two batches)."""
    total = int(await session.scalar(replay.count) or 0)
    meter = Meter(replay.label, total, progress, ticker)
    batches: asyncio.Queue[tuple[int, list[Statement]] | None] = asyncio.Queue(maxsize=2)

    async def read() -> None:
        after = None
        while batch := await replay.fetch(session, batch_size, after):
            after = replay.key(batch[-1])
            await batches.put((len(batch), replay.statements(batch)))
        await batches.put(None)

    reader = asyncio.create_task(read())
    try:
        while (item := await batches.get()) is not None:
            rows, work = item
            if work:
                await graph.write_batch(work)
            meter.advance(rows)
        await reader
    finally:
        if not reader.done():
            reader.cancel()
    meter.finish(report)
