"""Entities through the real HTTP endpoint: create, read, update, delete, restore, list."""

from __future__ import annotations

import uuid
from typing import Any

import neo4j
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import GraphQLClient, cypher

ENTITY_FIELDS = """
id kind name description properties confidence tags version createdAt updatedAt deletedAt
"""

CREATE = f"""
mutation Create($input: CreateEntityInput!) {{
  createEntity(input: $input) {{ seq graphSynced entity {{ {ENTITY_FIELDS} }} }}
}}
"""

UPDATE = f"""
mutation Update($input: UpdateEntityInput!) {{
  updateEntity(input: $input) {{ seq graphSynced entity {{ {ENTITY_FIELDS} }} }}
}}
"""

DELETE = """
mutation Delete($id: ID!, $v: Int) {
  deleteEntity(id: $id, expectedVersion: $v) { seq graphSynced entity { id version deletedAt } }
}
"""

RESTORE = """
mutation Restore($id: ID!) {
  restoreEntity(id: $id) { seq graphSynced entity { id version deletedAt } }
}
"""

GET = f"query Get($id: ID!) {{ entity(id: $id) {{ {ENTITY_FIELDS} }} }}"

LIST = """
query List($filter: EntityFilterInput, $orderBy: EntityOrderInput, $first: Int, $after: String) {
  entities(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    edges { cursor node { id name kind tags } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

NODE = """
query Node($id: ID!, $ids: [ID!]!) {
  node(id: $id) { id ... on Entity { name } }
  nodes(ids: $ids) { id ... on Entity { name } }
}
"""


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def create(client: GraphQLClient, **fields: Any) -> dict[str, Any]:
    payload = {"kind": "service", "name": unique("svc"), **fields}
    data = await client.data(CREATE, {"input": payload})
    entity: dict[str, Any] = data["createEntity"]["entity"]
    return entity


async def test_create_entity_writes_record_version_outbox_audit_and_graph_node(
    client: GraphQLClient, db: AsyncEngine, graph_db: neo4j.AsyncDriver
) -> None:
    # given an entity with every field set
    tag = unique("tag")
    payload = {
        "kind": "Service",
        "name": "  Billing API  ",
        "description": "Charges customers.",
        "properties": {"language": "python", "tier": 1, "nested": {"ok": [1, 2]}},
        "confidence": 0.75,
        "tags": [tag, "Tier-1", tag],
    }
    # when it is created
    data = await client.data(CREATE, {"input": payload})
    # then the response holds the cleaned entity at version 1, synced to the graph
    result = data["createEntity"]
    entity = result["entity"]
    assert result["graphSynced"] is True
    assert result["seq"] > 0
    assert entity["kind"] == "service"
    assert entity["name"] == "Billing API"
    assert entity["properties"] == payload["properties"]
    assert entity["confidence"] == 0.75
    assert entity["tags"] == [tag, "tier-1"]
    assert entity["version"] == 1
    assert entity["deletedAt"] is None
    # and Postgres holds the record, its first version, the outbox event and an audit row
    raw_id = (await client.data(NODE, {"id": entity["id"], "ids": []}))["node"]["id"]
    assert raw_id == entity["id"]
    async with db.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT id, version FROM entities WHERE name = 'Billing API' AND :t = ANY(tags)"
                ),
                {"t": tag},
            )
        ).one()
        entity_uuid = row.id
        assert row.version == 1
        assert (
            await conn.execute(
                text("SELECT count(*) FROM entity_versions WHERE entity_id = :id"),
                {"id": entity_uuid},
            )
        ).scalar_one() == 1
        outbox = (
            await conn.execute(
                text("SELECT event_type, projected_at FROM outbox WHERE aggregate_id = :id"),
                {"id": entity_uuid},
            )
        ).one()
        assert outbox.event_type == "entity.created"
        assert outbox.projected_at is not None
        audit = (
            await conn.execute(
                text("SELECT action, outcome FROM audit_log WHERE target_id = :id"),
                {"id": entity_uuid},
            )
        ).one()
        assert (audit.action, audit.outcome) == ("entity.create", "success")
    # and Neo4j holds the node
    nodes = await cypher(
        graph_db,
        "MATCH (e:Entity {id: $id}) RETURN e.name AS name, e.version AS v",
        id=str(entity_uuid),
    )
    assert nodes == [{"name": "Billing API", "v": 1}]


async def test_update_with_expected_version_bumps_version_and_graph(
    client: GraphQLClient, graph_db: neo4j.AsyncDriver
) -> None:
    # given an entity at version 1
    entity = await create(client, description="old")
    # when it is updated with the version it was read at
    data = await client.data(
        UPDATE,
        {"input": {"id": entity["id"], "expectedVersion": 1, "name": "Renamed", "tags": ["x"]}},
    )
    updated = data["updateEntity"]["entity"]
    # then the change lands, the version moves on and untouched fields stay
    assert updated["version"] == 2
    assert updated["name"] == "Renamed"
    assert updated["tags"] == ["x"]
    assert updated["description"] == "old"
    assert updated["updatedAt"] >= entity["updatedAt"]
    # and the graph node follows
    fetched = (await client.data(GET, {"id": entity["id"]}))["entity"]
    assert fetched["name"] == "Renamed"
    raw = await cypher(graph_db, "MATCH (e:Entity {name: 'Renamed'}) RETURN e.version AS v")
    assert {"v": 2} in raw


async def test_update_without_changes_keeps_version(client: GraphQLClient) -> None:
    entity = await create(client)
    data = await client.data(UPDATE, {"input": {"id": entity["id"], "name": entity["name"]}})
    assert data["updateEntity"]["entity"]["version"] == 1
    assert data["updateEntity"]["seq"] == 0


async def test_delete_hides_from_graph_and_lists_and_restore_brings_back(
    client: GraphQLClient, graph_db: neo4j.AsyncDriver
) -> None:
    # given an entity with a unique tag
    tag = unique("del")
    entity = await create(client, tags=[tag])
    # when it is deleted
    deleted = (await client.data(DELETE, {"id": entity["id"], "v": 1}))["deleteEntity"]
    # then it is soft-deleted: still readable by id, gone from lists and from the graph
    assert deleted["entity"]["deletedAt"] is not None
    assert deleted["entity"]["version"] == 2
    listed = (await client.data(LIST, {"filter": {"tag": tag}}))["entities"]
    assert listed["totalCount"] == 0
    with_deleted = await client.data(LIST, {"filter": {"tag": tag, "includeDeleted": True}})
    assert with_deleted["entities"]["totalCount"] == 1
    assert await cypher(graph_db, "MATCH (e:Entity) WHERE $t IN e.tags RETURN e", t=tag) == []
    # when it is restored
    restored = (await client.data(RESTORE, {"id": entity["id"]}))["restoreEntity"]
    # then it is back everywhere, at a new version
    assert restored["entity"]["deletedAt"] is None
    assert restored["entity"]["version"] == 3
    assert (await client.data(LIST, {"filter": {"tag": tag}}))["entities"]["totalCount"] == 1
    back = await cypher(
        graph_db, "MATCH (e:Entity) WHERE $t IN e.tags RETURN e.version AS v", t=tag
    )
    assert back == [{"v": 3}]


async def test_entities_filter_by_kind_tag_and_name_prefix(client: GraphQLClient) -> None:
    # given entities of two kinds sharing a tag
    tag = unique("flt")
    await create(client, kind="team", name="Alpha Team", tags=[tag])
    await create(client, kind="team", name="Beta Team", tags=[tag, "core"])
    await create(client, kind="person", name="Alpha Person", tags=[tag])
    # then each filter narrows the list
    by_kind = await client.data(LIST, {"filter": {"tag": tag, "kind": "team"}})
    assert [e["node"]["name"] for e in by_kind["entities"]["edges"]] == ["Alpha Team", "Beta Team"]
    by_tags = await client.data(LIST, {"filter": {"tags": [tag, "core"]}})
    assert [e["node"]["name"] for e in by_tags["entities"]["edges"]] == ["Beta Team"]
    by_prefix = await client.data(LIST, {"filter": {"tag": tag, "namePrefix": "alpha"}})
    names = [e["node"]["name"] for e in by_prefix["entities"]["edges"]]
    assert names == ["Alpha Person", "Alpha Team"]
    # and a prefix with LIKE wildcards matches literally
    none = await client.data(LIST, {"filter": {"tag": tag, "namePrefix": "%"}})
    assert none["entities"]["totalCount"] == 0


async def test_entities_cursor_pagination_walks_every_item_once(client: GraphQLClient) -> None:
    # given seven entities
    tag = unique("page")
    names = [f"Item {i:02d}" for i in range(7)]
    for name in reversed(names):
        await create(client, name=name, tags=[tag])
    # when paging three at a time, newest first by name descending and ascending
    for direction, expected in (("ASC", names), ("DESC", list(reversed(names)))):
        seen: list[str] = []
        after = None
        pages = 0
        while True:
            page = (
                await client.data(
                    LIST,
                    {
                        "filter": {"tag": tag},
                        "orderBy": {"field": "NAME", "direction": direction},
                        "first": 3,
                        "after": after,
                    },
                )
            )["entities"]
            pages += 1
            seen += [edge["node"]["name"] for edge in page["edges"]]
            assert page["totalCount"] == 7
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        # then every item comes once, in order, in three pages
        assert seen == expected
        assert pages == 3


async def test_entities_ordered_by_creation_time(client: GraphQLClient) -> None:
    tag = unique("time")
    for name in ("first", "second", "third"):
        await create(client, name=name, tags=[tag])
    page = await client.data(
        LIST,
        {
            "filter": {"tag": tag},
            "orderBy": {"field": "CREATED_AT", "direction": "DESC"},
            "first": 2,
        },
    )
    edges = page["entities"]["edges"]
    assert [e["node"]["name"] for e in edges] == ["third", "second"]
    rest = await client.data(
        LIST,
        {
            "filter": {"tag": tag},
            "orderBy": {"field": "CREATED_AT", "direction": "DESC"},
            "after": page["entities"]["pageInfo"]["endCursor"],
        },
    )
    assert [e["node"]["name"] for e in rest["entities"]["edges"]] == ["first"]


async def test_node_and_nodes_resolve_global_ids_in_order(client: GraphQLClient) -> None:
    a = await create(client, name="Node A")
    b = await create(client, name="Node B")
    missing = "RW50aXR5OjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDBmZg=="
    data = await client.data(NODE, {"id": a["id"], "ids": [b["id"], missing, a["id"]]})
    assert data["node"] == {"id": a["id"], "name": "Node A"}
    assert data["nodes"] == [
        {"id": b["id"], "name": "Node B"},
        None,
        {"id": a["id"], "name": "Node A"},
    ]


async def test_queries_work_over_get(client: GraphQLClient) -> None:
    entity = await create(client, name="Over GET")
    response = await client.http.get(
        "/graphql",
        params={"query": GET, "variables": f'{{"id": "{entity["id"]}"}}'},
    )
    assert response.status_code == 200
    assert response.json()["data"]["entity"]["name"] == "Over GET"
