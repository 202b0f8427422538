"""Entities and their relationships: the records, how they are read, and what the graph and
the audit log are told about them (`app.entities.writes` changes them)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import validation
from app.core.db import SessionFactory, among
from app.core.errors import NotFound
from app.core.models import Entity, Relationship
from app.core.pagination import Cursor, Page
from app.core.records import in_key_order
from app.core.scope import Scope

EntitySortField = Literal["name", "created_at", "updated_at"]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class EntityFilter:
    kinds: Sequence[str] = ()
    tags: Sequence[str] = ()
    name_prefix: str | None = None
    include_deleted: bool = False
    # What the caller may see, as SQL (`AccessControl.hidden_entities_clause`).
    visible: Any = None


@dataclass(frozen=True, slots=True)
class EntityOrder:
    field: EntitySortField = "name"
    descending: bool = False


# --- reads -------------------------------------------------------------------------------


async def entities_by_ids(
    session: AsyncSession, *, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Entity | None]:
    """One statement for all ids; results in key order, None for a miss."""
    rows = await session.scalars(
        select(Entity).where(Entity.organization_id == organization_id, among(Entity.id, ids))
    )
    return in_key_order(rows, ids)


async def relationships_by_ids(
    session: AsyncSession, *, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Relationship | None]:
    rows = await session.scalars(
        select(Relationship).where(
            Relationship.organization_id == organization_id, among(Relationship.id, ids)
        )
    )
    return in_key_order(rows, ids)


def _sort_column(order: EntityOrder) -> Any:
    return {
        "name": Entity.name,
        "created_at": Entity.created_at,
        "updated_at": Entity.updated_at,
    }[order.field]


def _filtered(organization_id: uuid.UUID, flt: EntityFilter) -> Select[Entity]:
    query = select(Entity).where(Entity.organization_id == organization_id)
    if flt.visible is not None:
        query = query.where(flt.visible)
    if not flt.include_deleted:
        query = query.where(Entity.deleted_at.is_(None))
    if flt.kinds:
        query = query.where(Entity.kind.in_([k.lower() for k in flt.kinds]))
    if flt.tags:
        query = query.where(Entity.tags.contains([t.lower() for t in flt.tags]))
    if flt.name_prefix:
        escaped = flt.name_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Entity.name.ilike(f"{escaped}%", escape="\\"))
    return query


async def list_entities(
    sessions: SessionFactory,
    *,
    organization_id: uuid.UUID,
    flt: EntityFilter,
    order: EntityOrder,
    first: int,
    after: Cursor | None,
) -> Page[Entity]:
    """A keyset page: stable under concurrent inserts, no OFFSET scans."""
    column = _sort_column(order)
    query = _filtered(organization_id, flt)
    if after is not None:
        key = (after.sort_value(order.field), after.id)
        if order.descending:
            query = query.where(tuple_(column, Entity.id) < key)
        else:
            query = query.where(tuple_(column, Entity.id) > key)
    if order.descending:
        query = query.order_by(column.desc(), Entity.id.desc())
    else:
        query = query.order_by(column.asc(), Entity.id.asc())
    async with sessions() as session:
        rows = list(await session.scalars(query.limit(first + 1)))
    items = rows[:first]
    return Page(
        items=items,
        has_next=len(rows) > first,
        cursors=[Cursor.for_entity(item, order.field) for item in items],
    )


async def count_entities(
    sessions: SessionFactory, *, organization_id: uuid.UUID, flt: EntityFilter
) -> int:
    subquery = _filtered(organization_id, flt).with_only_columns(Entity.id).subquery()
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


async def active_entities_in_batches(
    session: AsyncSession, *, batch_size: int, after: uuid.UUID | None = None
) -> list[Entity]:
    query = select(Entity).where(Entity.deleted_at.is_(None)).order_by(Entity.id)
    if after is not None:
        query = query.where(Entity.id > after)
    return list(await session.scalars(query.limit(batch_size)))


async def active_relationships_in_batches(
    session: AsyncSession, *, batch_size: int, after: uuid.UUID | None = None
) -> list[Relationship]:
    source = Entity.__table__.alias("source")
    target = Entity.__table__.alias("target")
    query = (
        select(Relationship)
        .join(source, source.c.id == Relationship.source_id)
        .join(target, target.c.id == Relationship.target_id)
        .where(source.c.deleted_at.is_(None), target.c.deleted_at.is_(None))
        .order_by(Relationship.id)
    )
    if after is not None:
        query = query.where(Relationship.id > after)
    return list(await session.scalars(query.limit(batch_size)))


# --- graph payloads ----------------------------------------------------------------------


def entity_graph_payload(entity: Entity) -> dict[str, Any]:
    """What the Neo4j node holds: enough to traverse, filter and search without Postgres."""
    return {
        "id": str(entity.id),
        "org": str(entity.organization_id),
        "kind": entity.kind,
        "name": entity.name,
        "tags": list(entity.tags),
        "confidence": entity.confidence,
        "version": entity.version,
    }


def relationship_graph_payload(rel: Relationship) -> dict[str, Any]:
    return {
        "id": str(rel.id),
        "org": str(rel.organization_id),
        "source_id": str(rel.source_id),
        "target_id": str(rel.target_id),
        "type": rel.type,
        "confidence": rel.confidence,
    }


def entity_snapshot(entity: Entity) -> dict[str, Any]:
    return {
        "id": str(entity.id),
        "kind": entity.kind,
        "name": entity.name,
        "description": entity.description,
        "properties": entity.properties,
        "confidence": entity.confidence,
        "tags": list(entity.tags),
        "version": entity.version,
        "deleted": entity.deleted_at is not None,
    }


async def find_relationship(
    sessions: SessionFactory,
    *,
    scope: Scope,
    source_id: uuid.UUID,
    target_id: uuid.UUID,
    type: str,
) -> uuid.UUID:
    rel_type = validation.relationship_type(type, field="type")
    async with sessions() as session:
        rel_id = await session.scalar(
            select(Relationship.id).where(
                Relationship.organization_id == scope.organization_id,
                Relationship.source_id == source_id,
                Relationship.target_id == target_id,
                Relationship.type == rel_type,
            )
        )
    if rel_id is None:
        raise NotFound(f"These entities are not related by {rel_type}.")
    return rel_id


def timestamp_or_none(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
