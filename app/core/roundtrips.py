"""Counts database round trips per request, so tests and developers can see batching work.

A request opens a `RoundTrips` counter in a context variable; every SQL statement and every
Cypher statement increments it. DataLoader batches run in tasks that inherit the context.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class RoundTrips:
    postgres: int = 0
    neo4j: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"postgres": self.postgres, "neo4j": self.neo4j}


_current: ContextVar[RoundTrips | None] = ContextVar("nexus_round_trips", default=None)


@contextmanager
def tracking_round_trips() -> Iterator[RoundTrips]:
    counter = RoundTrips()
    token = _current.set(counter)
    try:
        yield counter
    finally:
        _current.reset(token)


def count_postgres() -> None:
    counter = _current.get()
    if counter is not None:
        counter.postgres += 1


def count_neo4j() -> None:
    counter = _current.get()
    if counter is not None:
        counter.neo4j += 1
