"""Entities and their relationships: the write use cases.

Each write use case is one Postgres transaction holding the record rows, an outbox event per
graph change and an audit row. It returns the event's sequence number so the caller can wait
for the projection (read-your-writes).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.checks import check_entity_access, check_entity_write
from app.access.control import AccessControl
from app.core import validation
from app.core.db import SessionFactory
from app.core.errors import BadUserInput, Conflict
from app.core.models import Dataset, Entity, EntityDataset, EntityVersion, Policy, Relationship
from app.core.records import lock_in_organization
from app.core.scope import Scope
from app.datasets import descriptions
from app.entities.records import (
    entities_by_ids,
    entity_graph_payload,
    entity_snapshot,
    relationship_graph_payload,
)
from app.journal.record import WriteResult, record_change
from app.policies import records as policies_records


@dataclass(frozen=True, slots=True)
class EntityChanges:
    """Fields to change; None leaves a field as it is (description may be cleared with "")."""

    kind: str | None = None
    name: str | None = None
    description: str | None = None
    properties: Any = None
    confidence: float | None = None
    tags: list[str] | None = None


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
        entity = await lock_in_organization(session, Entity, scope, entity_id, noun="entity")
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
        entity = await lock_in_organization(session, Entity, scope, entity_id, noun="entity")
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
        entity = await lock_in_organization(session, Entity, scope, entity_id, noun="entity")
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
        seq = await record_change(
            session,
            scope=scope,
            aggregate_type="relationship",
            aggregate_id=rel.id,
            event_type="relationship.created",
            version=1,
            payload=payload,
            action="relationship.create",
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
        rel = await lock_in_organization(
            session, Relationship, scope, relationship_id, noun="relationship"
        )
        if access is not None:
            for endpoint in await entities_by_ids(
                session, organization_id=scope.organization_id, ids=[rel.source_id, rel.target_id]
            ):
                if endpoint is not None:
                    check_entity_access(access, endpoint, "write")
        payload = relationship_graph_payload(rel)
        await session.delete(rel)
        seq = await record_change(
            session,
            scope=scope,
            aggregate_type="relationship",
            aggregate_id=rel.id,
            event_type="relationship.deleted",
            version=2,
            payload=payload,
            action="relationship.delete",
            before=payload | {"properties": rel.properties},
        )
    return WriteResult(rel, seq)


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
    seq = await record_change(
        session,
        scope=scope,
        aggregate_type="entity",
        aggregate_id=entity.id,
        event_type=event_type,
        version=entity.version,
        payload=entity_graph_payload(entity) | (extra or {}),
        action=event_type.replace("created", "create")
        .replace("updated", "update")
        .replace("deleted", "delete")
        .replace("restored", "restore"),
        before=before,
        after=snapshot,
    )
    return seq
