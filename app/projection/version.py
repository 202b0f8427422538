"""The data version: a string that changes with every committed write to Postgres, and so
with every change of the graph, whose projection is marked in Postgres too.

The result cache keys its answers by it (`app.server.result_cache`). It is Postgres'
current snapshot (`pg_current_snapshot()`) and the server's start time (a new cluster counts
transaction ids from the start again). Writers that change what queries return without a
write of their own to Postgres (the graph rebuild) call `advance`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger("nexus.result_cache")

# After a failed read of the data version, requests skip the cache for this long instead of
# each waiting on a reconnection attempt.
RETRY_AFTER = 1.0


class DataVersion:
    """Postgres' current snapshot, as a string that changes with every committed write.

    One statement at a time on a connection of its own, so that a busy pool cannot hold up
    requests the cache could answer. Callers arriving while a read is waiting to start
    share it; callers arriving once it has started wait for the next one, because a
    snapshot taken before a caller arrived could miss a write that caller already saw
    committed (its own mutation, say).
    """

    def __init__(self, url: URL, *, timeout: float) -> None:
        # Connected as the engine connects (host, credentials, `ssl` and the other URL
        # options), less what only SQLAlchemy's adapter takes.
        _, options = url.get_dialect()().create_connect_args(url)
        accepted = inspect.signature(asyncpg.connect).parameters
        self._options = {name: value for name, value in options.items() if name in accepted}
        self._timeout = timeout
        # Back off for at least as long as a read may take, so that a Postgres that does
        # not answer costs a request one timeout at most, not one per queued read.
        self._retry_after = max(RETRY_AFTER, timeout)
        self._connection: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._waiting: asyncio.Future[str | None] | None = None
        self._failed_at = float("-inf")
        self._reads: set[asyncio.Task[None]] = set()

    async def read(self) -> str | None:
        """The version, or None when Postgres could not be read."""
        if self._backing_off():
            return None
        shared = self._waiting
        if shared is None:
            shared = self._waiting = asyncio.get_running_loop().create_future()
            task = asyncio.ensure_future(self._read_for(shared))
            self._reads.add(task)
            task.add_done_callback(self._reads.discard)
        # Shielded: one caller giving up must not cancel the read others wait for.
        return await asyncio.shield(shared)

    async def _read_for(self, shared: asyncio.Future[str | None]) -> None:
        value: str | None = None
        try:
            async with self._lock:
                if self._waiting is shared:
                    self._waiting = None  # from here on, a new caller needs a new read
                if self._backing_off():  # the read ahead of this one failed
                    return
                try:
                    value = await self._fetch()
                except Exception as exc:
                    log.warning("data version unreadable, result cache skipped: %s", exc)
                    self._failed_at = time.monotonic()
                    await self._drop()
        finally:
            # Also when cancelled (shutdown): no waiter is left hanging.
            if self._waiting is shared:
                self._waiting = None
            if not shared.done():
                shared.set_result(value)

    def _backing_off(self) -> bool:
        return time.monotonic() - self._failed_at < self._retry_after

    async def _fetch(self) -> str:
        async with asyncio.timeout(self._timeout):
            if self._connection is None or self._connection.is_closed():
                self._connection = await asyncpg.connect(**self._options)
            value = await self._connection.fetchval(
                "SELECT pg_postmaster_start_time()::text || '/' || pg_current_snapshot()::text"
            )
        return str(value)

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.terminate()

    async def close(self) -> None:
        """Stop: reads in flight are cancelled (their callers get None) and the connection
        is dropped without waiting on a Postgres that may not answer."""
        for task in list(self._reads):
            task.cancel()
        await asyncio.gather(*self._reads, return_exceptions=True)
        await self._drop()


async def advance(connection: AsyncConnection) -> None:
    """Give the current transaction an id, so that its commit changes every reader's
    snapshot: for writers that change what queries return without writing to Postgres
    (the graph rebuild)."""
    await connection.execute(text("SELECT pg_current_xact_id()"))
