"""All Cypher that traverses lineage: dataset and column hops, and shortest paths.

Traversals are breadth first, one statement per hop for every start node of a request at once
(`UNWIND $frontier`), so the round trips of a request grow with its depth, never with the
number of nodes. Each hop is ordered by ids (deterministic) and capped per node (`$limit`).
The statements are picked from fixed tables by direction and kind: request input only ever
travels as `$parameters`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, LiteralString

from graph.driver import Graph

LineageDirection = Literal["UPSTREAM", "DOWNSTREAM"]
LineageKind = Literal["dataset", "field"]

MAX_DEPTH = 10
MAX_PATHS = 25

DATASET_DOWNSTREAM_HOP: LiteralString = """
UNWIND $frontier AS node
MATCH (n:Dataset {id: node, org: $org})
CALL (n) {
  MATCH (n)-[r:FEEDS]->(m:Dataset)
  WITH r, m ORDER BY m.id, r.job LIMIT $limit
  RETURN collect({other: m.id, via: r.job,
                  ins: COUNT { (m)<-[:FEEDS]-(:Dataset) },
                  outs: COUNT { (m)-[:FEEDS]->(:Dataset) }}) AS edges
}
RETURN node, edges, COUNT { (n)<-[:FEEDS]-(:Dataset) } AS ins,
       COUNT { (n)-[:FEEDS]->(:Dataset) } AS outs
"""

DATASET_UPSTREAM_HOP: LiteralString = """
UNWIND $frontier AS node
MATCH (n:Dataset {id: node, org: $org})
CALL (n) {
  MATCH (n)<-[r:FEEDS]-(m:Dataset)
  WITH r, m ORDER BY m.id, r.job LIMIT $limit
  RETURN collect({other: m.id, via: r.job,
                  ins: COUNT { (m)<-[:FEEDS]-(:Dataset) },
                  outs: COUNT { (m)-[:FEEDS]->(:Dataset) }}) AS edges
}
RETURN node, edges, COUNT { (n)<-[:FEEDS]-(:Dataset) } AS ins,
       COUNT { (n)-[:FEEDS]->(:Dataset) } AS outs
"""

FIELD_DOWNSTREAM_HOP: LiteralString = """
UNWIND $frontier AS node
MATCH (n:Field {id: node, org: $org})
CALL (n) {
  MATCH (n)-[r:FEEDS]->(m:Field)
  WITH r, m ORDER BY m.id LIMIT $limit
  RETURN collect({other: m.id, via: r.transformation,
                  ins: COUNT { (m)<-[:FEEDS]-(:Field) },
                  outs: COUNT { (m)-[:FEEDS]->(:Field) }}) AS edges
}
RETURN node, edges, COUNT { (n)<-[:FEEDS]-(:Field) } AS ins,
       COUNT { (n)-[:FEEDS]->(:Field) } AS outs
"""

FIELD_UPSTREAM_HOP: LiteralString = """
UNWIND $frontier AS node
MATCH (n:Field {id: node, org: $org})
CALL (n) {
  MATCH (n)<-[r:FEEDS]-(m:Field)
  WITH r, m ORDER BY m.id LIMIT $limit
  RETURN collect({other: m.id, via: r.transformation,
                  ins: COUNT { (m)<-[:FEEDS]-(:Field) },
                  outs: COUNT { (m)-[:FEEDS]->(:Field) }}) AS edges
}
RETURN node, edges, COUNT { (n)<-[:FEEDS]-(:Field) } AS ins,
       COUNT { (n)-[:FEEDS]->(:Field) } AS outs
