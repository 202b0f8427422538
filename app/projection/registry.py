"""How a domain plugs into the projection: what its outbox events become in Neo4j, what
`nexus graph rebuild` replays from its records, and what `nexus graph verify` compares.

Each domain declares one `DomainProjection` next to its records (`app/<domain>/projection.py`)
and the composition root hands them all to the projector, rebuild and verify
(`app.server.domains`). Nothing here names a domain.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.driver import Graph, Statement

# The payloads of a run of consecutive events of one type -> the Cypher that applies them.
StatementsBuilder = Callable[[list[dict[str, Any]]], list[Statement]]
# (session, batch size, last key of the previous batch or None) -> the next batch of rows.
Fetch = Callable[[AsyncSession, int, Any], Awaitable[Sequence[Any]]]


def each(build: Callable[[list[dict[str, Any]]], Statement]) -> StatementsBuilder:
    """A builder of one statement per run of events, as most event types have."""

    def statements(rows: list[dict[str, Any]]) -> list[Statement]:
        return [build(rows)]

    return statements


@dataclass(frozen=True, slots=True)
class Replay:
    """One phase of a rebuild: the live rows of one kind, read in key order and written to
    the empty graph in batches."""

    label: str
    # The number of rows to expect, for progress (a SELECT count(...)).
    count: Any
    fetch: Fetch
    key: Callable[[Any], Any]
    statements: Callable[[Sequence[Any]], list[Statement]]


@dataclass(frozen=True, slots=True)
class Check:
    """What verify compares for one kind: every live row's state (its version, say) with the
    state of its graph counterpart, by id."""

    noun: str
    graph_state: Callable[[Graph], Awaitable[dict[str, Any]]]
    fetch: Fetch
    key: Callable[[Any], Any]
    # A row -> (its id as the graph holds it, the state the graph should hold).
    expected: Callable[[Any], tuple[str, Any]]
    differs: str = "with a stale version in the graph"


@dataclass(frozen=True, slots=True)
class DomainProjection:
    name: str
    builders: Mapping[str, StatementsBuilder] = field(default_factory=dict)
    replays: Sequence[Replay] = ()
    checks: Sequence[Check] = ()


class Projections:
    """Every domain's projection, merged: the projector, rebuild and verify read this."""

    def __init__(self, domains: Sequence[DomainProjection]) -> None:
        self.domains = tuple(domains)
        self._builders: dict[str, StatementsBuilder] = {}
        owners: dict[str, str] = {}
        for domain in self.domains:
            for event_type, build in domain.builders.items():
                if event_type in owners:
                    owner = owners[event_type]
                    raise ValueError(f"{event_type!r} is projected by {owner} and {domain.name}")
                owners[event_type] = domain.name
                self._builders[event_type] = build

    def builder(self, event_type: str) -> StatementsBuilder:
        found = self._builders.get(event_type)
        if found is None:
            raise ValueError(f"no projection for outbox event type {event_type!r}")
        return found

    @property
    def replays(self) -> list[Replay]:
        return [replay for domain in self.domains for replay in domain.replays]

    @property
    def checks(self) -> list[Check]:
        return [check for domain in self.domains for check in domain.checks]
