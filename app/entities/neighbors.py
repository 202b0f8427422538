"""The graph around an entity, read from Neo4j: its relationships page by page and its
neighbourhood hop by hop, within the caller's organisation. The GraphQL layer reads the
graph through here, never through graph/ directly."""

from __future__ import annotations

from collections.abc import Sequence

from app.core.scope import Scope
from graph import entities as graph_entities
from graph.driver import Graph
from graph.entities import (
    Neighborhood,
    NeighborhoodKey,
    RelationshipEdge,
    RelationshipPage,
    RelationshipPageKey,
)

__all__ = [
    "Neighborhood",
    "NeighborhoodKey",
    "RelationshipEdge",
    "RelationshipPage",
    "RelationshipPageKey",
    "neighborhoods",
    "relationship_pages",
]


async def relationship_pages(
    graph: Graph, scope: Scope, keys: Sequence[RelationshipPageKey]
) -> list[RelationshipPage]:
    """One page of relationships per key, in key order."""
    return await graph_entities.relationship_pages(graph, org=str(scope.organization_id), keys=keys)


async def neighborhoods(
    graph: Graph, scope: Scope, keys: Sequence[NeighborhoodKey]
) -> list[Neighborhood]:
    """One neighbourhood per key, in key order."""
    return await graph_entities.neighborhoods(graph, org=str(scope.organization_id), keys=keys)
