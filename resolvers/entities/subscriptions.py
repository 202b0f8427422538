"""`entityChanged`: changes to one entity (including its relationships) or to a kind."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from app.changes.records import Change
from app.core.errors import BadUserInput
from app.core.scope import Role
from resolvers.changes.live import live_changes
from resolvers.changes.types import ChangeAction, change_action, change_object_id
from resolvers.context import Info
from resolvers.entities.loaders import EntityLoaders
from resolvers.entities.types import Entity, Relationship, relationship_from_id
from resolvers.node import expect_global_id, to_global_id
from resolvers.permissions import requires


@strawberry.type(description="A change to an entity or to one of its relationships.")
class EntityChange:
    change: strawberry.Private[Change]

    @strawberry.field(description="Sequence number; resume from it with changes(since:).")
    def seq(self) -> int:
        return self.change.seq

    @strawberry.field
    def action(self) -> ChangeAction:
        return change_action(self.change)

    @strawberry.field(description="The new version of the changed entity or relationship.")
    def version(self) -> int:
        return self.change.version

    @strawberry.field(description="The global ID of the changed entity or relationship.")
    def object_id(self) -> strawberry.ID:
        return change_object_id(self.change)

    @strawberry.field(description="The entity as it is now (for relationship changes: null).")
    async def entity(self, info: Info) -> Entity | None:
        if self.change.aggregate_type != "entity":
            return None
        record = await info.context.loaders(EntityLoaders).entity_by_id.load(
            self.change.aggregate_id
        )
        return Entity(record=record) if record is not None else None

    @strawberry.field(description="The relationship as it is now; null once it is removed.")
    async def relationship(self, info: Info) -> Relationship | None:
        if self.change.aggregate_type != "relationship":
            return None
        return await relationship_from_id(info, self.change.aggregate_id)

    @strawberry.field(description="The global IDs of the entities a relationship change links.")
    def endpoint_ids(self) -> list[strawberry.ID]:
        return [to_global_id("Entity", e) for e in self.change.endpoints]


@strawberry.type
class EntitySubscriptions:
    @strawberry.subscription(
        extensions=requires(Role.VIEWER),
        description="Changes to one entity (`id`, its relationships included) or to every "
        "entity of a `kind`. Give exactly one of them.",
    )
    async def entity_changed(
        self, info: Info, id: strawberry.ID | None = None, kind: str | None = None
    ) -> AsyncGenerator[EntityChange, None]:
        if (id is None) == (kind is None):
            raise BadUserInput("Give exactly one of id or kind.", field="id")
        entity_id = expect_global_id(id, "Entity") if id is not None else None
        wanted_kind = kind.strip().lower() if kind is not None else None
        async for change in live_changes(info):
            if entity_id is not None and not change.touches(entity_id):
                continue
            if wanted_kind is not None and (
                change.aggregate_type != "entity" or change.kind != wanted_kind
            ):
                continue
            yield EntityChange(change=change)
