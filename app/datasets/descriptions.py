"""Entities that describe datasets: the links that make the knowledge graph and the lineage
graph one graph. Same write shape as everything else: record, outbox event, audit row."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.checks import check_dataset_access, check_entity_access
from app.access.control import AccessControl
from app.core.db import SessionFactory, among
from app.core.errors import BadUserInput, NotFound
from app.core.models import Dataset, Entity, EntityDataset
from app.core.records import grouped_in_key_order
from app.core.scope import Scope
from app.journal.outbox import append_event
from app.journal.record import record_change


def description_graph_payload(link: EntityDataset) -> dict[str, Any]:
    return {
        "entity_id": str(link.entity_id),
        "dataset_id": str(link.dataset_id),
        "org": str(link.organization_id),
    }


async def reannounce(session: AsyncSession, scope: Scope, link: EntityDataset) -> int:
    """Send a link to the graph again, after a deletion of one of its ends dropped it there
    and a restore brought that end back. Returns the event's sequence."""
    return await append_event(
        session,
        scope=scope,
        aggregate_type="dataset",
        aggregate_id=link.dataset_id,
        event_type="description.created",
        version=1,
        payload=description_graph_payload(link),
    )


async def describe_dataset(
    sessions: SessionFactory,
    *,
    scope: Scope,
    entity_id: uuid.UUID,
    dataset_id: uuid.UUID,
    access: AccessControl | None = None,
) -> int:
    """Link an entity to a dataset it describes; returns the change's sequence (0: known).
    The link changes both ends, so `access` (None for system callers) must let the caller
    write both; one they may not read does not exist for them."""
    async with sessions() as session, session.begin():
        await _check_endpoints(session, scope, entity_id, dataset_id, access)
        inserted = await session.scalar(
            insert(EntityDataset)
            .values(
                entity_id=entity_id, dataset_id=dataset_id, organization_id=scope.organization_id
            )
            .on_conflict_do_nothing()
            .returning(EntityDataset.entity_id)
        )
        if inserted is None:
            return 0
        return await _record(session, scope, entity_id, dataset_id, "description.created")


async def undescribe_dataset(
    sessions: SessionFactory,
    *,
    scope: Scope,
    entity_id: uuid.UUID,
    dataset_id: uuid.UUID,
    access: AccessControl | None = None,
) -> int:
    """Remove a link; `access` as for `describe_dataset`."""
    async with sessions() as session, session.begin():
        link = await session.get(EntityDataset, (entity_id, dataset_id), with_for_update=True)
        if link is None or link.organization_id != scope.organization_id:
            raise NotFound("This entity does not describe this dataset.")
        if access is not None:
            entity = await session.get(Entity, entity_id)
            if entity is not None:
                check_entity_access(access, entity, "write")
            dataset = await session.get(Dataset, dataset_id)
            if dataset is not None:
                check_dataset_access(access, dataset, "write")
        await session.delete(link)
        return await _record(session, scope, entity_id, dataset_id, "description.deleted")


async def datasets_of_entities(
    session: AsyncSession, *, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[list[Dataset]]:
    rows = await session.execute(
        select(EntityDataset.entity_id, Dataset)
        .join(Dataset, Dataset.id == EntityDataset.dataset_id)
        .where(
            EntityDataset.organization_id == organization_id,
            among(EntityDataset.entity_id, ids),
            Dataset.deleted_at.is_(None),
        )
        .order_by(Dataset.namespace, Dataset.name)
    )
    pairs = grouped_in_key_order(rows, ids, key=lambda row: row[0])
    return [[dataset for _, dataset in group] for group in pairs]


async def entities_of_datasets(
    session: AsyncSession, *, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[list[Entity]]:
    rows = await session.execute(
        select(EntityDataset.dataset_id, Entity)
        .join(Entity, Entity.id == EntityDataset.entity_id)
        .where(
            EntityDataset.organization_id == organization_id,
            among(EntityDataset.dataset_id, ids),
            Entity.deleted_at.is_(None),
        )
        .order_by(Entity.name, Entity.id)
    )
    pairs = grouped_in_key_order(rows, ids, key=lambda row: row[0])
    return [[entity for _, entity in group] for group in pairs]


async def live_descriptions_in_batches(
    session: AsyncSession, *, batch_size: int, after: tuple[uuid.UUID, uuid.UUID] | None = None
) -> list[EntityDataset]:
    query = (
        select(EntityDataset)
        .join(Entity, Entity.id == EntityDataset.entity_id)
        .join(Dataset, Dataset.id == EntityDataset.dataset_id)
        .where(Entity.deleted_at.is_(None), Dataset.deleted_at.is_(None))
        .order_by(EntityDataset.entity_id, EntityDataset.dataset_id)
    )
    if after is not None:
        query = query.where(
            (EntityDataset.entity_id > after[0])
            | ((EntityDataset.entity_id == after[0]) & (EntityDataset.dataset_id > after[1]))
        )
    return list(await session.scalars(query.limit(batch_size)))


async def _check_endpoints(
    session: AsyncSession,
    scope: Scope,
    entity_id: uuid.UUID,
    dataset_id: uuid.UUID,
    access: AccessControl | None,
) -> None:
    entity = await session.get(Entity, entity_id)
    if entity is None or entity.organization_id != scope.organization_id or entity.deleted_at:
        raise BadUserInput("entityId does not name an existing entity.", field="entityId")
    dataset = await session.get(Dataset, dataset_id)
    if dataset is None or dataset.organization_id != scope.organization_id or dataset.deleted_at:
        raise BadUserInput("datasetId does not name an existing dataset.", field="datasetId")
    check_entity_access(access, entity, "write", field="entityId")
    check_dataset_access(access, dataset, "write", field="datasetId")


async def _record(
    session: AsyncSession,
    scope: Scope,
    entity_id: uuid.UUID,
    dataset_id: uuid.UUID,
    event_type: str,
) -> int:
    payload = {
        "entity_id": str(entity_id),
        "dataset_id": str(dataset_id),
        "org": str(scope.organization_id),
    }
    created = event_type == "description.created"
    seq = await record_change(
        session,
        scope=scope,
        aggregate_type="dataset",
        aggregate_id=dataset_id,
        event_type=event_type,
        version=1,
        payload=payload,
        action="dataset.describe" if created else "dataset.undescribe",
        before=None if created else payload,
        after=payload if created else None,
    )
    return seq
