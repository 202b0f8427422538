"""The service's own endpoints: health, readiness, GraphiQL and WebSocket transports."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import GraphQLClient, Server, start_server, stop_server
from tests.test_entities import GET, LIST, UPDATE, create, unique

QUERY_OVER_WS = "query($id: ID!) { entity(id: $id) { name } }"
SUBSCRIBE = "subscription($ids: [ID!]) { changes(ids: $ids) { seq type action objectId version } }"
CHANGES = """
query($since: Int!, $first: Int) { changes(since: $since, first: $first) { seq type version } }
"""


async def test_healthz_answers_while_process_lives(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_each_backend_up(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert {name: b["status"] for name, b in body["backends"].items()} == {
        "postgres": "up",
        "neo4j": "up",
        "redis": "up",
    }
    assert body["projection"]["pending"] == 0


async def test_graphiql_is_served_to_browsers(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def _auth(client: GraphQLClient) -> dict[str, str]:
    return {"Authorization": client.http.headers["Authorization"]}


async def _ws_roundtrip(
    url: str, protocol: str, start: dict[str, Any], auth: dict[str, str]
) -> list[dict[str, Any]]:
    async with websockets.connect(url, subprotocols=[protocol]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": auth}))
        ack = json.loads(await ws.recv())
        assert ack["type"] == "connection_ack"
        await ws.send(json.dumps(start))
        messages = []
        while True:
            message = json.loads(await ws.recv())
            if message["type"] in ("ka", "ping", "pong"):
                continue
            messages.append(message)
            if message["type"] in ("complete", "error"):
                return messages


async def test_queries_over_graphql_transport_ws(client: GraphQLClient, server: Server) -> None:
    entity = await create(client, name="Seen over WebSocket")
    ws_url = server.url.replace("http://", "ws://") + "/graphql"
    payload = {"query": QUERY_OVER_WS, "variables": {"id": entity["id"]}}
    messages = await _ws_roundtrip(
        ws_url,
        "graphql-transport-ws",
        {"id": "1", "type": "subscribe", "payload": payload},
        _auth(client),
    )
    assert messages[0]["type"] == "next"
    assert messages[0]["payload"]["data"] == {"entity": {"name": "Seen over WebSocket"}}
    assert messages[-1]["type"] == "complete"


@pytest.mark.parametrize(
    ("protocol", "start", "data"),
    [("graphql-transport-ws", "subscribe", "next"), ("graphql-ws", "start", "data")],
)
async def test_change_subscription_over_both_protocols(
    client: GraphQLClient, server: Server, protocol: str, start: str, data: str
) -> None:
    # given an entity and a subscriber to its changes
    entity = await create(client, name=f"watched over {protocol}")
    ws_url = server.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(ws_url, subprotocols=[protocol]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": _auth(client)}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "s1",
                    "type": start,
                    "payload": {"query": SUBSCRIBE, "variables": {"ids": [entity["id"]]}},
                }
            )
        )
        # when the entity is updated over HTTP (after the subscription is in place)
        await asyncio.sleep(0.5)
        updated = await client.data(UPDATE, {"input": {"id": entity["id"], "name": "changed"}})
        # then the subscriber receives the change with its sequence number and version
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 15))
            if message["type"] == data:
                break
        event = message["payload"]["data"]["changes"]
        assert event == {
            "seq": updated["updateEntity"]["seq"],
            "type": "entity.updated",
            "action": "UPDATED",
            "objectId": entity["id"],
            "version": 2,
        }


async def test_changes_since_returns_missed_changes_in_order(client: GraphQLClient) -> None:
    entity = await create(client, name="catch me up")
    first = (await client.data(CHANGES, {"since": 0, "first": 1}))["changes"]
    assert len(first) == 1
    start = (await client.data(UPDATE, {"input": {"id": entity["id"], "name": "v2"}}))[
        "updateEntity"
    ]["seq"] - 1
    await client.data(UPDATE, {"input": {"id": entity["id"], "name": "v3"}})
    missed = (await client.data(CHANGES, {"since": start}))["changes"]
    assert [(c["type"], c["version"]) for c in missed] == [
        ("entity.updated", 2),
        ("entity.updated", 3),
    ]
    assert missed[0]["seq"] < missed[1]["seq"]


async def operation_turns(url: str) -> tuple[float, float]:
    """(operations waiting now, operations that have waited) from the process's metrics."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        text = (await http.get("/metrics")).text
    waiting = re.search(r"^nexus_graphql_operations_waiting (\S+)$", text, re.M)
    delayed = re.search(r"^nexus_graphql_operations_delayed_total (\S+)$", text, re.M)
    assert waiting is not None, text
    assert delayed is not None, text
    return float(waiting.group(1)), float(delayed.group(1))


async def test_operations_take_turns_and_all_are_answered(
    client: GraphQLClient, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # given a server that runs one operation at a time
    tag = unique("turns")
    made = [await create(client, name=f"turn{i}", tags=[tag]) for i in range(6)]
    single = start_server(
        tmp_path_factory.mktemp("single") / "server.log", NEXUS_MAX_CONCURRENT_OPERATIONS="1"
    )
    try:
        async with httpx.AsyncClient(
            base_url=single.url, headers=dict(client.http.headers), timeout=60
        ) as http:
            on_single = GraphQLClient(http)
            page = {"filter": {"tags": [tag]}, "first": 10}

            # when reads past the cache, identical cacheable reads (which wait for one
            # computation) and writes arrive together
            async def read(query: str, variables: dict[str, Any], **headers: str) -> Any:
                response = await http.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=headers
                )
                return response.json()["data"]

            uncached = [read(GET, {"id": e["id"]}, **{"Cache-Control": "no-store"}) for e in made]
            shared = [read(LIST, page) for _ in range(6)]
            writes = [
                on_single.data(UPDATE, {"input": {"id": e["id"], "confidence": 0.5}})
                for e in made[:2]
            ]
            replies = await asyncio.wait_for(asyncio.gather(*uncached, *shared, *writes), 60)
            # then every one is answered, and correctly
            names = [reply["entity"]["name"] for reply in replies[: len(made)]]
            assert names == [entity["name"] for entity in made]
            for reply in replies[len(made) : len(made) + len(shared)]:
                assert reply["entities"]["totalCount"] == len(made)
            for reply in replies[len(made) + len(shared) :]:
                assert reply["updateEntity"]["entity"]["id"] in {e["id"] for e in made[:2]}
            # and some of them waited for their turn, none is left waiting
            waiting, delayed = await operation_turns(single.url)
            assert delayed >= 1
            assert waiting == 0
    finally:
        stop_server(single)
