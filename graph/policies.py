"""All Cypher for policies: `(:Policy {id, org, name, effect, state, version})` and what each
governs, `(:Policy)-[:GOVERNS]->(:Entity)` for ids and `(:Policy)-[:GOVERNS]->(:Tag)` for tags.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

from graph.driver import Graph, Statement

UPSERT_POLICIES: LiteralString = """
UNWIND $rows AS row
MERGE (p:Policy {id: row.id})
SET p.org = row.org, p.name = row.name, p.effect = row.effect, p.state = row.state,
    p.version = row.version
WITH p, row
CALL (p) {
  MATCH (p)-[g:GOVERNS]->()
  DELETE g
}
CALL (p, row) {
  UNWIND row.entity_ids AS entity_id
  MATCH (e:Entity {id: entity_id, org: row.org})
  MERGE (p)-[:GOVERNS]->(e)
}
CALL (p, row) {
  UNWIND row.tags AS tag
  MERGE (t:Tag {org: row.org, name: tag})
  MERGE (p)-[:GOVERNS]->(t)
}
"""

DELETE_POLICIES: LiteralString = """
UNWIND $rows AS row
MATCH (p:Policy {id: row.id})
DETACH DELETE p
"""

GOVERNED: LiteralString = """
UNWIND $ids AS policy_id
OPTIONAL MATCH (p:Policy {id: policy_id, org: $org})-[:GOVERNS]->(x)
RETURN policy_id,
       collect(CASE WHEN x:Entity THEN {kind: 'Entity', id: x.id}
                    WHEN x:Tag THEN {kind: 'Tag', id: x.name} END) AS governed
"""


ALL_POLICY_VERSIONS: LiteralString = """
MATCH (p:Policy) RETURN p.id AS id, p.version AS version
"""


async def policy_versions(graph: Graph) -> dict[str, int]:
    return {r["id"]: r["version"] for r in await graph.read(ALL_POLICY_VERSIONS)}


def upsert_policies(rows: list[dict[str, Any]]) -> Statement:
    return UPSERT_POLICIES, {"rows": rows}


def delete_policies(rows: list[dict[str, Any]]) -> Statement:
    return DELETE_POLICIES, {"rows": rows}


@dataclass(frozen=True, slots=True)
class Governed:
    kind: str  # "Entity" or "Tag"
    id: str  # entity id, or tag name


async def governed_by(graph: Graph, *, org: str, ids: Sequence[str]) -> list[list[Governed]]:
    """What each policy governs, in key order; one statement for the batch."""
    records = await graph.read(GOVERNED, org=org, ids=list(ids))
    found = {
        r["policy_id"]: [Governed(**g) for g in r["governed"] if g is not None] for r in records
    }
    return [found.get(key, []) for key in ids]
