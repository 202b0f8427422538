"""Lineage read from Neo4j within the caller's organisation: traversals of any depth (one
statement per hop for every start node of a request) and shortest paths. The GraphQL layer
reads the graph through here, never through graph/ directly."""

from __future__ import annotations

from collections.abc import Sequence

from app.core.scope import Scope
from graph import lineage as graph_lineage
from graph.driver import Graph
from graph.lineage import (
    MAX_DEPTH,
    Degree,
    LineageDirection,
    LineageEdge,
    LineageKey,
    LineageKind,
    LineagePath,
    Traversal,
)

__all__ = [
    "MAX_DEPTH",
    "Degree",
    "LineageDirection",
    "LineageEdge",
    "LineageKey",
    "LineageKind",
    "LineagePath",
    "Traversal",
    "shortest_paths",
    "traversals",
]


async def traversals(graph: Graph, scope: Scope, keys: Sequence[LineageKey]) -> list[Traversal]:
    """One traversal per key, in key order."""
    return await graph_lineage.traversals(graph, org=str(scope.organization_id), keys=keys)


async def shortest_paths(
    graph: Graph, scope: Scope, *, source: str, target: str, max_depth: int
) -> tuple[list[LineagePath], bool]:
    """The shortest directed paths from `source` to `target`, and whether more were cut."""
    return await graph_lineage.shortest_paths(
        graph,
        org=str(scope.organization_id),
        source=source,
        target=target,
        max_depth=max_depth,
    )
