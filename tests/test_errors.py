"""Every failure carries `extensions.code` and a message that says what to fix; bad input
writes nothing; unexpected errors are masked."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.extensions import INTERNAL_MESSAGE, translate_error
from resolvers.node import to_global_id
from tests.conftest import GraphQLClient, Server, row_counts
from tests.test_entities import CREATE, DELETE, GET, UPDATE, create
from tests.test_policies import CREATE_POLICY
from tests.test_relationships import RELATE, RELATIONSHIPS

VALID = {"kind": "service", "name": "Valid"}


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    assert len(body["errors"]) == 1, body["errors"]
    error: dict[str, Any] = body["errors"][0]
    return error


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": "   "}, "name", "must not be empty"),
        ({"name": "x" * 201}, "name", "limit is 200"),
        ({"confidence": 1.5}, "confidence", "between 0 and 1"),
        ({"confidence": -0.1}, "confidence", "between 0 and 1"),
        ({"kind": "no spaces allowed"}, "kind", "1-64 characters"),
        ({"description": "d" * 10_001}, "description", "limit is 10000"),
        ({"tags": ["Not A Tag!"]}, "tags", "invalid tag"),
        ({"tags": [f"t{i}" for i in range(51)]}, "tags", "limit is 50"),
        ({"properties": {"blob": "x" * 70_000}}, "properties", "limit is 65536"),
        ({"properties": [1, 2]}, "properties", "JSON object"),
        ({"name": "bad\x00name"}, "name", "control characters"),
        ({"description": "bad\x00"}, "description", "NUL"),
        ({"properties": {"a": "x\x00"}}, "properties", "NUL"),
        ({"properties": {"k\x00": 1}}, "properties", "NUL"),
        ({"tags": [f"t{i}" for i in range(5_000)]}, "tags", "limit is 50"),
        (
            {
                "properties": {
                    "a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {}}}}}}}}}}
                }
            },
            "properties",
            "nests deeper",
        ),
    ],
)
async def test_create_entity_rejects_bad_input_and_writes_nothing(
    client: GraphQLClient, db: AsyncEngine, changes: dict[str, Any], field: str, words: str
) -> None:
    # given the row counts before
    before = await row_counts(db)
    # when an invalid entity is sent
    body = await client.execute(CREATE, {"input": {**VALID, **changes}})
    # then the error names the field and says what to fix
    error = only_error(body)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field
    assert words in error["message"]
    assert body["data"] is None
    # and nothing was written anywhere
    assert await row_counts(db) == before


async def test_malformed_global_ids_are_bad_input(client: GraphQLClient) -> None:
    for bad in ("not-an-id", "Zm9vYmFy", "RW50aXR5Om5vdC1hLXV1aWQ="):
        error = only_error(await client.execute(GET, {"id": bad}))
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "not a valid ID" in error["message"]
    # the ID of another type is refused too, saying which type is expected
    entity = await create(client)
    rel_id = "UmVsYXRpb25zaGlwOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDBmZg=="
    error = only_error(await client.execute(GET, {"id": rel_id}))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Entity ID is needed" in error["message"]
    assert entity["id"]


async def test_relating_to_unknown_entity_is_bad_input_and_writes_nothing(
    client: GraphQLClient, db: AsyncEngine
) -> None:
    source = await create(client)
    before = await row_counts(db)
    ghost = "RW50aXR5OjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDBmZg=="
    body = await client.execute(
        RELATE, {"input": {"sourceId": source["id"], "targetId": ghost, "type": "USES"}}
    )
    error = only_error(body)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "targetId"}
    assert "does not name an existing entity" in error["message"]
    assert await row_counts(db) == before


async def test_self_loops_and_bad_relationship_types_are_refused(client: GraphQLClient) -> None:
    a, b = await create(client), await create(client)
    loop = await client.execute(
        RELATE, {"input": {"sourceId": a["id"], "targetId": a["id"], "type": "USES"}}
    )
    assert only_error(loop)["extensions"]["code"] == "BAD_USER_INPUT"
    bad_type = await client.execute(
        RELATE, {"input": {"sourceId": a["id"], "targetId": b["id"], "type": "uses!"}}
    )
    assert "UPPER_SNAKE_CASE" in only_error(bad_type)["message"]


async def test_duplicate_relationship_is_conflict(client: GraphQLClient) -> None:
    a, b = await create(client), await create(client)
    variables = {"input": {"sourceId": a["id"], "targetId": b["id"], "type": "USES"}}
    await client.data(RELATE, variables)
    error = only_error(await client.execute(RELATE, variables))
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["relationshipId"]


async def test_unknown_entity_is_not_found(client: GraphQLClient) -> None:
    ghost = "RW50aXR5OjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDBmZg=="
    body = await client.execute(GET, {"id": ghost})
    assert body["data"] == {"entity": None}
    assert only_error(body)["extensions"]["code"] == "NOT_FOUND"
    update = await client.execute(UPDATE, {"input": {"id": ghost, "name": "x"}})
    assert only_error(update)["extensions"]["code"] == "NOT_FOUND"


async def test_stale_expected_version_is_conflict_and_writes_nothing(
    client: GraphQLClient, db: AsyncEngine
) -> None:
    # given an entity updated once (now at version 2)
    entity = await create(client)
    await client.data(UPDATE, {"input": {"id": entity["id"], "name": "v2"}})
    before = await row_counts(db)
    # when a client that read version 1 tries to update or delete it
    for query, variables in (
        (UPDATE, {"input": {"id": entity["id"], "expectedVersion": 1, "name": "late"}}),
        (DELETE, {"id": entity["id"], "v": 1}),
    ):
        error = only_error(await client.execute(query, variables))
        # then it gets CONFLICT with the current version, and nothing changes
        assert error["extensions"] == {"code": "CONFLICT", "currentVersion": 2}
        assert "Reload it" in error["message"]
    assert await row_counts(db) == before
    assert (await client.data(GET, {"id": entity["id"]}))["entity"]["name"] == "v2"


async def test_page_size_and_traversal_caps_are_enforced(client: GraphQLClient) -> None:
    entity = await create(client)
    too_many = await client.execute(RELATIONSHIPS, {"id": entity["id"], "first": 101})
    assert only_error(too_many)["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}
    deep = await client.execute(
        "query($id: ID!) { entity(id: $id) { neighbors(depth: 4) { degree } } }",
        {"id": entity["id"]},
    )
    assert only_error(deep)["extensions"]["field"] == "depth"
    bad_cursor = await client.execute('{ entities(after: "garbage") { totalCount } }')
    assert only_error(bad_cursor)["extensions"]["field"] == "after"


async def test_query_depth_alias_and_token_limits(client: GraphQLClient) -> None:
    nested = "{ entities { edges { node { " + "relationships { edges { node { target { " * 4
    nested += "name" + " } } } }" * 4 + " } } } }"
    depth = only_error(await client.execute(nested))
    assert depth["extensions"]["code"] == "BAD_USER_INPUT"
    assert "exceeds maximum operation depth" in depth["message"]
    aliases = "{ " + " ".join(f"a{i}: entities {{ totalCount }}" for i in range(40)) + " }"
    alias_error = (await client.execute(aliases))["errors"][0]
    assert "aliases" in alias_error["message"]
    assert alias_error["extensions"]["code"] == "BAD_USER_INPUT"
    tokens = "{ entities { " + "totalCount " * 3000 + "} }"
    token_error = (await client.execute(tokens))["errors"][0]
    assert "token" in token_error["message"].lower()


async def test_syntax_and_validation_errors_are_bad_input(client: GraphQLClient) -> None:
    syntax = only_error(await client.execute("{ entities { "))
    assert syntax["extensions"]["code"] == "BAD_USER_INPUT"
    unknown = only_error(await client.execute("{ nope }"))
    assert unknown["extensions"]["code"] == "BAD_USER_INPUT"
    wrong_type = await client.execute(CREATE, {"input": {"kind": "x", "name": 5}})
    assert only_error(wrong_type)["extensions"]["code"] == "BAD_USER_INPUT"


def test_unexpected_errors_are_masked_with_internal_code() -> None:
    error = GraphQLError(
        'relation "secret_table" does not exist',
        path=["entity"],
        original_error=RuntimeError('relation "secret_table" does not exist'),
    )
    masked = translate_error(error)
    assert masked.message == INTERNAL_MESSAGE
    assert masked.extensions == {"code": "INTERNAL"}
    assert "secret_table" not in str(masked.formatted)


async def test_logs_never_contain_tokens(client: GraphQLClient, server: Server) -> None:
    secret = "s3cr3t-token-value-that-must-not-leak"
    await client.execute("{ entities(first: 1) { totalCount } }", Authorization=f"Bearer {secret}")
    await client.http.get(f"/graphql?query={{__typename}}&token={secret}")
    assert secret not in server.log()


def test_an_exhausted_connection_pool_is_reported_as_capacity_not_an_outage() -> None:
    import sqlalchemy.exc

    from app.core.errors import as_unavailable

    # when no pooled connection frees up in time (Postgres itself is fine)
    error = as_unavailable(sqlalchemy.exc.TimeoutError("QueuePool limit reached"))
    # then callers get UNAVAILABLE that says the service is busy, not that Postgres is down
    assert error is not None
    assert error.extensions == {
        "code": "UNAVAILABLE",
        "backend": "postgres",
        "reason": "AT_CAPACITY",
    }
    assert "at capacity" in error.message


async def test_a_full_graph_connection_pool_is_capacity_not_an_outage() -> None:
    from app.core.errors import Unavailable
    from app.core.settings import Settings
    from graph.driver import create_graph

    # given a process allowed one Neo4j connection, which another query holds
    graph = create_graph(Settings(neo4j_pool_size=1, neo4j_connect_timeout=0.5))
    try:
        async with graph.driver.session(database=graph.database) as held:
            transaction = await held.begin_transaction()
            await transaction.run("RETURN 1")
            # when a read waits for a connection longer than the acquisition timeout
            with pytest.raises(Unavailable) as raised:
                await graph.read("RETURN 1 AS one")
            await transaction.rollback()
        # then it is told the service is busy, not that Neo4j is down
        assert raised.value.extensions == {
            "code": "UNAVAILABLE",
            "backend": "neo4j",
            "reason": "AT_CAPACITY",
        }
        # and the same read succeeds once the connection is free again
        assert [record["one"] for record in await graph.read("RETURN 1 AS one")] == [1]
    finally:
        await graph.driver.close()


async def test_a_policy_naming_too_many_resources_is_bad_input(
    client: GraphQLClient, db: AsyncEngine
) -> None:
    before = await row_counts(db)
    ids = [to_global_id("Entity", uuid.uuid4()) for _ in range(1_001)]
    draft = {"name": "many", "effect": "DENY", "actions": ["read"], "resources": {"ids": ids}}
    error = only_error(await client.execute(CREATE_POLICY, {"input": draft}))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "resources.ids"}
    assert "at most 1000" in error["message"]
    assert await row_counts(db) == before


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e400"])
async def test_numbers_json_cannot_hold_are_bad_input(
    client: GraphQLClient, db: AsyncEngine, number: str
) -> None:
    # given a request body that Python's JSON reader accepts with a non-finite number
    variables = '{"input": {"kind": "service", "name": "n", "properties": {"a": [NUMBER]}}}'
    body = f'{{"query": {json.dumps(CREATE)}, "variables": {variables.replace("NUMBER", number)}}}'
    before = await row_counts(db)
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    # then it is refused, naming the field, and nothing is written
    error = only_error(response.json())
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "properties"}
    assert "JSON cannot represent" in error["message"]
    assert await row_counts(db) == before
