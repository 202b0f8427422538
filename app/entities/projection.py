"""What entities and relationships are in the graph: their events' Cypher, their replay in a
rebuild, and what verify compares (`app.projection.registry`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.models import Entity, Relationship
from app.entities import records
from app.projection.registry import Check, DomainProjection, Replay, each
from graph import bulk as graph_bulk
from graph import entities as graph_entities
from graph.driver import Statement


def _restored(rows: list[dict[str, Any]]) -> list[Statement]:
    """A restored entity comes back with every edge whose other end is alive (its payload
    lists them): the graph dropped them when it was deleted."""
    statements = [graph_entities.upsert_entities(rows)]
    edges = [edge for row in rows for edge in row.get("relationships", [])]
    if edges:
        statements.append(graph_entities.upsert_relationships(edges))
    return statements


async def _entities(session: AsyncSession, batch_size: int, after: Any) -> Sequence[Entity]:
    return await records.active_entities_in_batches(session, batch_size=batch_size, after=after)


async def _relationships(
    session: AsyncSession, batch_size: int, after: Any
) -> Sequence[Relationship]:
    return await records.active_relationships_in_batches(
        session, batch_size=batch_size, after=after
    )


PROJECTION = DomainProjection(
    name="entities",
    builders={
        "entity.created": each(graph_entities.upsert_entities),
        "entity.updated": each(graph_entities.upsert_entities),
        "entity.restored": _restored,
        "entity.deleted": each(graph_entities.delete_entities),
        "relationship.created": each(graph_entities.upsert_relationships),
        "relationship.deleted": each(graph_entities.delete_relationships),
    },
    replays=(
        Replay(
            "entities",
            count=select(func.count()).select_from(Entity).where(Entity.deleted_at.is_(None)),
            fetch=_entities,
            key=lambda entity: entity.id,
            statements=lambda batch: [
                graph_bulk.create_entities([records.entity_graph_payload(e) for e in batch])
            ],
        ),
        Replay(
            "relationships",
            count=select(func.count()).select_from(Relationship),
            fetch=_relationships,
            key=lambda rel: rel.id,
            statements=lambda batch: [
                graph_bulk.create_relationships(
                    [records.relationship_graph_payload(r) for r in batch]
                )
            ],
        ),
    ),
    checks=(
        Check(
            "entities",
            graph_state=graph_entities.entity_versions,
            fetch=_entities,
            key=lambda entity: entity.id,
            expected=lambda entity: (str(entity.id), entity.version),
        ),
        Check(
            "relationships",
            graph_state=graph_entities.relationship_endpoints,
            fetch=_relationships,
            key=lambda rel: rel.id,
            expected=lambda rel: (str(rel.id), (str(rel.source_id), str(rel.target_id), rel.type)),
            differs="with wrong endpoints or type",
        ),
    ),
)
