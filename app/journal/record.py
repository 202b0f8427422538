"""What every write leaves behind, in one call: the outbox event of its graph change and the
audit row of the write, both in the write's own transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.scope import Scope
from app.journal.audit import record_audit
from app.journal.outbox import append_event

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WriteResult(Generic[T]):
    """The written record and the sequence number of its graph change (0: nothing changed)."""

    record: T
    seq: int


async def record_change(
    session: AsyncSession,
    *,
    scope: Scope,
    aggregate_type: str,
    aggregate_id: uuid.UUID,
    event_type: str,
    version: int,
    payload: dict[str, Any],
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    """Append the graph change (`event_type` of the aggregate, for the projector and live
    subscribers) and audit the write that made it (`action` on the same object, with what it
    looked like before and after). Returns the change's sequence number."""
    seq = await append_event(
        session,
        scope=scope,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        event_type=event_type,
        version=version,
        payload=payload,
    )
    record_audit(
        session,
        scope=scope,
        action=action,
        target_type=aggregate_type,
        target_id=aggregate_id,
        before=before,
        after=after,
    )
    return seq
