"""The audit log: one row per write and per denied attempt, in the write's own transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

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
