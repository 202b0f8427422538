"""Relationships and traversal through the real endpoint, checked in Postgres and Neo4j."""

from __future__ import annotations

from typing import Any

import neo4j
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import GraphQLClient, cypher
from tests.test_entities import create, unique

RELATE = """
mutation Relate($input: RelateEntitiesInput!) {
  relateEntities(input: $input) {
    seq graphSynced
    relationship { id type confidence properties source { name } target { name } }
  }
}
"""

UNRELATE = """
mutation Unrelate($input: UnrelateEntitiesInput!) {
  unrelateEntities(input: $input) { seq graphSynced relationshipId }
}
"""

RELATIONSHIPS = """
query Rels($id: ID!, $direction: RelationshipDirection, $types: [String!], $first: Int,
           $after: String) {
  entity(id: $id) {
    relationships(direction: $direction, types: $types, first: $first, after: $after) {
      totalCount
      edges { cursor node { type source { name } target { name } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

NEIGHBORS = """
query Neighbors($id: ID!, $depth: Int!, $limit: Int!) {
  entity(id: $id) {
    neighbors(depth: $depth, perHopLimit: $limit) {
      degree partial partialReasons
      nodes { distance degree entity { name } }
      relationships { type source { name } target { name } }
    }
  }
}
"""


async def relate(
    client: GraphQLClient, source: dict[str, Any], target: dict[str, Any], type: str, **extra: Any
) -> dict[str, Any]:
    data = await client.data(
        RELATE,
        {"input": {"sourceId": source["id"], "targetId": target["id"], "type": type, **extra}},
    )
    payload: dict[str, Any] = data["relateEntities"]
    return payload


async def test_relate_writes_row_and_graph_edge(
    client: GraphQLClient, db: AsyncEngine, graph_db: neo4j.AsyncDriver
) -> None:
    # given two entities
    api = await create(client, name=unique("api"))
    store = await create(client, name=unique("store"), kind="database")
    # when they are related
    payload = await relate(
        client, api, store, "reads-from", confidence=0.9, properties={"via": "orm"}
    )
    # then the type is normalised and the relationship is returned with both ends
    rel = payload["relationship"]
    assert payload["graphSynced"] is True
    assert rel["type"] == "READS_FROM"
    assert rel["confidence"] == 0.9
    assert rel["properties"] == {"via": "orm"}
    assert rel["source"]["name"] == api["name"]
    assert rel["target"]["name"] == store["name"]
    # and Postgres has the row, Neo4j the edge between the two nodes
    async with db.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT r.type FROM relationships r JOIN entities s ON s.id = r.source_id "
                    "JOIN entities t ON t.id = r.target_id WHERE s.name = :s AND t.name = :t"
                ),
                {"s": api["name"], "t": store["name"]},
            )
        ).all()
    assert [r.type for r in rows] == ["READS_FROM"]
    edges = await cypher(
        graph_db,
        "MATCH (s:Entity {name: $s})-[r:RELATES_TO]->(t:Entity {name: $t}) "
        "RETURN r.type AS type, r.confidence AS confidence",
        s=api["name"],
        t=store["name"],
    )
    assert edges == [{"type": "READS_FROM", "confidence": 0.9}]


async def test_relationships_by_direction_type_and_pages(client: GraphQLClient) -> None:
    # given a hub with five outgoing edges of two types and one incoming edge
    hub = await create(client, name=unique("hub"))
    spokes = [await create(client, name=f"spoke-{i}") for i in range(5)]
    for i, spoke in enumerate(spokes):
        await relate(client, hub, spoke, "DEPENDS_ON" if i < 3 else "USES")
    caller = await create(client, name=unique("caller"))
    await relate(client, caller, hub, "CALLS")
    # then direction and type filters apply
    out = (await client.data(RELATIONSHIPS, {"id": hub["id"]}))["entity"]["relationships"]
    assert out["totalCount"] == 5
    incoming = await client.data(RELATIONSHIPS, {"id": hub["id"], "direction": "INCOMING"})
    assert [e["node"]["source"]["name"] for e in incoming["entity"]["relationships"]["edges"]] == [
        caller["name"]
    ]
    both = await client.data(RELATIONSHIPS, {"id": hub["id"], "direction": "BOTH"})
    assert both["entity"]["relationships"]["totalCount"] == 6
    uses = await client.data(RELATIONSHIPS, {"id": hub["id"], "types": ["uses"]})
    assert uses["entity"]["relationships"]["totalCount"] == 2
    # and pages of two walk all five outgoing edges exactly once
    seen: list[str] = []
    after = None
    while True:
        page = (await client.data(RELATIONSHIPS, {"id": hub["id"], "first": 2, "after": after}))[
            "entity"
        ]["relationships"]
        seen += [edge["node"]["target"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(s["name"] for s in spokes)


async def test_unrelate_by_id_and_by_endpoints(
    client: GraphQLClient, graph_db: neo4j.AsyncDriver
) -> None:
    a, b, c = [await create(client, name=unique(n)) for n in "abc"]
    first = await relate(client, a, b, "KNOWS")
    await relate(client, a, c, "KNOWS")
    removed = await client.data(
        UNRELATE, {"input": {"relationshipId": first["relationship"]["id"]}}
    )
    assert removed["unrelateEntities"]["graphSynced"] is True
    await client.data(
        UNRELATE, {"input": {"sourceId": a["id"], "targetId": c["id"], "type": "KNOWS"}}
    )
    left = await cypher(
        graph_db, "MATCH (:Entity {name: $a})-[r:RELATES_TO]->() RETURN r", a=a["name"]
    )
    assert left == []
    rels = (await client.data(RELATIONSHIPS, {"id": a["id"]}))["entity"]["relationships"]
    assert rels["totalCount"] == 0


async def test_delete_drops_edges_and_restore_brings_them_back(
    client: GraphQLClient, graph_db: neo4j.AsyncDriver
) -> None:
    a, b = [await create(client, name=unique(n)) for n in "ab"]
    await relate(client, a, b, "OWNS")
    await client.data(
        "mutation($id: ID!) { deleteEntity(id: $id) { graphSynced } }", {"id": b["id"]}
    )
    gone = await cypher(graph_db, "MATCH ({name: $a})-[r]->() RETURN r", a=a["name"])
    assert gone == []
    await client.data(
        "mutation($id: ID!) { restoreEntity(id: $id) { graphSynced } }", {"id": b["id"]}
    )
    back = await cypher(
        graph_db,
        "MATCH ({name: $a})-[r:RELATES_TO]->({name: $b}) RETURN r.type AS t",
        a=a["name"],
        b=b["name"],
    )
    assert back == [{"t": "OWNS"}]


async def test_neighbors_reports_distance_degree_and_partial(client: GraphQLClient) -> None:
    # given a chain root -> m1 -> leaf, and root -> m2, m3
    root = await create(client, name=unique("root"))
    m1, m2, m3 = [await create(client, name=unique(f"m{i}")) for i in range(1, 4)]
    leaf = await create(client, name=unique("leaf"))
    beyond = await create(client, name=unique("beyond"))
    for m in (m1, m2, m3):
        await relate(client, root, m, "LINKS")
    await relate(client, m1, leaf, "LINKS")
    await relate(client, leaf, beyond, "LINKS")
    # when walking two hops with room for everything at each hop
    result = (await client.data(NEIGHBORS, {"id": root["id"], "depth": 2, "limit": 10}))["entity"][
        "neighbors"
    ]
    # then every neighbour comes with its distance and degree
    found = {n["entity"]["name"]: (n["distance"], n["degree"]) for n in result["nodes"]}
    assert found == {
        m1["name"]: (1, 2),
        m2["name"]: (1, 1),
        m3["name"]: (1, 1),
        leaf["name"]: (2, 2),
    }
    assert result["degree"] == 3
    assert len(result["relationships"]) == 4
    # and the cap at depth 2 is reported, since the leaf has an edge not followed
    assert result["partial"] is True
    assert result["partialReasons"] == ["DEPTH_LIMIT"]
    # when each hop may follow only one edge
    capped = (await client.data(NEIGHBORS, {"id": root["id"], "depth": 1, "limit": 1}))["entity"][
        "neighbors"
    ]
    # then the result says so
    assert len(capped["nodes"]) == 1
    assert "PER_HOP_LIMIT" in capped["partialReasons"]
