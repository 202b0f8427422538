"""Postgres records: the system of record. Neo4j is an index rebuilt from these rows.

Alembic revisions in `migrations/` are generated from these models; a test runs
`alembic check` so a model change without a migration fails CI.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The organisation that `nexus migrate` creates; `nexus create-admin` bootstraps it by default.
DEFAULT_ORGANIZATION_ID = uuid.UUID("00000000-0000-0000-0000-000000000001")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dict[str, Any]: JSONB,
        datetime: DateTime(timezone=True),
        uuid.UUID: UUID(as_uuid=True),
    }


def _now() -> Any:
    return func.now()


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    require_policy_approval: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())


ROLES = ("viewer", "editor", "steward", "admin")
_ROLE_CHECK = "role IN ('viewer', 'editor', 'steward', 'admin')"


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    disabled_at: Mapped[datetime | None] = mapped_column()


class Membership(Base):
    """A user's role in one organisation."""

    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint(_ROLE_CHECK, name="role_known"),
        Index("ix_memberships_organization_id", "organization_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    updated_at: Mapped[datetime] = mapped_column(server_default=_now())


class ApiKey(Base):
    """A machine credential: only a hash of its secret is kept."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(_ROLE_CHECK, name="role_known"),
        Index("ix_api_keys_organization_id", "organization_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    revoked_at: Mapped[datetime | None] = mapped_column()


class RefreshToken(Base):
    """One issued refresh token. Rotation marks it used; reusing a used one revokes its family."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_family_id", "family_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    family_id: Mapped[uuid.UUID] = mapped_column()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class Entity(Base):
    __tablename__ = "entities"
    __table_args__ = (
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_entities_org_kind_name", "organization_id", "kind", "name"),
        Index("ix_entities_org_name", "organization_id", "name"),
        Index("ix_entities_org_created", "organization_id", "created_at"),
        Index("ix_entities_org_updated", "organization_id", "updated_at"),
        Index("ix_entities_tags", "tags", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    kind: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    properties: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    confidence: Mapped[float] = mapped_column(Float, server_default=text("1.0"))
    tags: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), server_default=text("'{}'::varchar[]")
    )
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    updated_at: Mapped[datetime] = mapped_column(server_default=_now())
    deleted_at: Mapped[datetime | None] = mapped_column()


class EntityVersion(Base):
    """Every version of every entity, as it was written: history and `asOf` reads."""

    __tablename__ = "entity_versions"

    entity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(server_default=_now())


class Relationship(Base):
    __tablename__ = "relationships"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "type"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
        CheckConstraint("source_id <> target_id", name="no_self_loop"),
        Index("ix_relationships_target_id", "target_id"),
        Index("ix_relationships_organization_id", "organization_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float, server_default=text("1.0"))
    properties: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())


class AuditLog(Base):
    """Append-only: a trigger created by the migration refuses UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_org_created", "organization_id", "created_at"),
        Index("ix_audit_log_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[uuid.UUID | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(server_default=_now())


class OutboxEvent(Base):
    """One graph change, written in the same transaction as the records it describes.

    The id is the change's sequence number: monotonically increasing, used for ordered
    projection and for `changes(since:)` catch-up.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "id",
            postgresql_where=text("projected_at IS NULL"),
        ),
        Index("ix_outbox_org_id", "organization_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    aggregate_type: Mapped[str] = mapped_column(String(32))
    aggregate_id: Mapped[uuid.UUID] = mapped_column()
    event_type: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    projected_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)


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
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    updated_at: Mapped[datetime] = mapped_column(server_default=_now())
    deleted_at: Mapped[datetime | None] = mapped_column()


class PolicyVersion(Base):
    __tablename__ = "policy_versions"

    policy_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("policies.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(server_default=_now())


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
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    decided_at: Mapped[datetime | None] = mapped_column()


class Dataset(Base):
    """A dataset in the lineage graph; `fields` is its current schema (see DatasetVersion)."""

    __tablename__ = "datasets"
    __table_args__ = (
        UniqueConstraint("organization_id", "namespace", "name"),
        CheckConstraint("version >= 0", name="version_not_negative"),
        Index("ix_datasets_tags", "tags", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    namespace: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    owners: Mapped[list[str]] = mapped_column(
        ARRAY(String(200)), server_default=text("'{}'::varchar[]")
    )
    tags: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), server_default=text("'{}'::varchar[]")
    )
    # [{name, type, description, tags}] as of `schema_version`.
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    schema_version: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # Event time of the OpenLineage schema facet the schema came from: an older facet
    # arriving late must not replace a newer schema.
    schema_event_time: Mapped[datetime | None] = mapped_column()
    # [{field, source_dataset, source_field, transformation}]: where each column comes from.
    column_lineage: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb")
    )
    # Increases on every change of the record; guards the graph projection.
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    updated_at: Mapped[datetime] = mapped_column(server_default=_now())
    deleted_at: Mapped[datetime | None] = mapped_column()


class DatasetVersion(Base):
    """Every schema a dataset has had: `Dataset.versions` and reads as of a version."""

    __tablename__ = "dataset_versions"

    dataset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=_now())


class Job(Base):
    """A job; inputs and outputs accumulate over its runs (order of arrival does not matter)."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("organization_id", "namespace", "name"),
        # Producers and consumers of a dataset are found by array overlap.
        Index("ix_jobs_inputs", "inputs", postgresql_using="gin"),
        Index("ix_jobs_outputs", "outputs", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    namespace: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    inputs: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), server_default=text("'{}'::uuid[]")
    )
    outputs: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), server_default=text("'{}'::uuid[]")
    )
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    updated_at: Mapped[datetime] = mapped_column(server_default=_now())


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_job_started", "job_id", "started_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))
    # The event time of the event that set `state`; later terminal states win.
    state_time: Mapped[datetime] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    facets: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    # Events merged into the run so far: its change events' version.
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    updated_at: Mapped[datetime] = mapped_column(server_default=_now())


class OpenLineageEvent(Base):
    """Every OpenLineage event as received; the dedupe key makes ingest idempotent."""

    __tablename__ = "openlineage_events"
    __table_args__ = (
        UniqueConstraint("organization_id", "dedupe_key"),
        Index("ix_openlineage_events_run_id", "run_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    dedupe_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str | None] = mapped_column(String(16))
    event_time: Mapped[datetime] = mapped_column()
    run_id: Mapped[uuid.UUID | None] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(server_default=_now())


class EntityDataset(Base):
    """An entity describes a dataset: the link between the knowledge and lineage graphs."""

    __tablename__ = "entity_datasets"
    __table_args__ = (Index("ix_entity_datasets_dataset_id", "dataset_id"),)

    entity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True
    )
    dataset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=_now())


def search_vector(name: Any, description: Any) -> Any:
    """The full-text document of a record: name and description, punctuation as spaces so
    that `public.orders` is found by `orders`. Search queries use the same expression, which
    is what lets Postgres use the GIN indexes below."""
    document = func.coalesce(name, "") + " " + func.coalesce(description, "")
    return func.to_tsvector(
        literal_column("'simple'::regconfig"), func.translate(document, "._-/:", "     ")
    )


Index(
    "ix_entities_search",
    search_vector(Entity.name, Entity.description),
    postgresql_using="gin",
)
Index(
    "ix_datasets_search",
    search_vector(Dataset.name, Dataset.description),
    postgresql_using="gin",
)
Index("ix_jobs_search", search_vector(Job.name, Job.description), postgresql_using="gin")
