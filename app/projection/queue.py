"""The outbox seen from the projection: pending events, claimed under one lock.

The projector (`app.projection.projector`) applies pending events to Neo4j in id order. Only
one projector applies at a time across all replicas (an advisory lock), which is what keeps
the order: two replicas claiming disjoint batches with SKIP LOCKED could apply a
relationship's delete before its create. `nexus graph rebuild` holds the same lock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.models import OutboxEvent
from app.journal.outbox import PendingEvent

PROJECTOR_LOCK_KEY = 7_306_327_818_465_912_321  # any constant shared by every replica
MAX_ERROR_LENGTH = 2_000


async def lock_projection(conn: AsyncConnection) -> None:
    """Wait for the projection lock; it is released when the transaction ends."""
    await conn.execute(select(func.pg_advisory_xact_lock(PROJECTOR_LOCK_KEY)))


@asynccontextmanager
async def projection_paused(conn: AsyncConnection) -> AsyncIterator[None]:
    """Hold the projection lock across transactions (for a rebuild): no projector of any
    replica applies events meanwhile."""
    await conn.execute(select(func.pg_advisory_lock(PROJECTOR_LOCK_KEY)))
    try:
        yield
    finally:
        await conn.execute(select(func.pg_advisory_unlock(PROJECTOR_LOCK_KEY)))


async def pending_events(conn: AsyncConnection, *, limit: int) -> list[PendingEvent]:
    rows = await conn.execute(
        select(
            OutboxEvent.id,
            OutboxEvent.organization_id,
            OutboxEvent.aggregate_type,
            OutboxEvent.aggregate_id,
            OutboxEvent.event_type,
            OutboxEvent.version,
            OutboxEvent.payload,
            OutboxEvent.created_at,
        )
        .where(OutboxEvent.projected_at.is_(None))
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    return [PendingEvent(*row) for row in rows]


async def mark_projected(conn: AsyncConnection, ids: Sequence[int]) -> None:
    await conn.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(ids))
        .values(projected_at=func.now(), last_error=None)
    )


async def record_projection_failure(conn: AsyncConnection, *, event_id: int, error: str) -> None:
    await conn.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id)
        .values(attempts=OutboxEvent.attempts + 1, last_error=error[:MAX_ERROR_LENGTH])
    )


async def is_projected(conn: AsyncConnection, event_id: int) -> bool:
    projected_at = await conn.scalar(
        select(OutboxEvent.projected_at).where(OutboxEvent.id == event_id)
    )
    return projected_at is not None


async def projection_lag(conn: AsyncConnection) -> tuple[int, int | None]:
    """How many events wait for projection, and the oldest one's id."""
    row = (
        await conn.execute(
            select(func.count(), func.min(OutboxEvent.id)).where(OutboxEvent.projected_at.is_(None))
        )
    ).one()
    return int(row[0]), row[1]


async def pending_ids_in_snapshot(conn: AsyncConnection) -> list[int]:
    rows = await conn.execute(
        select(OutboxEvent.id).where(OutboxEvent.projected_at.is_(None)).order_by(OutboxEvent.id)
    )
    return [row[0] for row in rows]


async def set_repeatable_read(conn: AsyncConnection) -> None:
    """One consistent snapshot for the rest of the transaction (rebuild and verify)."""
    await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