"""

_HOPS: dict[tuple[LineageKind, LineageDirection], LiteralString] = {
    ("dataset", "DOWNSTREAM"): DATASET_DOWNSTREAM_HOP,
    ("dataset", "UPSTREAM"): DATASET_UPSTREAM_HOP,
    ("field", "DOWNSTREAM"): FIELD_DOWNSTREAM_HOP,
    ("field", "UPSTREAM"): FIELD_UPSTREAM_HOP,
}


@dataclass(frozen=True, slots=True)
class LineageKey:
    root: str
    direction: LineageDirection
    kind: LineageKind = "dataset"
    depth: int = 1
    per_hop_limit: int = 25
    max_nodes: int = 1_000


@dataclass(frozen=True, slots=True)
class LineageEdge:
    """A directed lineage edge; `via` is the job id (datasets) or transformation (fields)."""

    source: str
    target: str
    via: str | None


@dataclass(frozen=True, slots=True)
class Degree:
    inputs: int
    outputs: int


@dataclass(slots=True)
class Traversal:
    root_degree: Degree = field(default_factory=lambda: Degree(0, 0))
    found: bool = False
    # node id -> (distance, degree), in the order reached (distance, then id)
    nodes: dict[str, tuple[int, Degree]] = field(default_factory=dict)
    edges: dict[tuple[str, str, str | None], LineageEdge] = field(default_factory=dict)
    partial_reasons: set[str] = field(default_factory=set)


async def traversals(graph: Graph, *, org: str, keys: Sequence[LineageKey]) -> list[Traversal]:
    """Expand every key breadth first; keys with the same kind, direction and per-hop limit
    share one statement per hop."""
    results = [Traversal() for _ in keys]
    groups: dict[tuple[LineageKind, LineageDirection, int], list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault((key.kind, key.direction, key.per_hop_limit), []).append(index)
    for (kind, direction, limit), indexes in groups.items():
        await _expand(
            graph, org, _HOPS[(kind, direction)], direction, limit, keys, results, indexes
        )
    return results


async def _expand(
    graph: Graph,
    org: str,
    statement: LiteralString,
    direction: LineageDirection,
    limit: int,
    keys: Sequence[LineageKey],
    results: list[Traversal],
    indexes: list[int],
) -> None:
    frontiers = {i: [keys[i].root] for i in indexes}
    seen = {i: {keys[i].root} for i in indexes}
    for hop in range(1, max(keys[i].depth for i in indexes) + 1):
        active = [i for i in indexes if frontiers[i] and hop <= keys[i].depth]
        if not active:
            return
        wanted = sorted({node for i in active for node in frontiers[i]})
        records = await graph.read(statement, org=org, frontier=wanted, limit=limit + 1)
        by_node = {record["node"]: record for record in records}
        for i in active:
            result, key = results[i], keys[i]
            following: list[str] = []
            for node in frontiers[i]:
                record = by_node.get(node)
                if record is None:
                    continue
                if hop == 1:
                    result.found = True
                    result.root_degree = Degree(record["ins"], record["outs"])
                edges = record["edges"]
                if len(edges) > limit:
                    result.partial_reasons.add("PER_HOP_LIMIT")
                    edges = edges[:limit]
                for edge in edges:
                    other = edge["other"]
                    source, target = (node, other) if direction == "DOWNSTREAM" else (other, node)
                    if other not in seen[i] and len(result.nodes) >= key.max_nodes:
                        result.partial_reasons.add("NODE_LIMIT")
                        continue
                    result.edges.setdefault(
                        (source, target, edge["via"]), LineageEdge(source, target, edge["via"])
                    )
                    if other in seen[i]:
                        continue
                    seen[i].add(other)
                    result.nodes[other] = (hop, Degree(edge["ins"], edge["outs"]))
                    following.append(other)
            frontiers[i] = sorted(following)
            if hop == key.depth and any(
                _onward(result.nodes[n][1], direction) for n in frontiers[i]
            ):
                result.partial_reasons.add("DEPTH_LIMIT")


def _onward(degree: Degree, direction: LineageDirection) -> bool:
    return (degree.outputs if direction == "DOWNSTREAM" else degree.inputs) > 0


# --- shortest paths ----------------------------------------------------------------------

# Variable-length bounds cannot be parameters: search up to the hard cap, then keep paths
# within the requested depth (all shortest paths have the same length).
SHORTEST_PATHS: LiteralString = """
MATCH (a:Dataset {id: $source, org: $org}), (b:Dataset {id: $target, org: $org})
MATCH p = allShortestPaths((a)-[:FEEDS*..10]->(b))
WHERE length(p) <= $max_depth
WITH [n IN nodes(p) | n.id] AS nodes, [r IN relationships(p) | r.job] AS jobs
ORDER BY nodes, jobs
LIMIT $limit
RETURN nodes, jobs
"""


@dataclass(frozen=True, slots=True)
class LineagePath:
    nodes: list[str]
    edges: list[LineageEdge]


async def shortest_paths(
    graph: Graph, *, org: str, source: str, target: str, max_depth: int, limit: int = MAX_PATHS
) -> tuple[list[LineagePath], bool]:
    """The shortest directed paths from source to target; True when more were left out."""
    records = await graph.read(
        SHORTEST_PATHS, org=org, source=source, target=target, max_depth=max_depth, limit=limit + 1
    )
    paths = [_path(record) for record in records]
    return paths[:limit], len(paths) > limit


def _path(record: Any) -> LineagePath:
    nodes: list[str] = record["nodes"]
    jobs: list[str | None] = record["jobs"]
    edges = [LineageEdge(a, b, job) for a, b, job in zip(nodes, nodes[1:], jobs, strict=False)]
    return LineagePath(nodes=nodes, edges=edges)
