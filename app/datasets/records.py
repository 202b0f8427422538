"""Datasets: records, reads and the write use cases (GraphQL and OpenLineage ingest alike).

A dataset is unique per organisation by namespace + name. Its schema (`fields`) is versioned:
every change of the field list adds a `DatasetVersion`. Every write is one transaction with the
record, an outbox event carrying the dataset's whole graph payload, and an audit row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.access.checks import check_dataset_access, check_dataset_write
from app.access.control import DATASET_COLUMNS, AccessControl
from app.core import validation
from app.core.db import SessionFactory, among, fetch_records, select_list
from app.core.errors import BadUserInput, Conflict
from app.core.models import Dataset, DatasetVersion, Entity, EntityDataset, Job
from app.core.pagination import Cursor, Page
from app.core.records import grouped_in_key_order, in_key_order, lock_by_name, lock_in_organization
from app.core.scope import Scope
from app.datasets import descriptions
from app.datasets.jobs import record_job_change
from app.journal.record import WriteResult, record_change

# --- reads -------------------------------------------------------------------------------


async def datasets_by_ids(
    session: AsyncSession, *, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Dataset | None]:
    rows = await session.scalars(
        select(Dataset).where(Dataset.organization_id == organization_id, among(Dataset.id, ids))
    )
    return in_key_order(rows, ids)


# Built once from the model's columns; the request's values travel as parameters.
_BY_IDS = (
    f"SELECT {select_list(Dataset)} FROM datasets "  # noqa: S608
    "WHERE organization_id = $1 AND id = ANY($2::uuid[])"
)


async def dataset_records(
    engine: AsyncEngine, *, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Dataset | None]:
    """`datasets_by_ids` for the DataLoader that serves every read of a dataset by id:
    the same rows, as read-only records, without an ORM session (`app.db.fetch_records`)."""
    rows = await fetch_records(engine, Dataset, _BY_IDS, organization_id, list(ids))
    return in_key_order(rows, ids)


async def readable_ids(
    session: AsyncSession, *, access: AccessControl, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these datasets exist and the caller may read, decided in SQL
    (`AccessControl.allowed_clause`) without loading their records."""
    rows = await session.scalars(
        select(Dataset.id).where(
            Dataset.organization_id == access.scope.organization_id,
            among(Dataset.id, ids),
            access.allowed_clause("read", DATASET_COLUMNS),
        )
    )
    return set(rows)


async def dataset_by_name(
    sessions: SessionFactory, *, organization_id: uuid.UUID, namespace: str, name: str
) -> Dataset | None:
    async with sessions() as session:
        return await session.scalar(
            select(Dataset).where(
                Dataset.organization_id == organization_id,
                Dataset.namespace == namespace.strip(),
                Dataset.name == name.strip(),
            )
        )


async def versions_by_dataset_ids(
    session: AsyncSession, *, ids: Sequence[uuid.UUID]
) -> list[list[DatasetVersion]]:
    rows = await session.scalars(
        select(DatasetVersion)
        .where(among(DatasetVersion.dataset_id, ids))
        .order_by(DatasetVersion.dataset_id, DatasetVersion.version)
    )
    return grouped_in_key_order(rows, ids, key=lambda row: row.dataset_id)


async def list_datasets(
    sessions: SessionFactory,
    *,
    organization_id: uuid.UUID,
    namespace: str | None,
    first: int,
    after: Cursor | None,
    visible: Any = None,
) -> Page[Dataset]:
    """Keyset pages ordered by (namespace, name); deleted datasets, and those `visible`
    (`AccessControl.visible_clause`) leaves out, are left out."""
    query = select(Dataset).where(
        Dataset.organization_id == organization_id, Dataset.deleted_at.is_(None)
    )
    if visible is not None:
        query = query.where(visible)
    if namespace is not None:
        query = query.where(Dataset.namespace == namespace.strip())
    if after is not None:
        key = after.value if isinstance(after.value, list) and len(after.value) == 2 else None
        if key is None:
            raise BadUserInput("after is not a dataset cursor.", field="after")
        query = query.where(tuple_(Dataset.namespace, Dataset.name) > (key[0], key[1]))
    query = query.order_by(Dataset.namespace, Dataset.name).limit(first + 1)
    async with sessions() as session:
        rows = list(await session.scalars(query))
    items = rows[:first]
    return Page(
        items=items,
        has_next=len(rows) > first,
        cursors=[Cursor(value=[d.namespace, d.name], id=d.id) for d in items],
    )


