"""All Cypher for entities and their relationships, each next to the function that runs it.

Nodes: `(:Entity {id, org, kind, name, tags, confidence, version})`.
Edges: `(:Entity)-[:RELATES_TO {id, org, type, confidence}]->(:Entity)`.
Everything is batched with `UNWIND`, and request input only ever travels as `$parameters`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, LiteralString

from graph.driver import Graph, Statement

Direction = Literal["OUTGOING", "INCOMING", "BOTH"]

# --- projection (writes) -----------------------------------------------------------------

UPSERT_ENTITIES: LiteralString = """
UNWIND $rows AS row
MERGE (e:Entity {id: row.id})
WITH e, row WHERE coalesce(e.version, 0) <= row.version
SET e.org = row.org, e.kind = row.kind, e.name = row.name, e.tags = row.tags,
    e.confidence = row.confidence, e.version = row.version
"""

DELETE_ENTITIES: LiteralString = """
UNWIND $rows AS row
MATCH (e:Entity {id: row.id}) WHERE e.version <= row.version
DETACH DELETE e
"""

UPSERT_RELATIONSHIPS: LiteralString = """
UNWIND $rows AS row
MATCH (s:Entity {id: row.source_id})
MATCH (t:Entity {id: row.target_id})
MERGE (s)-[r:RELATES_TO {id: row.id}]->(t)
SET r.org = row.org, r.type = row.type, r.confidence = row.confidence
"""

DELETE_RELATIONSHIPS: LiteralString = """
UNWIND $rows AS row
MATCH ()-[r:RELATES_TO {id: row.id}]->()
DELETE r
"""


def upsert_entities(rows: list[dict[str, Any]]) -> Statement:
    return UPSERT_ENTITIES, {"rows": rows}


def delete_entities(rows: list[dict[str, Any]]) -> Statement:
    return DELETE_ENTITIES, {"rows": rows}


def upsert_relationships(rows: list[dict[str, Any]]) -> Statement:
    return UPSERT_RELATIONSHIPS, {"rows": rows}


def delete_relationships(rows: list[dict[str, Any]]) -> Statement:
    return DELETE_RELATIONSHIPS, {"rows": rows}


# --- relationships of many entities, one page each -----------------------------------------

RELATIONSHIP_PAGES: LiteralString = """
UNWIND $keys AS k
OPTIONAL MATCH (e:Entity {id: k.id, org: $org})
CALL (e, k) {
  MATCH (e)-[r:RELATES_TO]-(:Entity)
  WHERE (k.direction = 'BOTH'
         OR (k.direction = 'OUTGOING' AND startNode(r) = e)
         OR (k.direction = 'INCOMING' AND endNode(r) = e))
    AND (k.types IS NULL OR r.type IN k.types)
    AND (k.after IS NULL OR r.id > k.after)
  WITH r ORDER BY r.id LIMIT $limit
  RETURN collect({id: r.id, type: r.type, confidence: r.confidence,
                  source: startNode(r).id, target: endNode(r).id}) AS rels
}
RETURN rels,
       CASE WHEN k.count AND e IS NOT NULL THEN COUNT {
         (e)-[r:RELATES_TO]-()
         WHERE (k.direction = 'BOTH'
                OR (k.direction = 'OUTGOING' AND startNode(r) = e)
                OR (k.direction = 'INCOMING' AND endNode(r) = e))
           AND (k.types IS NULL OR r.type IN k.types)
       } END AS total
"""


@dataclass(frozen=True, slots=True)
class RelationshipEdge:
    id: str
    type: str
    confidence: float
    source: str
    target: str


@dataclass(frozen=True, slots=True)
class RelationshipPageKey:
    entity_id: str
    direction: Direction = "OUTGOING"
    types: tuple[str, ...] | None = None
    first: int = 20
    after: str | None = None
    count: bool = False


@dataclass(frozen=True, slots=True)
class RelationshipPage:
    edges: list[RelationshipEdge]
    has_next: bool
    total: int | None


async def relationship_pages(
    graph: Graph, *, org: str, keys: Sequence[RelationshipPageKey]
) -> list[RelationshipPage]:
    """One statement for every (entity, arguments) key; pages in key order."""
    records = await graph.read(
        RELATIONSHIP_PAGES,
        org=org,
        # LIMIT must be a constant per statement: take the largest page, trim per key below.
        limit=max((key.first for key in keys), default=0) + 1,
        keys=[
            {
                "id": key.entity_id,
                "direction": key.direction,
                "types": list(key.types) if key.types is not None else None,
                "first": key.first,
                "after": key.after,
                "count": key.count,
            }
            for key in keys
        ],
    )
    pages: list[RelationshipPage] = []
    for key, record in zip(keys, records, strict=True):
        edges = [RelationshipEdge(**rel) for rel in record["rels"] if rel["id"] is not None]
        pages.append(
            RelationshipPage(
                edges=edges[: key.first], has_next=len(edges) > key.first, total=record["total"]
            )
        )
    return pages


# --- neighbourhoods: bounded breadth-first search, one statement per hop -------------------

EXPAND_HOP: LiteralString = """
UNWIND $frontier AS f
OPTIONAL MATCH (n:Entity {id: f.node, org: $org})
CALL (n, f) {
  MATCH (n)-[r:RELATES_TO]-(m:Entity)
  WHERE ($direction = 'BOTH'
         OR ($direction = 'OUTGOING' AND startNode(r) = n)
         OR ($direction = 'INCOMING' AND endNode(r) = n))
    AND ($types IS NULL OR r.type IN $types)
  WITH r, m ORDER BY r.id LIMIT $limit + 1
  RETURN collect({id: r.id, type: r.type, confidence: r.confidence,
                  source: startNode(r).id, target: endNode(r).id, other: m.id,
                  degree: COUNT { (m)-[:RELATES_TO]-() }}) AS rels
}
RETURN f.node AS node, rels,
       CASE WHEN n IS NULL THEN 0 ELSE COUNT { (n)-[:RELATES_TO]-() } END AS degree
