"""The audit log: one row per write and per denied attempt, in the write's own transaction.

Reading it, through the policies, is `app.audit.reads`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import SessionFactory
from app.core.models import AuditLog
from app.core.scope import Scope


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


async def audit_entries_after(
    sessions: SessionFactory, *, after_id: int, limit: int = 500
) -> list[AuditLog]:
    """Entries of every organisation written after `after_id`, oldest first."""
    query = select(AuditLog).where(AuditLog.id > after_id).order_by(AuditLog.id).limit(limit)
    async with sessions() as session:
        return list(await session.scalars(query))


async def last_audit_id(sessions: SessionFactory) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.max(AuditLog.id))) or 0)
