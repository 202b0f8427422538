"""Datasets and their schema versions, jobs and runs, raw OpenLineage events, and the
entities that describe datasets."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models.base import Base, now, search_vector


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
    created_at: Mapped[datetime] = mapped_column(server_default=now())
    updated_at: Mapped[datetime] = mapped_column(server_default=now())
    deleted_at: Mapped[datetime | None] = mapped_column()


class DatasetVersion(Base):
    """Every schema a dataset has had: `Dataset.versions` and reads as of a version."""

    __tablename__ = "dataset_versions"

    dataset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=now())


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
    created_at: Mapped[datetime] = mapped_column(server_default=now())
    updated_at: Mapped[datetime] = mapped_column(server_default=now())


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
    created_at: Mapped[datetime] = mapped_column(server_default=now())
    updated_at: Mapped[datetime] = mapped_column(server_default=now())


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
    received_at: Mapped[datetime] = mapped_column(server_default=now())


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
    created_at: Mapped[datetime] = mapped_column(server_default=now())


Index(
    "ix_datasets_search",
    search_vector(Dataset.name, Dataset.description),
    postgresql_using="gin",
)
Index("ix_jobs_search", search_vector(Job.name, Job.description), postgresql_using="gin")