"""


@dataclass(frozen=True, slots=True)
class NeighborhoodKey:
    entity_id: str
    depth: int = 1
    per_hop_limit: int = 25
    direction: Direction = "BOTH"
    types: tuple[str, ...] | None = None
    max_nodes: int = 500


@dataclass(slots=True)
class Neighborhood:
    root_degree: int = 0
    # entity id -> (distance, degree), in the order they were reached
    nodes: dict[str, tuple[int, int]] = field(default_factory=dict)
    edges: dict[str, RelationshipEdge] = field(default_factory=dict)
    partial_reasons: set[str] = field(default_factory=set)


async def neighborhoods(
    graph: Graph, *, org: str, keys: Sequence[NeighborhoodKey]
) -> list[Neighborhood]:
    """Expand every key breadth-first; keys with equal traversal arguments share statements.

    Round trips: one per hop per distinct (depth, limit, direction, types), never per node.
    """
    results = [Neighborhood() for _ in keys]
    groups: dict[tuple[Any, ...], list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault((key.per_hop_limit, key.direction, key.types), []).append(index)
    for (limit, direction, types), indexes in groups.items():
        await _expand_group(graph, org, keys, results, indexes, limit, direction, types)
    return results


async def _expand_group(
    graph: Graph,
    org: str,
    keys: Sequence[NeighborhoodKey],
    results: list[Neighborhood],
    indexes: list[int],
    limit: int,
    direction: Direction,
    types: tuple[str, ...] | None,
) -> None:
    frontiers: dict[int, list[str]] = {i: [keys[i].entity_id] for i in indexes}
    seen: dict[int, set[str]] = {i: {keys[i].entity_id} for i in indexes}
    max_depth = max(keys[i].depth for i in indexes)
    for hop in range(1, max_depth + 1):
        active = [i for i in indexes if frontiers[i] and hop <= keys[i].depth]
        if not active:
            break
        wanted = sorted({node for i in active for node in frontiers[i]})
        records = await graph.read(
            EXPAND_HOP,
            org=org,
            frontier=[{"node": node} for node in wanted],
            direction=direction,
            types=list(types) if types is not None else None,
            limit=limit,
        )
        by_node = {record["node"]: record for record in records}
        for i in active:
            result, key = results[i], keys[i]
            next_frontier: list[str] = []
            for node in frontiers[i]:
                record = by_node[node]
                if hop == 1:
                    result.root_degree = record["degree"]
                rels = [rel for rel in record["rels"] if rel["id"] is not None]
                if len(rels) > limit:
                    result.partial_reasons.add("PER_HOP_LIMIT")
                    rels = rels[:limit]
                for rel in rels:
                    # Records are shared by every root that reached this node: read, never pop.
                    other, degree = rel["other"], rel["degree"]
                    if rel["id"] not in result.edges:
                        result.edges[rel["id"]] = RelationshipEdge(
                            id=rel["id"],
                            type=rel["type"],
                            confidence=rel["confidence"],
                            source=rel["source"],
                            target=rel["target"],
                        )
                    if other in seen[i]:
                        continue
                    if len(result.nodes) >= key.max_nodes:
                        result.partial_reasons.add("NODE_LIMIT")
                        continue
                    seen[i].add(other)
                    result.nodes[other] = (hop, degree)
                    next_frontier.append(other)
            frontiers[i] = next_frontier
        for i in active:
            if hop == keys[i].depth and frontiers[i] and _has_more(results[i], frontiers[i]):
                results[i].partial_reasons.add("DEPTH_LIMIT")


def _has_more(result: Neighborhood, frontier: list[str]) -> bool:
    """Whether nodes at the depth cap have edges the traversal did not follow."""
    return any(result.nodes[node][1] > 1 for node in frontier)


# --- verification and rebuild ------------------------------------------------------------

ALL_ENTITY_VERSIONS: LiteralString = """
MATCH (e:Entity) RETURN e.id AS id, e.version AS version
"""

ALL_RELATIONSHIPS: LiteralString = """
MATCH (s:Entity)-[r:RELATES_TO]->(t:Entity)
RETURN r.id AS id, s.id AS source, t.id AS target, r.type AS type
"""

# Relationships go first, in batches of their own: DETACH DELETE on a hub with a million
# edges would put all of them in one transaction and hit Neo4j's transaction memory limit.


async def entity_versions(graph: Graph) -> dict[str, int]:
    return {r["id"]: r["version"] for r in await graph.read(ALL_ENTITY_VERSIONS)}


async def relationship_endpoints(graph: Graph) -> dict[str, tuple[str, str, str]]:
    return {
        r["id"]: (r["source"], r["target"], r["type"]) for r in await graph.read(ALL_RELATIONSHIPS)
    }