async def active_datasets_in_batches(
    session: AsyncSession, *, batch_size: int, after: uuid.UUID | None = None
) -> list[Dataset]:
    query = select(Dataset).where(Dataset.deleted_at.is_(None)).order_by(Dataset.id)
    if after is not None:
        query = query.where(Dataset.id > after)
    return list(await session.scalars(query.limit(batch_size)))


# --- graph payloads ----------------------------------------------------------------------


def field_id(dataset_id: uuid.UUID | str, field_name: str) -> str:
    """Graph id of a column: the dataset id (a UUID, so no ':' inside) and the field name."""
    return f"{dataset_id}:{field_name}"


def dataset_graph_payload(dataset: Dataset) -> dict[str, Any]:
    return {
        "id": str(dataset.id),
        "org": str(dataset.organization_id),
        "namespace": dataset.namespace,
        "name": dataset.name,
        "tags": list(dataset.tags),
        "owners": list(dataset.owners),
        "version": dataset.version,
        "fields": [
            {
                "id": field_id(dataset.id, f["name"]),
                "name": f["name"],
                "type": f.get("type"),
                "tags": list(f.get("tags") or []),
            }
            for f in dataset.fields
        ],
        "lineage": [
            {
                "target": field_id(dataset.id, link["field"]),
                "target_name": link["field"],
                "source": field_id(link["source_dataset"], link["source_field"]),
                "source_dataset": link["source_dataset"],
                "source_name": link["source_field"],
                "transformation": link.get("transformation"),
            }
            for link in dataset.column_lineage
        ],
    }


def dataset_snapshot(dataset: Dataset) -> dict[str, Any]:
    return {
        "id": str(dataset.id),
        "namespace": dataset.namespace,
        "name": dataset.name,
        "description": dataset.description,
        "owners": list(dataset.owners),
        "tags": list(dataset.tags),
        "schemaVersion": dataset.schema_version,
        "version": dataset.version,
        "deleted": dataset.deleted_at is not None,
    }


# --- writes ------------------------------------------------------------------------------


async def upsert_dataset(
    sessions: SessionFactory,
    *,
    scope: Scope,
    namespace: str,
    name: str,
    description: str | None = None,
    owners: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
    fields: list[dict[str, Any]] | None = None,
    access: AccessControl | None = None,
) -> WriteResult[Dataset]:
    """Create the dataset, or change the given attributes of the existing one; `access`
    (None for system callers) must allow writing an existing one, and what it becomes."""
    ns = validation.namespace(namespace, field="namespace")
    nm = validation.dataset_name(name, field="name")
    changes: dict[str, Any] = {}
    if description is not None:
        changes["description"] = validation.description(description, field="description")
    if owners is not None:
        changes["owners"] = validation.owners(list(owners), field="owners")
    if tags is not None:
        changes["tags"] = validation.tags(list(tags), field="tags")
    schema = validation.schema_fields(fields, field="fields") if fields is not None else None
    async with sessions() as session, session.begin():
        dataset, created = await lock_by_name(session, Dataset, scope, ns, nm)
        if not created:
            check_dataset_access(access, dataset, "write")
        before = None if created else dataset_snapshot(dataset)
        restored = dataset.deleted_at is not None
        changed = created or restored
        for attribute, value in changes.items():
            if getattr(dataset, attribute) != value:
                setattr(dataset, attribute, value)
                changed = True
        if schema is not None:
            changed = add_schema_version(session, dataset, schema) or changed
        if not changed:
            return WriteResult(dataset, 0)
        check_dataset_write(access, dataset)
        dataset.deleted_at = None
        seq = await record_dataset_change(
            session, scope, dataset, "dataset.upserted", before=before, created=created
        )
        if restored:
            seq = await reproject_links_of(session, scope, dataset.id) or seq
    return WriteResult(dataset, seq)


