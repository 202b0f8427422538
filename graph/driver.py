"""The Neo4j async driver, one per process, and the two ways the code runs Cypher.

`Graph.read` / `Graph.write` run one parameterised statement (one round trip) in a session of
their own, so concurrent DataLoader batches never share a session. `Graph.write_batch` runs
several statements in one transaction (the projector). Every statement is counted as a round
trip, and every failure to reach the server becomes `Unavailable` within a bounded time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, LiteralString, TypeVar

import neo4j
import neo4j.exceptions

from app.core.errors import Unavailable, at_capacity, unavailable_backend
from app.core.roundtrips import count_neo4j
from app.core.settings import Settings

T = TypeVar("T")
Statement = tuple[LiteralString, dict[str, Any]]


class Graph:
    def __init__(self, driver: neo4j.AsyncDriver, *, database: str, timeout: float) -> None:
        self.driver = driver
        self.database = database
        # An upper bound on any single call, so that a wedged server cannot hang a request.
        self.timeout = timeout

    async def read(self, query: LiteralString, **params: Any) -> list[neo4j.Record]:
        return await self._run(query, params, neo4j.READ_ACCESS)

    async def write(self, query: LiteralString, **params: Any) -> list[neo4j.Record]:
        return await self._run(query, params, neo4j.WRITE_ACCESS)

    async def write_batch(self, statements: Sequence[Statement]) -> None:
        """Run statements in order in one write transaction: all of them apply, or none."""

        async def work(tx: neo4j.AsyncManagedTransaction) -> None:
            for query, params in statements:
                count_neo4j()
                result = await tx.run(query, params)
                await result.consume()

        await self._guard(self._with_session(neo4j.WRITE_ACCESS, work))

    async def ping(self) -> None:
        await self._guard(self.driver.verify_connectivity(database=self.database))

    async def _run(
        self, query: LiteralString, params: dict[str, Any], access: str
    ) -> list[neo4j.Record]:
        count_neo4j()
        routing = neo4j.RoutingControl.READ if access == neo4j.READ_ACCESS else None
        kwargs: dict[str, Any] = {"database_": self.database}
        if routing is not None:
            kwargs["routing_"] = routing
        result = await self._guard(self.driver.execute_query(query, params, **kwargs))
        return list(result.records)

    async def _with_session(
        self, access: str, work: Callable[[neo4j.AsyncManagedTransaction], Awaitable[T]]
    ) -> T:
        async with self.driver.session(database=self.database, default_access_mode=access) as s:
            if access == neo4j.WRITE_ACCESS:
                return await s.execute_write(work)
            return await s.execute_read(work)

    async def _guard(self, awaitable: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self.timeout):
                return await awaitable
        except (TimeoutError, neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError) as exc:
            if isinstance(exc, neo4j.exceptions.ConnectionAcquisitionTimeoutError):
                # Every pooled connection stayed busy: Neo4j is up, this process is full.
                raise at_capacity("neo4j") from exc
            if isinstance(exc, TimeoutError) or unavailable_backend(exc) is not None:
                raise Unavailable(
                    "The graph database (Neo4j) is unavailable; retry shortly.", backend="neo4j"
                ) from exc
            raise


def create_graph(settings: Settings) -> Graph:
    driver = neo4j.AsyncGraphDatabase.driver(
        settings.neo4j_uri,
        auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()),
        connection_timeout=settings.neo4j_connect_timeout,
        connection_acquisition_timeout=settings.neo4j_connect_timeout * 2,
        max_connection_pool_size=settings.neo4j_pool_size,
        # The driver retries transient failures; keep that short so callers get a prompt
        # UNAVAILABLE instead of a request that hangs for the default 30 s.
        max_transaction_retry_time=settings.neo4j_connect_timeout,
        liveness_check_timeout=30.0,
    )
    timeout = settings.neo4j_connect_timeout * 4 + 5
    return Graph(driver, database=settings.neo4j_database, timeout=timeout)
