"""All Cypher that traverses lineage: dataset and column hops, and shortest paths.

Traversals are breadth first, in one statement for every start node of a request at once
(`UNWIND $roots`, then one unrolled block per level), so a request makes one round trip
whatever its depth and number of nodes. Each hop is ordered by ids (deterministic) and capped
per node (`$limit`).
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

# One breadth-first level for every root at once. `$limit + 1` edges per node are fetched
# (ordered by ids, so deterministic) to tell a capped node from one with exactly `$limit`;
# degrees are counted without checking the far node's label, so Neo4j reads them from the
# degree store instead of expanding hubs (FEEDS only ever joins two datasets or two fields).
# The next frontier is every node not seen yet, capped at `$max_nodes`, as Python's own
# bookkeeping in `walk_levels` never keeps more.
_LEVEL_HEAD: LiteralString = """
CALL (frontier, seen) {
  UNWIND frontier AS n
  CALL (n) {
"""
_LEVEL_TAIL: LiteralString = """
    RETURN collect({other: m, via: via,
                    ins: COUNT { (m)<-[:FEEDS]-() }, outs: COUNT { (m)-[:FEEDS]->() }}) AS edges
  }
  RETURN collect({node: n.id, ins: COUNT { (n)<-[:FEEDS]-() }, outs: COUNT { (n)-[:FEEDS]->() },
                  edges: [e IN edges | e {.via, .ins, .outs, other: e.other.id}]}) AS hop,
         collect(edges[..$limit]) AS reached
}
CALL (reached, seen) {
  UNWIND reached AS edges
  UNWIND edges AS e
  WITH DISTINCT e.other AS m
  WHERE NOT m IN seen
  RETURN collect(m)[..$max_nodes] AS next
}
WITH root, next AS frontier, seen + next AS seen, levels + [hop] AS levels
"""
_EXPANSIONS: dict[tuple[LineageKind, LineageDirection], LiteralString] = {
    ("dataset", "DOWNSTREAM"): """
    MATCH (n)-[r:FEEDS]->(m:Dataset)
    WITH m, r.job AS via ORDER BY m.id, via LIMIT $limit + 1
""",
    ("dataset", "UPSTREAM"): """
    MATCH (n)<-[r:FEEDS]-(m:Dataset)
    WITH m, r.job AS via ORDER BY m.id, via LIMIT $limit + 1
""",
    ("field", "DOWNSTREAM"): """
    MATCH (n)-[r:FEEDS]->(m:Field)
    WITH m, r.transformation AS via ORDER BY m.id LIMIT $limit + 1
""",
    ("field", "UPSTREAM"): """
    MATCH (n)<-[r:FEEDS]-(m:Field)
    WITH m, r.transformation AS via ORDER BY m.id LIMIT $limit + 1
""",
}
_ROOTS: dict[LineageKind, LiteralString] = {
    "dataset": """
UNWIND $roots AS root
OPTIONAL MATCH (start:Dataset {id: root, org: $org})
WITH root, [x IN [start] WHERE x IS NOT NULL] AS frontier
WITH root, frontier, frontier AS seen, [] AS levels
""",
    "field": """
UNWIND $roots AS root
OPTIONAL MATCH (start:Field {id: root, org: $org})
WITH root, [x IN [start] WHERE x IS NOT NULL] AS frontier
WITH root, frontier, frontier AS seen, [] AS levels
""",
}
_RETURN: LiteralString = "RETURN root, levels"


def traversal_statement(
    kind: LineageKind, direction: LineageDirection, depth: int
) -> LiteralString:
    """The whole traversal of `depth` levels as one statement: one round trip per request,
    however deep. Built from fixed pieces only; request input travels as `$parameters`."""
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must be between 1 and {MAX_DEPTH}")
    level: LiteralString = _LEVEL_HEAD + _EXPANSIONS[(kind, direction)] + _LEVEL_TAIL
    statement: LiteralString = _ROOTS[kind]
    for _ in range(depth):
        statement = statement + level
    return statement + _RETURN


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
    """Expand every key breadth first. Keys with the same kind, direction and per-hop limit
    share one statement, one round trip for all their levels."""
    results = [Traversal() for _ in keys]
    groups: dict[tuple[LineageKind, LineageDirection, int], list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault((key.kind, key.direction, key.per_hop_limit), []).append(index)
    for (kind, direction, limit), indexes in groups.items():
        depth = max(keys[i].depth for i in indexes)
        records = await graph.read(
            traversal_statement(kind, direction, depth),
            org=org,
            roots=sorted({keys[i].root for i in indexes}),
            limit=limit,
            max_nodes=max(keys[i].max_nodes for i in indexes),
        )
        levels = {record["root"]: record["levels"] for record in records}
        for i in indexes:
            walk_levels(levels.get(keys[i].root, []), direction, limit, keys[i], results[i])
    return results


def walk_levels(
    levels: list[list[dict[str, Any]]],
    direction: LineageDirection,
    limit: int,
    key: LineageKey,
    result: Traversal,
) -> None:
    """Replay the levels the statement returned with the visited set, the per-hop cap and
    the node limit, recording nodes (with distance and degree), edges and why a traversal
    is partial."""
    frontier, seen = [key.root], {key.root}
    for hop in range(1, key.depth + 1):
        if not frontier or hop > len(levels):
            return
        by_node = {record["node"]: record for record in levels[hop - 1]}
        following: list[str] = []
        for node in frontier:
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
                if other not in seen and len(result.nodes) >= key.max_nodes:
                    result.partial_reasons.add("NODE_LIMIT")
                    continue
                result.edges.setdefault(
                    (source, target, edge["via"]), LineageEdge(source, target, edge["via"])
                )
                if other in seen:
                    continue
                seen.add(other)
                result.nodes[other] = (hop, Degree(edge["ins"], edge["outs"]))
                following.append(other)
        frontier = sorted(following)
        if hop == key.depth and any(_onward(result.nodes[n][1], direction) for n in frontier):
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
