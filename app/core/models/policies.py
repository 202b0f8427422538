"""Governance policies, their versions, and approvals."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models.base import Base, now


class Policy(Base):
    """A governance policy. Only ACTIVE policies take part in decisions."""

    __tablename__ = "policies"
    __table_args__ = (
        CheckConstraint("effect IN ('ALLOW', 'DENY')", name="effect_known"),
        CheckConstraint("state IN ('DRAFT', 'ACTIVE', 'DISABLED')", name="state_known"),
        Index("ix_policies_org_state", "organization_id", "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    effect: Mapped[str] = mapped_column(String(8))
    actions: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    subject_roles: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    subject_user_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    resource_kinds: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    namespace_pattern: Mapped[str | None] = mapped_column(String(200))
    resource_tags: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    resource_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    condition: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=now())
    updated_at: Mapped[datetime] = mapped_column(server_default=now())
    deleted_at: Mapped[datetime | None] = mapped_column()


class PolicyVersion(Base):
    __tablename__ = "policy_versions"

    policy_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("policies.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(server_default=now())


class Approval(Base):
    """A request to activate one version of a policy, decided by another steward."""

    __tablename__ = "approvals"
    __table_args__ = (
        CheckConstraint("status IN ('PENDING', 'APPROVED', 'REJECTED')", name="status_known"),
        Index("ix_approvals_policy_id", "policy_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policies.id", ondelete="CASCADE"))
    policy_version: Mapped[int] = mapped_column(Integer)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=now())
    decided_at: Mapped[datetime | None] = mapped_column()
