"""Neo4j goes down: writes still commit, graph reads answer UNAVAILABLE promptly, and the
projector catches up by itself when Neo4j is back. Nothing accepted is lost."""

from __future__ import annotations

import asyncio
import base64
import time

import httpx
import neo4j
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import (
    GraphQLClient,
    MakeMember,
    Server,
    cypher,
    run_cli,
    services,
    start_server,
    stop_server,
)
from tests.test_auth import SET_MEMBERSHIP
from tests.test_dataset_access import UPSERT
from tests.test_entities import CREATE, create, unique
from tests.test_openlineage import run_event
from tests.test_openlineage_access import CREATE_KEY
from tests.test_relationships import RELATE, RELATIONSHIPS

PROMPT_SECONDS = 15
CATALOGUE = "{ entities(first: 1) { totalCount } }"


async def test_writes_survive_neo4j_outage_and_graph_catches_up(
    client: GraphQLClient, server: Server, db: AsyncEngine, graph_db: neo4j.AsyncDriver
) -> None:
    # given an entity that is already in the graph
    known = await create(client, name=unique("before-outage"))
    name = unique("during-outage")

    services("stop", "neo4j")
    try:
        # when a client writes while Neo4j is down
        started = time.monotonic()
        body = await client.execute(CREATE, {"input": {"kind": "service", "name": name}})
        # then the write commits in Postgres and says the graph is not synced yet
        assert not body.get("errors"), body
        created = body["data"]["createEntity"]
        assert created["graphSynced"] is False
        assert time.monotonic() - started < PROMPT_SECONDS
        relate = await client.execute(
            RELATE,
            {"input": {"sourceId": known["id"], "targetId": created["entity"]["id"], "type": "X"}},
        )
        assert relate["data"]["relateEntities"]["graphSynced"] is False
        async with db.connect() as conn:
            committed = await conn.execute(
                text("SELECT count(*) FROM entities WHERE name = :n"), {"n": name}
            )
            assert committed.scalar_one() == 1
        # and a query that needs the graph answers UNAVAILABLE promptly instead of hanging
        started = time.monotonic()
        rels = await client.execute(RELATIONSHIPS, {"id": known["id"]})
        assert time.monotonic() - started < PROMPT_SECONDS
        assert rels["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
        assert "Neo4j" in rels["errors"][0]["message"]
        # and readiness says which backend is down
        async with httpx.AsyncClient(base_url=server.url) as http:
            ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["backends"]["neo4j"]["status"] == "down"
        assert ready.json()["projection"]["pending"] >= 2
        # and records that need only Postgres are still served
        still = await client.data(
            "query($id: ID!) { entity(id: $id) { name } }", {"id": created["entity"]["id"]}
        )
        assert still["entity"]["name"] == name
    finally:
        services("start", "neo4j")

    # when Neo4j is back, the background projector catches up without any help
    deadline = time.monotonic() + 90
    edges: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        try:
            edges = await cypher(
                graph_db,
                "MATCH (:Entity {name: $a})-[r:RELATES_TO]->(:Entity {name: $b}) "
                "RETURN r.type AS t",
                a=known["name"],
                b=name,
            )
        except neo4j.exceptions.ServiceUnavailable:
            edges = []
        if edges:
            break
        await asyncio.sleep(1)
    # then the node and relationship written during the outage are in the graph
    assert edges == [{"t": "X"}]
    rels = await client.data(RELATIONSHIPS, {"id": known["id"]})
    assert rels["entity"]["relationships"]["totalCount"] == 1
    async with httpx.AsyncClient(base_url=server.url) as http:
        ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["projection"]["pending"] == 0
    assert "graph matches postgres" in run_cli("graph", "verify").stdout


async def test_postgres_outage_answers_unavailable_and_recovers(
    client: GraphQLClient, server: Server
) -> None:
    # given a working service
    entity = await create(client, name=unique("pg-outage"))
    dataset_id = await upsert_dataset(client, unique("pg-outage"))
    key = (await client.data(CREATE_KEY, {"name": unique("pipeline"), "role": "EDITOR"}))[
        "createApiKey"
    ]["secret"]
    services("stop", "postgres")
    try:
        # when a pipeline sends lineage with an API key (checked in Postgres), it hears
        # UNAVAILABLE too, as JSON, and knows to retry
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as http:
            pushed = await http.post("/api/v1/lineage", json=run_event(unique("pg://x")))
        assert pushed.status_code == 503, pushed.text
        assert pushed.json()["code"] == "UNAVAILABLE"
        # when Postgres is down, reads and writes answer UNAVAILABLE promptly, nothing hangs
        for query, variables in (
            ("{ entities(first: 1) { totalCount } }", {}),
            (DATASET_NAME, {"id": dataset_id}),
            (CREATE, {"input": {"kind": "service", "name": "refused"}}),
        ):
            started = time.monotonic()
            body = await client.execute(query, variables)
            assert time.monotonic() - started < PROMPT_SECONDS
            assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE", body
            assert "postgres" in body["errors"][0]["message"].lower()
        async with httpx.AsyncClient(base_url=server.url) as http:
            ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["backends"]["postgres"]["status"] == "down"
    finally:
        services("start", "postgres")
    # when it is back, the same process serves again without a restart
    deadline = time.monotonic() + 30
    while True:
        body = await client.execute(
            "query($id: ID!) { entity(id: $id) { name } }", {"id": entity["id"]}
        )
        if not body.get("errors") or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    assert body["data"]["entity"]["name"] == entity["name"]
    dataset = await client.data(DATASET_NAME, {"id": dataset_id})
    assert dataset["dataset"]["name"] == "orders"
    refused = await client.data('{ entities(filter: {namePrefix: "refused"}) { totalCount } }')
    assert refused["entities"]["totalCount"] == 0


async def test_connections_lost_in_a_postgres_restart_are_replaced_unseen(
    client: GraphQLClient,
) -> None:
    # given a service whose connection pool holds connections to Postgres
    entity = await create(client, name=unique("pg-restart"))
    dataset_id = await upsert_dataset(client, unique("pg-restart"))
    for _ in range(3):
        await client.data("query($id: ID!) { entity(id: $id) { name } }", {"id": entity["id"]})
        await client.data(DATASET_NAME, {"id": dataset_id})
    # when Postgres restarts while the service is idle
    services("stop", "postgres")
    services("start", "postgres")
    # then the very first reads and write after it succeed: the dead connections were
    # replaced before use, not discovered by failing a request; datasets by id are read
    # straight through a pooled driver connection, checked out like any other
    dataset = await client.execute(DATASET_NAME, {"id": dataset_id})
    assert "errors" not in dataset, dataset
    assert dataset["data"]["dataset"]["name"] == "orders"
    read = await client.execute(
        "query($id: ID!) { entity(id: $id) { name } }", {"id": entity["id"]}
    )
    assert "errors" not in read, read
    assert read["data"]["entity"]["name"] == entity["name"]
    written = await client.execute(
        CREATE, {"input": {"kind": "service", "name": unique("after-restart")}}
    )
    assert "errors" not in written, written


DATASET_NAME = "query($id: ID!) { dataset(id: $id) { name } }"


async def upsert_dataset(client: GraphQLClient, namespace: str) -> str:
    made = await client.data(UPSERT, {"input": {"namespace": namespace, "name": "orders"}})
    dataset_id: str = made["upsertDataset"]["dataset"]["id"]
    return dataset_id


async def test_redis_outage_keeps_tokens_working_but_refuses_logins(
    client: GraphQLClient,
    anonymous: GraphQLClient,
    member: MakeMember,
    db: AsyncEngine,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # given a working token, a session logged out on this server, and a second server that
    # is configured to refuse every request while revocations cannot be checked
    query = "{ me { role } }"
    assert (await client.data(query))["me"]["role"] == "ADMIN"
    leaver = await member("viewer")
    await leaver.client.data("mutation { logout }")
    strict = start_server(
        tmp_path_factory.mktemp("strict") / "server.log", NEXUS_REVOCATION_FAIL_CLOSED="true"
    )
    services("stop", "redis")
    try:
        # when Redis, which holds revocations and login limits, cannot be asked:
        # then a valid token is still served (revocations fall back to this process's own)
        started = time.monotonic()
        assert (await client.data(query))["me"]["role"] == "ADMIN"
        assert time.monotonic() - started < PROMPT_SECONDS
        # and catalogue reads are answered, past the result cache that lives in Redis
        for _ in range(3):
            started = time.monotonic()
            response = await client.http.post("/graphql", json={"query": CATALOGUE})
            assert not response.json().get("errors"), response.text
            assert response.headers["x-nexus-cache"] == "unavailable"
            assert time.monotonic() - started < PROMPT_SECONDS
        # and the session logged out here stays logged out
        revoked = await leaver.client.execute(query)
        assert revoked["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", revoked
        # and a role change, which must revoke the member's tokens everywhere, is refused
        # whole rather than committed without the revocation
        changed = await client.execute(SET_MEMBERSHIP, {"id": leaver.user_id, "role": "EDITOR"})
        assert changed["errors"][0]["extensions"]["code"] == "UNAVAILABLE", changed
        # and logins are refused, since their brute-force limit cannot be counted
        login = await anonymous.execute(
            'mutation { login(email: "a@b.example", password: "whatever-long") { role } }'
        )
        assert login["errors"][0]["extensions"]["code"] == "UNAVAILABLE", login
        # and the strict server answers UNAVAILABLE rather than trusting the token
        async with httpx.AsyncClient(
            base_url=strict.url, headers=dict(client.http.headers)
        ) as http:
            body = (await http.post("/graphql", json={"query": query})).json()
        assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE", body
    finally:
        services("start", "redis")
        stop_server(strict)
    # when Redis is back, logins work again
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = await anonymous.execute(
            'mutation { login(email: "a@b.example", password: "whatever-long") { role } }'
        )
        if body["errors"][0]["extensions"]["code"] != "UNAVAILABLE":
            break
        await asyncio.sleep(0.5)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # and the result cache is used again, without a restart
    for _ in range(20):
        response = await client.http.post("/graphql", json={"query": CATALOGUE})
        if response.headers["x-nexus-cache"] in ("miss", "hit"):
            break
        await asyncio.sleep(0.5)
    assert response.headers["x-nexus-cache"] in ("miss", "hit")
    # and the refused role change left the role as it was
    raw_id = base64.urlsafe_b64decode(leaver.user_id).decode().split(":", 1)[1]
    async with db.connect() as conn:
        role = await conn.scalar(
            text("SELECT role FROM memberships WHERE user_id = :id"), {"id": raw_id}
        )
    assert role == "viewer"
    await asyncio.sleep(2)  # let the live-update listener resubscribe before later tests