async def update_dataset_schema(
    sessions: SessionFactory,
    *,
    scope: Scope,
    dataset_id: uuid.UUID,
    fields: list[dict[str, Any]],
    access: AccessControl | None = None,
) -> WriteResult[Dataset]:
    schema = validation.schema_fields(fields, field="fields")
    async with sessions() as session, session.begin():
        dataset = await lock_in_organization(session, Dataset, scope, dataset_id, noun="dataset")
        check_dataset_access(access, dataset, "write")
        if dataset.deleted_at is not None:
            raise Conflict("The dataset is deleted.", id=str(dataset_id))
        before = dataset_snapshot(dataset)
        if not add_schema_version(session, dataset, schema):
            return WriteResult(dataset, 0)
        seq = await record_dataset_change(
            session, scope, dataset, "dataset.upserted", before=before
        )
    return WriteResult(dataset, seq)


async def delete_dataset(
    sessions: SessionFactory,
    *,
    scope: Scope,
    dataset_id: uuid.UUID,
    access: AccessControl | None = None,
) -> WriteResult[Dataset]:
    """Soft delete: the record stays (with its versions); the graph drops node and edges."""
    async with sessions() as session, session.begin():
        dataset = await lock_in_organization(session, Dataset, scope, dataset_id, noun="dataset")
        check_dataset_access(access, dataset, "delete")
        if dataset.deleted_at is not None:
            raise Conflict("The dataset is already deleted.", id=str(dataset_id))
        before = dataset_snapshot(dataset)
        dataset.deleted_at = func.now()
        seq = await record_dataset_change(session, scope, dataset, "dataset.deleted", before=before)
    return WriteResult(dataset, seq)


# --- building blocks shared with OpenLineage ingest ----------------------------------------


def add_schema_version(
    session: AsyncSession, dataset: Dataset, fields: list[dict[str, Any]]
) -> bool:
    """Record `fields` as a new schema version unless they equal the current schema."""
    if dataset.schema_version > 0 and dataset.fields == fields:
        return False
    dataset.fields = fields
    dataset.schema_version += 1
    session.add(
        DatasetVersion(dataset_id=dataset.id, version=dataset.schema_version, fields=fields)
    )
    return True


async def record_dataset_change(
    session: AsyncSession,
    scope: Scope,
    dataset: Dataset,
    event_type: str,
    *,
    before: dict[str, Any] | None,
    created: bool = False,
) -> int:
    dataset.version += 1
    dataset.updated_at = func.now()
    await session.flush()
    await session.refresh(dataset)
    snapshot = dataset_snapshot(dataset)
    action = "dataset.delete" if event_type == "dataset.deleted" else "dataset.upsert"
    seq = await record_change(
        session,
        scope=scope,
        aggregate_type="dataset",
        aggregate_id=dataset.id,
        event_type=event_type,
        version=dataset.version,
        payload=dataset_graph_payload(dataset),
        action="dataset.create" if created else action,
        before=before,
        after=snapshot,
    )
    return seq


async def reproject_links_of(session: AsyncSession, scope: Scope, dataset_id: uuid.UUID) -> int:
    """A restored dataset gets back what its deletion dropped from the graph: the edges of
    every job that touches it, the column lineage of datasets computed from it, and the
    entities that describe it. Returns the last sequence number (0: nothing to re-announce)."""
    seq = 0
    jobs = await session.scalars(
        select(Job)
        .where(
            Job.organization_id == scope.organization_id,
            or_(Job.inputs.contains([dataset_id]), Job.outputs.contains([dataset_id])),
        )
        .order_by(Job.id)
        .with_for_update()
    )
    for job in jobs:
        seq = await record_job_change(session, scope, job)
    readers = await session.scalars(
        select(Dataset)
        .where(
            Dataset.organization_id == scope.organization_id,
            Dataset.id != dataset_id,
            Dataset.deleted_at.is_(None),
            Dataset.column_lineage.contains([{"source_dataset": str(dataset_id)}]),
        )
        .order_by(Dataset.id)
        .with_for_update()
    )
    for reader in readers:
        seq = await record_dataset_change(
            session, scope, reader, "dataset.upserted", before=dataset_snapshot(reader)
        )
    links = await session.scalars(
        select(EntityDataset)
        .join(Entity, Entity.id == EntityDataset.entity_id)
        .where(EntityDataset.dataset_id == dataset_id, Entity.deleted_at.is_(None))
        .order_by(EntityDataset.entity_id)
    )
    for link in links:
        seq = await descriptions.reannounce(session, scope, link)
    return seq
