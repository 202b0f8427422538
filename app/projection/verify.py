"""`nexus graph verify`: every live record compared with its graph counterpart.

What each domain compares is declared in its projection (`app.projection.registry`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.db import SessionFactory
from app.projection import queue
from app.projection.registry import Check, Projections
from graph.driver import Graph


@dataclass
class KindDifferences:
    """What verify found for one kind of record, ids as the graph holds them."""

    noun: str
    differs: str
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    def lines(self) -> list[tuple[str, list[str]]]:
        """(what, ids) for each way this kind differs."""
        return [
            (f"{self.noun} missing from the graph", self.missing),
            (f"{self.noun} in the graph but not in Postgres", self.extra),
            (f"{self.noun} {self.differs}", self.stale),
        ]


@dataclass
class Differences:
    kinds: list[KindDifferences] = field(default_factory=list)
    # Events still waiting for projection show up as differences: their count says so.
    pending_events: int = 0

    @property
    def clean(self) -> bool:
        return not any(ids for kind in self.kinds for _, ids in kind.lines())


async def verify_graph(
    sessions: SessionFactory, graph: Graph, projections: Projections, *, batch_size: int = 5_000
) -> Differences:
    """Compare every live record with the graph, in one consistent snapshot of Postgres."""
    diff = Differences()
    graph_states = [await check.graph_state(graph) for check in projections.checks]
    async with sessions() as session, session.begin():
        connection = await session.connection()
        await queue.set_repeatable_read(connection)
        diff.pending_events, _ = await queue.projection_lag(connection)
        for check, in_graph in zip(projections.checks, graph_states, strict=True):
            kind = KindDifferences(check.noun, check.differs)
            after = None
            while batch := await check.fetch(session, batch_size, after):
                _compare(check, batch, in_graph, kind)
                after = check.key(batch[-1])
            kind.extra = sorted(in_graph)
            diff.kinds.append(kind)
    return diff


def _compare(
    check: Check, batch: object, in_graph: dict[str, object], kind: KindDifferences
) -> None:
    for row in batch:  # type: ignore[attr-defined]
        key, expected = check.expected(row)
        found = in_graph.pop(key, None)
        if found is None:
            kind.missing.append(key)
        elif found != expected:
            kind.stale.append(key)
        kind.checked += 1
