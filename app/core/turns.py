"""Turns: how many GraphQL operations a process runs at once (NEXUS_MAX_CONCURRENT_OPERATIONS).

A process's CPU runs one operation at a time anyway. Beyond a few at once (enough to overlap
their database round trips), more only lengthen the event loop's queue, and every cache hit,
readiness probe and WebSocket event of the process waits behind all of them. Operations past
the limit wait for a turn instead, in arrival order. An operation that only waits (a write
waiting for its graph projection) gives its turn up meanwhile (`turn_given_up`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import TypeVar

from prometheus_client import Counter, Gauge

T = TypeVar("T")

OPERATIONS_WAITING = Gauge(
    "nexus_graphql_operations_waiting",
    "GraphQL operations waiting for a turn (NEXUS_MAX_CONCURRENT_OPERATIONS)",
)
OPERATIONS_DELAYED = Counter(
    "nexus_graphql_operations_delayed",
    "GraphQL operations that found every turn taken and waited (on arrival, or after "
    "giving their turn up while waiting for the graph projection)",
)


class Turn:
    """One operation's claim on a turn: `held` is shared with the tasks the operation
    spawns, so a turn is never released twice."""

    __slots__ = ("held", "slots")

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self.slots = slots
        self.held = False

    async def take(self) -> None:
        if self.slots.locked():
            OPERATIONS_DELAYED.inc()
        OPERATIONS_WAITING.inc()
        try:
            await self.slots.acquire()
        finally:
            OPERATIONS_WAITING.dec()
        self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self.slots.release()


_CURRENT: ContextVar[Turn | None] = ContextVar("nexus_turn", default=None)


class Turns:
    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit) if limit > 0 else None

    async def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """`work` in its turn; at once when there is no limit."""
        if self._slots is None:
            return await work()
        turn = Turn(self._slots)
        await turn.take()
        token = _CURRENT.set(turn)
        try:
            return await work()
        finally:
            _CURRENT.reset(token)
            turn.give_back()


@asynccontextmanager
async def turn_given_up() -> AsyncIterator[None]:
    """Give the current operation's turn to the next one while the body only waits; take a
    turn again (waiting for it, as on arrival) before going on."""
    turn = _CURRENT.get()
    if turn is None or not turn.held:
        yield
        return
    turn.give_back()
    try:
        yield
    finally:
        await turn.take()
