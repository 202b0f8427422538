"""The audit log: one row per write and per denied attempt, in the write's own transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import SessionFactory
from app.models import AuditLog
from app.scope import Scope


def record_audit(
    session: AsyncSession,
    *,
    scope: Scope,
    action: str,
    target_type: str,
    target_id: uuid.UUID | None,
    outcome: str = "success",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLog(
            organization_id=scope.organization_id,
            actor=scope.actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            outcome=outcome,
            before=before,
            after=after,
        )
    )


async def record_denial(
    sessions: SessionFactory,
    *,
    scope: Scope,
    action: str,
    target_type: str,
    target_id: uuid.UUID | None = None,
    reason: dict[str, Any] | None = None,
) -> None:
    """A refused attempt, in its own transaction: the attempt's own work never commits."""
    async with sessions() as session, session.begin():
        record_audit(
            session,
            scope=scope,
            action=action,
            target_type=target_type,
            target_id=target_id,
            outcome="denied",
            after=reason,
        )
