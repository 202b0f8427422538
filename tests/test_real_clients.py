"""Subscriptions through the clients frontends and scripts really use: Python's `gql` and
JavaScript's `graphql-ws` (run by Node)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess

import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from tests.conftest import ROOT, GraphQLClient, Server
from tests.live_client import ws_url
from tests.test_entities import UPDATE, create, unique

JS_DIR = ROOT / "tests" / "js"

ENTITY_CHANGED = """
subscription($id: ID) { entityChanged(id: $id) { seq action version entity { name } } }
"""


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_python_gql_client_receives_changes(
    client: GraphQLClient, server: Server, protocol: str, admin_token: str
) -> None:
    entity = await create(client, name=unique("gql"))
    subprotocol = (
        WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL
        if protocol == "graphql-transport-ws"
        else WebsocketsTransport.APOLLO_SUBPROTOCOL
    )
    transport = WebsocketsTransport(
        url=ws_url(server.url),
        subprotocols=[subprotocol],
        init_payload={"Authorization": f"Bearer {admin_token}"},
    )
    async with Client(transport=transport) as session:
        request = GraphQLRequest(ENTITY_CHANGED, variable_values={"id": entity["id"]})
        stream = session.subscribe(request)
        first = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.5)
        written = await client.data(UPDATE, {"input": {"id": entity["id"], "name": "by gql"}})
        event = (await asyncio.wait_for(first, 15))["entityChanged"]
        # The creation's own event may still be on its way when the subscription starts
        # (projection is asynchronous); the update is what this test waits for.
        while event["seq"] < written["updateEntity"]["seq"]:
            event = (await asyncio.wait_for(anext(stream), 15))["entityChanged"]
    assert event == {
        "seq": written["updateEntity"]["seq"],
        "action": "UPDATED",
        "version": 2,
        "entity": {"name": "by gql"},
    }


@pytest.fixture(scope="session")
def node_client() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node, "Node.js is needed for the JavaScript client test"
    assert npm, "npm is needed for the JavaScript client test"
    if not (JS_DIR / "node_modules" / "graphql-ws").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True, timeout=300)
    return node


async def test_javascript_graphql_ws_client_receives_changes(
    client: GraphQLClient, server: Server, node_client: str, admin_token: str
) -> None:
    entity = await create(client, name=unique("js"))
    process = await asyncio.create_subprocess_exec(
        node_client,
        str(JS_DIR / "subscribe.mjs"),
        ws_url(server.url),
        entity["id"],
        "2",
        admin_token,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    started = json.loads(await asyncio.wait_for(process.stdout.readline(), 20))
    assert started == {"subscribed": True}
    await asyncio.sleep(1)
    seqs = [
        (await client.data(UPDATE, {"input": {"id": entity["id"], "name": f"js {i}"}}))[
            "updateEntity"
        ]["seq"]
        for i in range(2)
    ]
    out, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, out
    events = [json.loads(line)["data"]["entityChanged"] for line in out.decode().splitlines()]
    assert [e["seq"] for e in events] == seqs
    assert [e["entity"]["name"] for e in events] == ["js 0", "js 1"]
