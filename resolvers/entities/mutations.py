"""Entity mutations. Each is one use case in `app.entities.writes` (one transaction), then a
bounded wait for its graph projection so the caller can read its own write."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.scalars import JSON

from app.core import models
from app.core.errors import BadUserInput
from app.core.scope import Role
from app.entities import records, writes
from app.entities.writes import EntityChanges
from app.journal.record import WriteResult
from resolvers.context import Info
from resolvers.entities.types import Entity, Relationship
from resolvers.node import expect_global_id, to_global_id
from resolvers.permissions import requires


@strawberry.input
class CreateEntityInput:
    kind: str = strawberry.field(description="e.g. `person`, `team`, `service`, `concept`.")
    name: str
    description: str | None = None
    properties: JSON | None = strawberry.field(default=None, description="A JSON object.")
    confidence: float = 1.0
    tags: list[str] = strawberry.field(default_factory=list)


@strawberry.input(description="Fields left out stay as they are.")
class UpdateEntityInput:
    id: strawberry.ID
    expected_version: int | None = strawberry.field(
        default=None,
        description="The version you read; the update fails with CONFLICT if it moved on.",
    )
    kind: str | None = None
    name: str | None = None
    description: str | None = None
    properties: JSON | None = None
    confidence: float | None = None
    tags: list[str] | None = None


@strawberry.input
class RelateEntitiesInput:
    source_id: strawberry.ID
    target_id: strawberry.ID
    type: str = strawberry.field(description="UPPER_SNAKE_CASE, e.g. `DEPENDS_ON`.")
    confidence: float = 1.0
    properties: JSON | None = None


@strawberry.input(description="Either `relationshipId`, or `sourceId` + `targetId` + `type`.")
class UnrelateEntitiesInput:
    relationship_id: strawberry.ID | None = None
    source_id: strawberry.ID | None = None
    target_id: strawberry.ID | None = None
    type: str | None = None


@strawberry.interface
class ChangePayload:
    seq: int = strawberry.field(
        description="Sequence number of the change event; 0 when nothing changed."
    )
    graph_synced: bool = strawberry.field(
        description="True once the change is in the graph. False means it is committed and "
        "the graph will catch up shortly (e.g. while Neo4j is unavailable)."
    )


@strawberry.type
class EntityPayload(ChangePayload):
    entity: Entity


@strawberry.type
class RelationshipPayload(ChangePayload):
    relationship: Relationship


@strawberry.type
class UnrelatePayload(ChangePayload):
    relationship_id: strawberry.ID


async def _synced(info: Info, seq: int) -> bool:
    state = info.context.state
    return await state.projector.ensure_projected(
        seq, within=state.settings.projection_wait_timeout
    )


async def _entity_payload(info: Info, result: WriteResult[models.Entity]) -> EntityPayload:
    synced = await _synced(info, result.seq)
    shown = (await info.context.access()).present_written_entity(result.record)
    return EntityPayload(seq=result.seq, graph_synced=synced, entity=Entity(record=shown))


@strawberry.type
class EntityMutations:
    @strawberry.mutation(
        extensions=requires(Role.EDITOR),
        description="Create an entity.",
    )
    async def create_entity(self, info: Info, input: CreateEntityInput) -> EntityPayload:
        result = await writes.create_entity(
            info.context.state.sessions,
            scope=info.context.scope,
            kind=input.kind,
            name=input.name,
            description=input.description,
            properties=input.properties,
            confidence=input.confidence,
            tags=input.tags,
            access=await info.context.access(),
        )
        return await _entity_payload(info, result)

    @strawberry.mutation(
        extensions=requires(Role.EDITOR),
        description="Change some fields of an entity.",
    )
    async def update_entity(self, info: Info, input: UpdateEntityInput) -> EntityPayload:
        result = await writes.update_entity(
            info.context.state.sessions,
            scope=info.context.scope,
            entity_id=expect_global_id(input.id, "Entity"),
            expected_version=input.expected_version,
            access=await info.context.access(),
            changes=EntityChanges(
                kind=input.kind,
                name=input.name,
                description=input.description,
                properties=input.properties,
                confidence=input.confidence,
                tags=input.tags,
            ),
        )
        return await _entity_payload(info, result)

    @strawberry.mutation(
        extensions=requires(Role.EDITOR),
        description="Soft-delete an entity: it leaves the graph, restorable.",
    )
    async def delete_entity(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> EntityPayload:
        result = await writes.delete_entity(
            info.context.state.sessions,
            scope=info.context.scope,
            entity_id=expect_global_id(id, "Entity"),
            expected_version=expected_version,
            access=await info.context.access(),
        )
        return await _entity_payload(info, result)

    @strawberry.mutation(
        extensions=requires(Role.EDITOR),
        description="Bring back a deleted entity with its relationships.",
    )
    async def restore_entity(self, info: Info, id: strawberry.ID) -> EntityPayload:
        result = await writes.restore_entity(
            info.context.state.sessions,
            scope=info.context.scope,
            entity_id=expect_global_id(id, "Entity"),
            access=await info.context.access(),
        )
        return await _entity_payload(info, result)

    @strawberry.mutation(
        extensions=requires(Role.EDITOR),
        description="Add a typed relationship from one entity to another.",
    )
    async def relate_entities(self, info: Info, input: RelateEntitiesInput) -> RelationshipPayload:
        result = await writes.relate_entities(
            info.context.state.sessions,
            scope=info.context.scope,
            source_id=expect_global_id(input.source_id, "Entity", field="sourceId"),
            target_id=expect_global_id(input.target_id, "Entity", field="targetId"),
            type=input.type,
            confidence=input.confidence,
            properties=input.properties,
            access=await info.context.access(),
        )
        synced = await _synced(info, result.seq)
        return RelationshipPayload(
            seq=result.seq,
            graph_synced=synced,
            relationship=Relationship.from_record(result.record),
        )

    @strawberry.mutation(
        extensions=requires(Role.EDITOR),
        description="Remove a relationship.",
    )
    async def unrelate_entities(self, info: Info, input: UnrelateEntitiesInput) -> UnrelatePayload:
        state, scope = info.context.state, info.context.scope
        relationship_id = await _relationship_to_remove(info, input)
        result = await writes.unrelate_entities(
            state.sessions,
            scope=scope,
            relationship_id=relationship_id,
            access=await info.context.access(),
        )
        synced = await _synced(info, result.seq)
        return UnrelatePayload(
            seq=result.seq,
            graph_synced=synced,
            relationship_id=to_global_id("Relationship", relationship_id),
        )


async def _relationship_to_remove(info: Info, input: UnrelateEntitiesInput) -> uuid.UUID:
    by_endpoints = (input.source_id, input.target_id, input.type)
    if input.relationship_id is not None:
        if any(value is not None for value in by_endpoints):
            raise BadUserInput(
                "Give either relationshipId or sourceId + targetId + type, not both.",
                field="relationshipId",
            )
        return expect_global_id(input.relationship_id, "Relationship", field="relationshipId")
    if input.source_id is None or input.target_id is None or input.type is None:
        raise BadUserInput(
            "Give relationshipId, or all of sourceId, targetId and type.", field="relationshipId"
        )
    return await records.find_relationship(
        info.context.state.sessions,
        scope=info.context.scope,
        source_id=expect_global_id(input.source_id, "Entity", field="sourceId"),
        target_id=expect_global_id(input.target_id, "Entity", field="targetId"),
        type=input.type,
    )
