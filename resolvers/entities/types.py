"""GraphQL types for entities and relationships. Field resolvers only call loaders."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from app.core import models
from app.core.errors import BadUserInput
from app.entities.neighbors import NeighborhoodKey, RelationshipEdge, RelationshipPageKey
from resolvers.context import Info
from resolvers.datasets.loaders import DatasetLoaders
from resolvers.entities.loaders import EntityLoaders
from resolvers.node import Node, PageInfo, expect_global_id, to_global_id
from resolvers.node_types import NodeType
from resolvers.pagination import PartialReason, page_size

if TYPE_CHECKING:
    from resolvers.datasets.types import Dataset

MAX_NEIGHBOR_DEPTH = 3
MAX_PER_HOP_LIMIT = 100


@strawberry.enum(description="Which way a relationship points, seen from an entity.")
class RelationshipDirection(enum.Enum):
    OUTGOING = "OUTGOING"
    INCOMING = "INCOMING"
    BOTH = "BOTH"


@strawberry.type(description="A thing in the knowledge graph: a person, team, system, concept...")
class Entity(Node):
    record: strawberry.Private[models.Entity]

    @strawberry.field(description="The global ID of this entity.")
    def id(self) -> strawberry.ID:
        return to_global_id("Entity", self.record.id)

    @strawberry.field(description="What sort of thing this is, e.g. `person` or `service`.")
    def kind(self) -> str:
        return self.record.kind

    @strawberry.field
    def name(self) -> str:
        return self.record.name

    @strawberry.field
    def description(self) -> str | None:
        return self.record.description

    @strawberry.field(description="Free-form JSON object of attributes.")
    def properties(self) -> JSON:
        return cast(JSON, self.record.properties)

    @strawberry.field(description="How sure we are that this entity is real and right, 0..1.")
    def confidence(self) -> float:
        return self.record.confidence

    @strawberry.field
    def tags(self) -> list[str]:
        return list(self.record.tags)

    @strawberry.field(description="Increases on every change; pass it as `expectedVersion`.")
    def version(self) -> int:
        return self.record.version

    @strawberry.field
    def created_at(self) -> datetime:
        return self.record.created_at

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.record.updated_at

    @strawberry.field(description="Set while the entity is deleted (it can be restored).")
    def deleted_at(self) -> datetime | None:
        return self.record.deleted_at

    @strawberry.field(description="Datasets this entity describes.")
    async def datasets(
        self, info: Info
    ) -> list[Annotated[Dataset, strawberry.lazy("resolvers.datasets.types")]]:
        from resolvers.datasets.types import Dataset

        records = await info.context.loaders(DatasetLoaders).datasets_by_entity.load(self.record.id)
        return [Dataset(record=record) for record in records]

    @strawberry.field(description="Relationships of this entity, a page at a time.")
    async def relationships(
        self,
        info: Info,
        direction: RelationshipDirection = RelationshipDirection.OUTGOING,
        types: list[str] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> RelationshipConnection:
        size = page_size(info, first)
        after_id = (
            str(expect_global_id(after, "Relationship", field="after"))
            if after is not None
            else None
        )
        key = RelationshipPageKey(
            entity_id=str(self.record.id),
            direction=direction.value,
            types=tuple(t.strip().upper() for t in types) if types is not None else None,
            first=size,
            after=after_id,
            count=_selects(info, "totalCount"),
        )
        page = await info.context.loaders(EntityLoaders).relationship_page_by_entity.load(key)
        edges = [
            RelationshipEdgeType(
                cursor=to_global_id("Relationship", e.id), node=Relationship(edge=e)
            )
            for e in page.edges
        ]
        return RelationshipConnection(
            edges=edges,
            page_info=PageInfo.of(edges, has_next=page.has_next, has_previous=after is not None),
            total=page.total,
        )

    @strawberry.field(
        description="Entities reachable within `depth` hops (at most 3), breadth first, with "
        "at most `perHopLimit` relationships followed from each entity."
    )
    async def neighbors(
        self,
        info: Info,
        depth: int = 1,
        per_hop_limit: int = 25,
        direction: RelationshipDirection = RelationshipDirection.BOTH,
        types: list[str] | None = None,
    ) -> Neighborhood:
        if not 1 <= depth <= MAX_NEIGHBOR_DEPTH:
            raise BadUserInput(
                f"depth must be between 1 and {MAX_NEIGHBOR_DEPTH} (got {depth}).", field="depth"
            )
        if not 1 <= per_hop_limit <= MAX_PER_HOP_LIMIT:
            raise BadUserInput(
                f"perHopLimit must be between 1 and {MAX_PER_HOP_LIMIT} (got {per_hop_limit}).",
                field="perHopLimit",
            )
        key = NeighborhoodKey(
            entity_id=str(self.record.id),
            depth=depth,
            per_hop_limit=per_hop_limit,
            direction=direction.value,
            types=tuple(t.strip().upper() for t in types) if types is not None else None,
        )
        result = await info.context.loaders(EntityLoaders).neighborhood_by_entity.load(key)
        ids = [uuid.UUID(node) for node in result.nodes]
        # Hidden neighbours stay in place as restricted placeholders: the shape is honest,
        # nothing about them is told.
        visible = await info.context.loaders(EntityLoaders).entity_by_id.load_many(ids)
        restricted = {entity_id for entity_id, seen in zip(ids, visible, strict=True) if not seen}
        reasons = {PartialReason(r) for r in result.partial_reasons}
        if restricted:
            reasons.add(PartialReason.RESTRICTED)
        return Neighborhood(
            degree=result.root_degree,
            nodes=[
                Neighbor(
                    entity_id=entity_id,
                    distance=distance,
                    degree=degree,
                    restricted=entity_id in restricted,
                )
                for entity_id, (distance, degree) in zip(ids, result.nodes.values(), strict=True)
            ],
            relationships=[Relationship(edge=edge) for edge in result.edges.values()],
            partial_reasons=sorted(reasons, key=lambda r: r.value),
        )


@strawberry.type(description="A typed, directed link between two entities.")
class Relationship(Node):
    edge: strawberry.Private[RelationshipEdge]

    @strawberry.field(description="The global ID of this relationship.")
    def id(self) -> strawberry.ID:
        return to_global_id("Relationship", self.edge.id)

    @strawberry.field(description="UPPER_SNAKE_CASE, e.g. `DEPENDS_ON`.")
    def type(self) -> str:
        return self.edge.type

    @strawberry.field
    def confidence(self) -> float:
        return self.edge.confidence

    @strawberry.field
    async def source(self, info: Info) -> Entity | None:
        return await _entity(info, self.edge.source)

    @strawberry.field
    async def target(self, info: Info) -> Entity | None:
        return await _entity(info, self.edge.target)

    @strawberry.field(description="Free-form JSON object of attributes.")
    async def properties(self, info: Info) -> JSON:
        record = await info.context.loaders(EntityLoaders).relationship_by_id.load(
            uuid.UUID(self.edge.id)
        )
        return cast(JSON, record.properties if record is not None else {})

    @strawberry.field
    async def created_at(self, info: Info) -> datetime | None:
        record = await info.context.loaders(EntityLoaders).relationship_by_id.load(
            uuid.UUID(self.edge.id)
        )
        return record.created_at if record is not None else None

    @classmethod
    def from_record(cls, record: models.Relationship) -> Relationship:
        return cls(
            edge=RelationshipEdge(
                id=str(record.id),
                type=record.type,
                confidence=record.confidence,
                source=str(record.source_id),
                target=str(record.target_id),
            )
        )


@strawberry.type(name="RelationshipEdge")
class RelationshipEdgeType:
    cursor: str
    node: Relationship


@strawberry.type
class RelationshipConnection:
    edges: list[RelationshipEdgeType]
    page_info: PageInfo
    total: strawberry.Private[int | None]

    @strawberry.field(description="How many relationships match, over all pages.")
    def total_count(self) -> int:
        return self.total or 0


@strawberry.type
class EntityEdge:
    cursor: str
    node: Entity


@strawberry.type
class EntityConnection:
    edges: list[EntityEdge]
    page_info: PageInfo
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many entities match the filter, over all pages.")
    async def total_count(self) -> int:
        return await self.counter()


@strawberry.type(description="An entity reached by a traversal.")
class Neighbor:
    entity_id: strawberry.Private[uuid.UUID]
    distance: int = strawberry.field(description="Hops from the starting entity.")
    degree: int = strawberry.field(description="How many relationships this entity has.")
    restricted: bool = strawberry.field(
        default=False,
        description="True when a policy hides this entity from you: `entity` is null.",
    )

    @strawberry.field
    async def entity(self, info: Info) -> Entity | None:
        return await _entity(info, str(self.entity_id))


@strawberry.type(description="The result of a bounded traversal around an entity.")
class Neighborhood:
    degree: int = strawberry.field(description="How many relationships the start entity has.")
    nodes: list[Neighbor]
    relationships: list[Relationship] = strawberry.field(
        description="Every distinct relationship followed, including those between neighbours."
    )
    partial_reasons: list[PartialReason]

    @strawberry.field(
        description="True when a cap stopped the traversal early or an entity was hidden."
    )
    def partial(self) -> bool:
        return bool(self.partial_reasons)


async def relationship_from_id(info: Info, relationship_id: uuid.UUID) -> Relationship | None:
    record = await info.context.loaders(EntityLoaders).relationship_by_id.load(relationship_id)
    return Relationship.from_record(record) if record is not None else None


async def _entity(info: Info, raw_id: str) -> Entity | None:
    record = await info.context.loaders(EntityLoaders).entity_by_id.load(uuid.UUID(raw_id))
    return Entity(record=record) if record is not None else None


def _selects(info: Info, name: str) -> bool:
    """Whether the client asked for `name` directly under this field (fragments included)."""
    pending: list[Any] = [s for f in info.selected_fields for s in f.selections]
    while pending:
        selection = pending.pop()
        if getattr(selection, "name", None) == name:
            return True
        if not hasattr(selection, "arguments"):  # a fragment: look inside it
            pending.extend(getattr(selection, "selections", []))
    return False


async def _entity_node(info: Info, entity_id: uuid.UUID) -> Entity | None:
    record = await info.context.loaders(EntityLoaders).entity_by_id.load(entity_id)
    return Entity(record=record) if record is not None else None


NODES = (NodeType(Entity, _entity_node), NodeType(Relationship, relationship_from_id))
