"""The outbox: graph changes recorded in the same Postgres transaction as their records.

Appending is here; claiming and applying pending events is the projection's
(`app.projection.queue`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.models import OutboxEvent
from app.core.scope import Scope


@dataclass(frozen=True, slots=True)
class PendingEvent:
    id: int
    organization_id: uuid.UUID
    aggregate_type: str
    aggregate_id: uuid.UUID
    event_type: str
    version: int
    payload: dict[str, Any]
    created_at: datetime


async def append_event(
    session: AsyncSession,
    *,
    scope: Scope,
    aggregate_type: str,
    aggregate_id: uuid.UUID,
    event_type: str,
    version: int,
    payload: dict[str, Any],
) -> int:
    """Add an event to the caller's transaction and return its sequence number."""
    event = OutboxEvent(
        organization_id=scope.organization_id,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        event_type=event_type,
        version=version,
        payload=payload,
    )
    session.add(event)
    await session.flush([event])
    return event.id
