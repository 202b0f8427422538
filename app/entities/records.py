"""Entities and their relationships: records, reads and the write use cases.

Each write use case is one Postgres transaction holding the record rows, an outbox event per
graph change and an audit row. It returns the event's sequence number so the caller can wait
for the projection (read-your-writes).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import Select, and_, func, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.control import AccessControl, check_entity_access, check_entity_write
from app.core import validation
from app.core.db import SessionFactory, among
from app.core.errors import BadUserInput, Conflict, NotFound
from app.core.models import Dataset, Entity, EntityDataset, EntityVersion, Policy, Relationship
from app.core.pagination import Cursor, Page
from app.core.scope import Scope
from app.datasets import descriptions
from app.journal.audit import record_audit
from app.journal.outbox import append_event
from app.policies import records as policies_records

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


@dataclass(frozen=True, slots=True)
class EntityChanges:
    """Fields to change; None leaves a field as it is (description may be cleared with "")."""

    kind: str | None = None
    name: str | None = None
    description: str | None = None
    properties: Any = None
    confidence: float | None = None
    tags: list[str] | None = None


@dataclass(frozen=True, slots=True)
class WriteResult(Generic[T]):
    """The written record and the sequence number of its graph change (0: nothing changed)."""

    record: T
    seq: int


# --- reads -------------------------------------------------------------------------------


async def entities_by_ids(
    session: AsyncSession, *, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Entity | None]:
    """One statement for all ids; results in key order, None for a miss."""
    rows = await session.scalars(
        select(Entity).where(Entity.organization_id == organization_id, among(Entity.id, ids))
    )
    found = {row.id: row for row in rows}
    return [found.get(key) for key in ids]


async def relationships_by_ids(
    session: AsyncSession, *, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Relationship | None]:
    rows = await session.scalars(
        select(Relationship).where(
            Relationship.organization_id == organization_id, among(Relationship.id, ids)
        )
    )
    found = {row.id: row for row in rows}
    return [found.get(key) for key in ids]


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


# --- writes ------------------------------------------------------------------------------


async def create_entity(
    sessions: SessionFactory,
    *,
    scope: Scope,
    kind: str,
    name: str,
    description: str | None = None,
    properties: Any = None,
    confidence: float = 1.0,
    tags: Sequence[str] = (),
    access: AccessControl | None = None,
) -> WriteResult[Entity]:
    entity = Entity(
        id=uuid.uuid4(),
        organization_id=scope.organization_id,
        kind=validation.kind(kind, field="kind"),
        name=validation.name(name, field="name"),
        description=validation.description(description, field="description"),
        properties=validation.properties(properties, field="properties"),
        confidence=validation.confidence(confidence, field="confidence"),
        tags=validation.tags(list(tags), field="tags"),
        version=1,
        owner_id=scope.policy_user_id,
    )
    check_entity_write(access, entity)
    async with sessions() as session, session.begin():
        session.add(entity)
        await session.flush()
        await session.refresh(entity)
        seq = await _record_entity_change(session, scope, entity, "entity.created", before=None)
    return WriteResult(entity, seq)


async def update_entity(
    sessions: SessionFactory,
    *,
    scope: Scope,
    entity_id: uuid.UUID,
    expected_version: int | None,
    changes: EntityChanges,
    access: AccessControl | None = None,
) -> WriteResult[Entity]:
    cleaned = _clean_changes(changes)
    async with sessions() as session, session.begin():
        entity = await _locked_entity(session, scope, entity_id)
        check_entity_access(access, entity, "write")
        if entity.deleted_at is not None:
            raise Conflict("The entity is deleted; restore it before updating.", id=str(entity_id))
        _check_version(entity, expected_version)
        if all(getattr(entity, attr) == value for attr, value in cleaned.items()):
            return WriteResult(entity, 0)
        before = entity_snapshot(entity)
        for attribute, value in cleaned.items():
            setattr(entity, attribute, value)
        check_entity_write(access, entity)
        entity.version += 1
        entity.updated_at = func.now()
        await session.flush()
        await session.refresh(entity)
        seq = await _record_entity_change(session, scope, entity, "entity.updated", before=before)
    return WriteResult(entity, seq)


async def delete_entity(
    sessions: SessionFactory,
    *,
    scope: Scope,
    entity_id: uuid.UUID,
    expected_version: int | None,
    access: AccessControl | None = None,
) -> WriteResult[Entity]:
    async with sessions() as session, session.begin():
        entity = await _locked_entity(session, scope, entity_id)
        check_entity_access(access, entity, "delete")
        if entity.deleted_at is not None:
            raise Conflict("The entity is already deleted.", id=str(entity_id))
        _check_version(entity, expected_version)
        before = entity_snapshot(entity)
        entity.version += 1
        entity.deleted_at = func.now()
        entity.updated_at = func.now()
        await session.flush()
        await session.refresh(entity)
        seq = await _record_entity_change(session, scope, entity, "entity.deleted", before=before)
    return WriteResult(entity, seq)


async def restore_entity(
    sessions: SessionFactory,
    *,
    scope: Scope,
    entity_id: uuid.UUID,
    access: AccessControl | None = None,
) -> WriteResult[Entity]:
    async with sessions() as session, session.begin():
        entity = await _locked_entity(session, scope, entity_id)
        check_entity_access(access, entity, "delete")
        if entity.deleted_at is None:
            raise Conflict("The entity is not deleted.", id=str(entity_id))
        before = entity_snapshot(entity)
        entity.version += 1
        entity.deleted_at = None
        entity.updated_at = func.now()
        await session.flush()
        await session.refresh(entity)
        # The graph dropped the node and its edges on delete; bring back every edge whose
        # other end is alive.
        relationships = await _live_relationships_of(session, entity.id)
        seq = await _record_entity_change(
            session,
            scope,
            entity,
            "entity.restored",
            before=before,
            extra={"relationships": [relationship_graph_payload(r) for r in relationships]},
        )
        seq = await _reproject_links_of(session, scope, entity.id) or seq
    return WriteResult(entity, seq)


async def _reproject_links_of(session: AsyncSession, scope: Scope, entity_id: uuid.UUID) -> int:
    """The rest of what deleting an entity dropped from the graph: its links to the datasets
    it describes, and the policies that name it. Returns the last sequence (0: none)."""
    seq = 0
    links = await session.scalars(
        select(EntityDataset)
        .join(Dataset, Dataset.id == EntityDataset.dataset_id)
        .where(EntityDataset.entity_id == entity_id, Dataset.deleted_at.is_(None))
        .order_by(EntityDataset.dataset_id)
    )
    for link in links:
        seq = await descriptions.reannounce(session, scope, link)
    policies = await session.scalars(
        select(Policy)
        .where(
            Policy.organization_id == scope.organization_id,
            Policy.deleted_at.is_(None),
            Policy.resource_ids.contains([entity_id]),
        )
        .order_by(Policy.id)
    )
    for policy in policies:
        seq = await policies_records.announce(session, scope, policy)
    return seq


async def relate_entities(
    sessions: SessionFactory,
    *,
    scope: Scope,
    source_id: uuid.UUID,
    target_id: uuid.UUID,
    type: str,
    confidence: float = 1.0,
    properties: Any = None,
    access: AccessControl | None = None,
) -> WriteResult[Relationship]:
    rel_type = validation.relationship_type(type, field="type")
    rel_confidence = validation.confidence(confidence, field="confidence")
    rel_properties = validation.properties(properties, field="properties")
    if source_id == target_id:
        raise BadUserInput("An entity cannot relate to itself.", field="targetId")
    async with sessions() as session, session.begin():
        endpoints = await entities_by_ids(
            session, organization_id=scope.organization_id, ids=[source_id, target_id]
        )
        for endpoint, field_name in zip(endpoints, ("sourceId", "targetId"), strict=True):
            if endpoint is None or endpoint.deleted_at is not None:
                raise BadUserInput(
                    f"{field_name} does not name an existing entity.", field=field_name
                )
            check_entity_access(access, endpoint, "write", field=field_name)
        existing = await session.scalar(
            select(Relationship).where(
                Relationship.source_id == source_id,
                Relationship.target_id == target_id,
                Relationship.type == rel_type,
            )
        )
        if existing is not None:
            raise Conflict(
                f"These entities are already related by {rel_type}.",
                relationshipId=str(existing.id),
            )
        rel = Relationship(
            id=uuid.uuid4(),
            organization_id=scope.organization_id,
            source_id=source_id,
            target_id=target_id,
            type=rel_type,
            confidence=rel_confidence,
            properties=rel_properties,
        )
        session.add(rel)
        try:
            await session.flush()
        except IntegrityError as exc:
            # The same relationship, created by a concurrent request since the check above.
            raise Conflict(f"These entities are already related by {rel_type}.") from exc
        await session.refresh(rel)
        payload = relationship_graph_payload(rel)
        seq = await append_event(
            session,
            scope=scope,
            aggregate_type="relationship",
            aggregate_id=rel.id,
            event_type="relationship.created",
            version=1,
            payload=payload,
        )
        record_audit(
            session,
            scope=scope,
            action="relationship.create",
            target_type="relationship",
            target_id=rel.id,
            after=payload | {"properties": rel.properties},
        )
    return WriteResult(rel, seq)


async def unrelate_entities(
    sessions: SessionFactory,
    *,
    scope: Scope,
    relationship_id: uuid.UUID,
    access: AccessControl | None = None,
) -> WriteResult[Relationship]:
    async with sessions() as session, session.begin():
        rel = await session.scalar(
            select(Relationship)
            .where(
                Relationship.id == relationship_id,
                Relationship.organization_id == scope.organization_id,
            )
            .with_for_update()
        )
        if rel is None:
            raise NotFound("No relationship has this id.", id=str(relationship_id))
        if access is not None:
            for endpoint in await entities_by_ids(
                session, organization_id=scope.organization_id, ids=[rel.source_id, rel.target_id]
            ):
                if endpoint is not None:
                    check_entity_access(access, endpoint, "write")
        payload = relationship_graph_payload(rel)
        await session.delete(rel)
        seq = await append_event(
            session,
            scope=scope,
            aggregate_type="relationship",
            aggregate_id=rel.id,
            event_type="relationship.deleted",
            version=2,
            payload=payload,
        )
        record_audit(
            session,
            scope=scope,
            action="relationship.delete",
            target_type="relationship",
            target_id=rel.id,
            before=payload | {"properties": rel.properties},
        )
    return WriteResult(rel, seq)


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


# --- helpers -----------------------------------------------------------------------------


def _clean_changes(changes: EntityChanges) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if changes.kind is not None:
        cleaned["kind"] = validation.kind(changes.kind, field="kind")
    if changes.name is not None:
        cleaned["name"] = validation.name(changes.name, field="name")
    if changes.description is not None:
        cleaned["description"] = validation.description(changes.description, field="description")
    if changes.properties is not None:
        cleaned["properties"] = validation.properties(changes.properties, field="properties")
    if changes.confidence is not None:
        cleaned["confidence"] = validation.confidence(changes.confidence, field="confidence")
    if changes.tags is not None:
        cleaned["tags"] = validation.tags(changes.tags, field="tags")
    return cleaned


async def _locked_entity(session: AsyncSession, scope: Scope, entity_id: uuid.UUID) -> Entity:
    entity = await session.scalar(
        select(Entity)
        .where(Entity.id == entity_id, Entity.organization_id == scope.organization_id)
        .with_for_update()
    )
    if entity is None:
        raise NotFound("No entity has this id.", id=str(entity_id))
    return entity


def _check_version(entity: Entity, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != entity.version:
        raise Conflict(
            f"The entity is at version {entity.version}, not {expected_version}: "
            "someone changed it since you read it. Reload it and apply your change again.",
            currentVersion=entity.version,
        )


async def _live_relationships_of(session: AsyncSession, entity_id: uuid.UUID) -> list[Relationship]:
    other = Entity.__table__.alias("other")
    query = (
        select(Relationship)
        .join(
            other,
            or_(
                and_(Relationship.source_id == entity_id, other.c.id == Relationship.target_id),
                and_(Relationship.target_id == entity_id, other.c.id == Relationship.source_id),
            ),
        )
        .where(other.c.deleted_at.is_(None))
    )
    return list(await session.scalars(query))


async def _record_entity_change(
    session: AsyncSession,
    scope: Scope,
    entity: Entity,
    event_type: str,
    *,
    before: dict[str, Any] | None,
    extra: dict[str, Any] | None = None,
) -> int:
    snapshot = entity_snapshot(entity)
    session.add(EntityVersion(entity_id=entity.id, version=entity.version, snapshot=snapshot))
    seq = await append_event(
        session,
        scope=scope,
        aggregate_type="entity",
        aggregate_id=entity.id,
        event_type=event_type,
        version=entity.version,
        payload=entity_graph_payload(entity) | (extra or {}),
    )
    record_audit(
        session,
        scope=scope,
        action=event_type.replace("created", "create")
        .replace("updated", "update")
        .replace("deleted", "delete")
        .replace("restored", "restore"),
        target_type="entity",
        target_id=entity.id,
        before=before,
        after=snapshot,
    )
    return seq


def timestamp_or_none(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
