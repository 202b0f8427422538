"""The audit log: one row per write and per denied attempt, in the write's own transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
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


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actions: Sequence[str] = ()
    actor: str | None = None
    target_type: str | None = None
    target_id: uuid.UUID | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def audit_entries(
    sessions: SessionFactory,
    *,
    organization_id: uuid.UUID,
    flt: AuditFilter,
    first: int,
    before_id: int | None,
) -> tuple[list[AuditLog], bool]:
    """Newest first, a keyset page; returns the rows and whether more follow."""
    query = select(AuditLog).where(AuditLog.organization_id == organization_id)
    if flt.actions:
        query = query.where(AuditLog.action.in_(list(flt.actions)))
    if flt.actor is not None:
        query = query.where(AuditLog.actor == flt.actor)
    if flt.target_type is not None:
        query = query.where(AuditLog.target_type == flt.target_type)
    if flt.target_id is not None:
        query = query.where(AuditLog.target_id == flt.target_id)
    if flt.outcome is not None:
        query = query.where(AuditLog.outcome == flt.outcome)
    if flt.since is not None:
        query = query.where(AuditLog.created_at >= flt.since)
    if flt.until is not None:
        query = query.where(AuditLog.created_at < flt.until)
    if before_id is not None:
        query = query.where(AuditLog.id < before_id)
    async with sessions() as session:
        rows = list(await session.scalars(query.order_by(AuditLog.id.desc()).limit(first + 1)))
    return rows[:first], len(rows) > first


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
