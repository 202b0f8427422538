"""Entity queries: `entity` and `entities`."""

from __future__ import annotations

import enum
from dataclasses import replace

import strawberry

from app.core.errors import NotFound
from app.core.pagination import Cursor
from app.core.scope import Role
from app.entities import records
from app.entities.records import EntityFilter, EntityOrder
from resolvers.caching import CACHEABLE
from resolvers.context import Info
from resolvers.entities.loaders import EntityLoaders
from resolvers.entities.types import Entity, EntityConnection, EntityEdge
from resolvers.node import PageInfo, expect_global_id
from resolvers.pagination import page_size
from resolvers.permissions import requires


@strawberry.input(description="Entities must match every condition given.")
class EntityFilterInput:
    kind: str | None = None
    kinds: list[str] | None = None
    tag: str | None = None
    tags: list[str] | None = strawberry.field(default=None, description="All of these tags.")
    name_prefix: str | None = strawberry.field(
        default=None, description="Case-insensitive prefix of the name."
    )
    include_deleted: bool = False

    def to_filter(self) -> EntityFilter:
        kinds = [*(self.kinds or []), *([self.kind] if self.kind else [])]
        tags = [*(self.tags or []), *([self.tag] if self.tag else [])]
        return EntityFilter(
            kinds=kinds,
            tags=tags,
            name_prefix=self.name_prefix,
            include_deleted=self.include_deleted,
        )


@strawberry.enum
class EntitySortField(enum.Enum):
    NAME = "name"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.enum
class SortDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class EntityOrderInput:
    field: EntitySortField = EntitySortField.NAME
    direction: SortDirection = SortDirection.ASC


@strawberry.type
class EntityQueries:
    @strawberry.field(
        metadata=CACHEABLE,
        extensions=requires(Role.VIEWER),
        description="One entity by ID; a NOT_FOUND error when there is none.",
    )
    async def entity(self, info: Info, id: strawberry.ID) -> Entity | None:
        raw = expect_global_id(id, "Entity")
        record = await info.context.loaders(EntityLoaders).entity_by_id.load(raw)
        if record is None:
            raise NotFound("No entity has this id.", id=id)
        return Entity(record=record)

    @strawberry.field(
        metadata=CACHEABLE,
        extensions=requires(Role.VIEWER),
        description="Entities, filtered and ordered, a page at a time.",
    )
    async def entities(
        self,
        info: Info,
        filter: EntityFilterInput | None = None,
        order_by: EntityOrderInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> EntityConnection:
        size = page_size(info, first)
        access = await info.context.access()
        flt = replace(
            (filter or EntityFilterInput()).to_filter(),
            visible=access.hidden_entities_clause(),
        )
        order_input = order_by or EntityOrderInput()
        order = EntityOrder(
            field=order_input.field.value,
            descending=order_input.direction is SortDirection.DESC,
        )
        cursor = Cursor.decode(after) if after is not None else None
        state, scope = info.context.state, info.context.scope
        page = await records.list_entities(
            state.sessions,
            organization_id=scope.organization_id,
            flt=flt,
            order=order,
            first=size,
            after=cursor,
        )
        shown = page.shown(access.present_entities(page.items))
        for item, _ in shown:
            info.context.loaders(EntityLoaders).entity_by_id.prime(item.id, item)

        async def count() -> int:
            return await records.count_entities(
                state.sessions, organization_id=scope.organization_id, flt=flt
            )

        edges = [EntityEdge(cursor=c.encode(), node=Entity(record=item)) for item, c in shown]
        return EntityConnection(
            edges=edges,
            page_info=PageInfo.of(edges, has_next=page.has_next, has_previous=after is not None),
            counter=count,
        )
