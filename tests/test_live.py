"""Live updates: scoped subscriptions, fan-out across replicas, catch-up after a drop, slow
consumers cut off, Redis outages made visible, nothing leaked by abrupt disconnects."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest
import websockets
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.frames import Close

from tests.conftest import (
    GraphQLClient,
    MakeMember,
    Server,
    services,
    start_server,
    stop_server,
)
from tests.live_client import LiveClient, live_client, ws_url
from tests.test_auth import CREATE_KEY, SET_MEMBERSHIP, forged
from tests.test_entities import UPDATE, create, unique
from tests.test_relationships import RELATE

ENTITY_CHANGED = """
subscription($id: ID, $kind: String) {
  entityChanged(id: $id, kind: $kind) {
    seq action version objectId endpointIds
    entity { name version }
    relationship { type target { name } }
  }
}
"""

CHANGES = "subscription($types: [String!]) { changes(types: $types) { seq type objectId } }"

CATCH_UP = """
query($since: Int!) { changes(since: $since, first: 100) { seq type action objectId version } }
"""


@pytest.fixture(scope="module")
def replica(fresh_databases: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second server process on the same databases and Redis, with a tiny subscriber queue
    and fast keep-alives."""
    srv = start_server(
        tmp_path_factory.mktemp("replica") / "server.log",
        NEXUS_SUBSCRIBER_QUEUE_SIZE="3",
        NEXUS_WS_KEEPALIVE_INTERVAL="0.5",
        NEXUS_WS_CREDENTIAL_RECHECK_INTERVAL="0.5",
    )
    yield srv
    stop_server(srv)


async def test_entity_changed_by_id_sees_updates_and_relationships(
    client: GraphQLClient, server: Server, admin_token: str
) -> None:
    # given an entity watched by id, and another entity of the same kind that is not watched
    watched = await create(client, name=unique("watched"), kind="robot")
    other = await create(client, name=unique("other"), kind="robot")
    async with live_client(server.url, admin_token) as live:
        await live.subscribe(ENTITY_CHANGED, {"id": watched["id"]})
        await asyncio.sleep(0.3)
        # when the other entity changes, then the watched one, then it gains a relationship
        await client.data(UPDATE, {"input": {"id": other["id"], "name": "ignored"}})
        updated = await client.data(UPDATE, {"input": {"id": watched["id"], "name": "renamed"}})
        related = await client.data(
            RELATE, {"input": {"sourceId": watched["id"], "targetId": other["id"], "type": "X"}}
        )
        # then only the watched entity's changes arrive, in order, each with its seq
        first = (await live.event())["data"]["entityChanged"]
        assert first["seq"] == updated["updateEntity"]["seq"]
        assert first["action"] == "UPDATED"
        assert first["objectId"] == watched["id"]
        assert first["entity"] == {"name": "renamed", "version": 2}
        second = (await live.event())["data"]["entityChanged"]
        assert second["seq"] == related["relateEntities"]["seq"]
        assert second["action"] == "RELATED"
        assert second["entity"] is None
        assert second["relationship"]["target"]["name"] == "ignored"
        assert second["endpointIds"] == [watched["id"], other["id"]]


async def test_entity_changed_by_kind_and_argument_errors(
    client: GraphQLClient, server: Server, admin_token: str
) -> None:
    kind = unique("kind").replace("-", "")
    async with live_client(server.url, admin_token) as live:
        await live.subscribe(ENTITY_CHANGED, {"kind": kind})
        await asyncio.sleep(0.3)
        await create(client, kind="elsewhere")
        mine = await create(client, kind=kind, name="of my kind")
        event = (await live.event())["data"]["entityChanged"]
        assert event["action"] == "CREATED"
        assert event["objectId"] == mine["id"]
    async with live_client(server.url, admin_token) as live:
        await live.subscribe(ENTITY_CHANGED, {})
        message = await live.message()
        assert message["type"] in ("error", "next")
        assert "exactly one of id or kind" in str(message["payload"])


async def test_a_change_written_on_one_replica_reaches_subscribers_on_another(
    client: GraphQLClient, server: Server, replica: Server, admin_token: str
) -> None:
    # given a subscriber connected to the second replica
    entity = await create(client, name=unique("fanout"))
    async with live_client(replica.url, admin_token, "graphql-ws") as live:
        await live.subscribe(ENTITY_CHANGED, {"id": entity["id"]})
        await asyncio.sleep(0.3)
        # when the first replica writes
        written = await client.data(UPDATE, {"input": {"id": entity["id"], "name": "via A"}})
        # then the subscriber on the second replica receives it
        event = (await live.event())["data"]["entityChanged"]
        assert event["seq"] == written["updateEntity"]["seq"]
        assert event["entity"]["name"] == "via A"


async def test_reconnecting_client_catches_up_without_missing_anything(
    client: GraphQLClient, server: Server, admin_token: str
) -> None:
    # given a subscriber that has seen one change
    entity = await create(client, name=unique("catchup"))
    async with live_client(server.url, admin_token) as live:
        await live.subscribe(ENTITY_CHANGED, {"id": entity["id"]})
        await asyncio.sleep(0.3)
        await client.data(UPDATE, {"input": {"id": entity["id"], "name": "seen"}})
        last_seen = (await live.event())["data"]["entityChanged"]["seq"]
    # when its connection drops and changes happen meanwhile
    missed = [
        (await client.data(UPDATE, {"input": {"id": entity["id"], "name": f"missed {i}"}}))[
            "updateEntity"
        ]["seq"]
        for i in range(3)
    ]
    # and it reconnects: subscribe first, then catch up from the last seq it saw
    async with live_client(server.url, admin_token) as live:
        await live.subscribe(ENTITY_CHANGED, {"id": entity["id"]})
        await asyncio.sleep(0.3)
        caught_up = (await client.data(CATCH_UP, {"since": last_seen}))["changes"]
        after = await client.data(UPDATE, {"input": {"id": entity["id"], "name": "live again"}})
        live_event = (await live.event())["data"]["entityChanged"]
    # then catch-up holds exactly the missed changes, in order, and live events continue
    mine = [c for c in caught_up if c["objectId"] == entity["id"]]
    assert [c["seq"] for c in mine] == missed
    assert [c["version"] for c in mine] == [3, 4, 5]
    assert [c["seq"] for c in caught_up] == sorted(c["seq"] for c in caught_up)
    assert live_event["seq"] == after["updateEntity"]["seq"]


async def test_slow_consumer_is_disconnected_with_a_clear_reason(
    client: GraphQLClient, replica: Server, db: AsyncEngine, admin_token: str
) -> None:
    # given a large entity, watched on the replica (queue of 3) by a client that stops reading
    entity = await create(client, name=unique("heavy"), properties={"blob": "x" * 60_000})
    async with live_client(replica.url, admin_token) as live:
        await live.subscribe(
            "subscription($id: ID) { entityChanged(id: $id) { seq entity { properties } } }",
            {"id": entity["id"]},
        )
        await asyncio.sleep(0.3)
        # when a burst of 300 changes to it is announced at once
        async with db.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO outbox (organization_id, aggregate_type, aggregate_id, "
                    "event_type, version, payload) "
                    "SELECT organization_id, aggregate_type, aggregate_id, 'entity.updated', "
                    "version, payload FROM outbox, generate_series(1, 300) "
                    "WHERE id = (SELECT max(id) FROM outbox WHERE aggregate_id = :id)"
                ),
                {"id": _uuid(entity["id"])},
            )
        await asyncio.sleep(5)
        # then the server closes the connection saying why, instead of buffering without end
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await _read_until_closed(live)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013
    assert "slow consumer" in closed.value.rcvd.reason
    assert "disconnecting a slow subscriber" in replica.log()


async def test_a_subscription_is_closed_once_its_token_expires(
    client: GraphQLClient, server: Server
) -> None:
    # given a viewer whose access token expires in 3 s, watching an entity
    watched = await create(client, name=unique("expiring"), kind="robot")
    expires = int(time.time()) + 3
    async with live_client(server.url, forged({"role": "viewer", "exp": expires})) as live:
        await live.subscribe(ENTITY_CHANGED, {"id": watched["id"]})
        await asyncio.sleep(0.3)
        # when the entity changes while the token is valid, then again after it expired
        before = await client.data(UPDATE, {"input": {"id": watched["id"], "name": "in-time"}})
        assert (await live.event())["data"]["entityChanged"]["seq"] == before["updateEntity"]["seq"]
        await asyncio.sleep(expires - time.time() + 0.5)
        await client.data(UPDATE, {"input": {"id": watched["id"], "name": "too-late"}})
        # then the second change is not delivered: the connection closes saying why
        delivered, closed = await _messages_until_closed(live)
    assert not [m for m in delivered if "too-late" in json.dumps(m)]
    assert closed.code == 4401
    assert "expired" in closed.reason


async def test_a_subscription_is_closed_once_its_session_is_logged_out(
    client: GraphQLClient, replica: Server, member: MakeMember
) -> None:
    # given a viewer's subscription on the replica (which rechecks revocation every 0.5 s)
    viewer = await member("viewer")
    watched = await create(client, name=unique("revoked"), kind="robot")
    async with live_client(replica.url, viewer.tokens["accessToken"]) as live:
        await live.subscribe(ENTITY_CHANGED, {"id": watched["id"]})
        await asyncio.sleep(0.3)
        before = await client.data(UPDATE, {"input": {"id": watched["id"], "name": "in-session"}})
        assert (await live.event())["data"]["entityChanged"]["seq"] == before["updateEntity"]["seq"]
        # when the viewer logs out (on the other server) and the entity changes again
        assert (await viewer.client.data("mutation { logout }"))["logout"] is True
        await asyncio.sleep(0.6)
        await client.data(UPDATE, {"input": {"id": watched["id"], "name": "after-logout"}})
        # then the change is not delivered on the logged-out session's connection
        delivered, closed = await _messages_until_closed(live)
    assert not [m for m in delivered if "after-logout" in json.dumps(m)]
    assert closed.code == 4401
    assert "revoked" in closed.reason


async def test_a_subscription_by_api_key_closes_when_its_maker_is_demoted(
    client: GraphQLClient, replica: Server, member: MakeMember
) -> None:
    # given a subscription on the replica by an editor key of an admin
    maker = await member("admin")
    made = await maker.client.data(CREATE_KEY, {"name": "watcher", "role": "EDITOR"})
    watched = await create(client, name=unique("keyed"), kind="robot")
    async with live_client(replica.url, made["createApiKey"]["secret"]) as live:
        await live.subscribe(ENTITY_CHANGED, {"id": watched["id"]})
        await asyncio.sleep(0.3)
        before = await client.data(UPDATE, {"input": {"id": watched["id"], "name": "as-editor"}})
        assert (await live.event())["data"]["entityChanged"]["seq"] == before["updateEntity"]["seq"]
        # when the admin is made a viewer, and the entity changes again
        await client.data(SET_MEMBERSHIP, {"id": maker.user_id, "role": "VIEWER"})
        await asyncio.sleep(0.6)
        await client.data(UPDATE, {"input": {"id": watched["id"], "name": "after-demotion"}})
        # then the connection closes, saying the key's role changed
        delivered, closed = await _messages_until_closed(live)
    assert not [m for m in delivered if "after-demotion" in json.dumps(m)]
    assert closed.code == 4401
    assert "role is now viewer" in closed.reason


async def _messages_until_closed(live: LiveClient) -> tuple[list[dict[str, object]], Close]:
    """Every message until the server closes the connection, and its close frame."""
    delivered: list[dict[str, object]] = []
    while True:
        try:
            delivered.append(await live.message(within=20))
        except websockets.ConnectionClosed as closed:
            frame = closed.rcvd
            break
    assert frame is not None, "closed without a close frame"
    return delivered, frame


async def _read_until_closed(live: LiveClient) -> None:
    while True:
        await live.message(within=20)


def _uuid(global_id: str) -> str:
    return base64.urlsafe_b64decode(global_id).decode().split(":", 1)[1]


async def test_legacy_protocol_gets_keep_alives(replica: Server, admin_token: str) -> None:
    async with websockets.connect(ws_url(replica.url), subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {admin_token}"}}
            )
        )
        received = [await asyncio.wait_for(ws.recv(), 5) for _ in range(3)]
    assert sum('"ka"' in str(m) for m in received) >= 2


async def test_redis_outage_is_visible_and_live_updates_resume(
    client: GraphQLClient, server: Server, admin_token: str
) -> None:
    entity = await create(client, name=unique("redis"))
    async with live_client(server.url, admin_token) as live:
        await live.subscribe(ENTITY_CHANGED, {"id": entity["id"]})
        await asyncio.sleep(0.3)
        before = (await client.data(UPDATE, {"input": {"id": entity["id"], "name": "r1"}}))[
            "updateEntity"
        ]["seq"]
        assert (await live.event())["data"]["entityChanged"]["seq"] == before
        services("stop", "redis")
        try:
            # when Redis goes down, the subscriber is told, promptly, instead of hanging
            message = await live.message(within=15)
            assert "UNAVAILABLE" in str(message) or "interrupted" in str(message), message
            # and writes still commit (the change is kept for catch-up)
            during = await client.data(UPDATE, {"input": {"id": entity["id"], "name": "r2"}})
            assert during["updateEntity"]["entity"]["version"] == 3
        finally:
            services("start", "redis")
    # when Redis is back, subscribing works again and publishing resumes by itself
    deadline = asyncio.get_running_loop().time() + 30
    async with httpx.AsyncClient(base_url=server.url) as http:
        while (await http.get("/readyz")).json()["live"]["available"] is not True:
            assert asyncio.get_running_loop().time() < deadline, "live channel did not recover"
            await asyncio.sleep(0.5)
    async with live_client(server.url, admin_token) as live:
        await live.subscribe(ENTITY_CHANGED, {"id": entity["id"]})
        await asyncio.sleep(0.3)
        after = await client.data(UPDATE, {"input": {"id": entity["id"], "name": "r3"}})
        event = (await live.event())["data"]["entityChanged"]
        assert event["seq"] == after["updateEntity"]["seq"]
        # and the catch-up query fills the gap
        gap = (await client.data(CATCH_UP, {"since": before}))["changes"]
        assert during["updateEntity"]["seq"] in [c["seq"] for c in gap]


async def test_abrupt_disconnects_leak_no_subscribers_tasks_or_memory(
    client: GraphQLClient, server: Server, admin_token: str
) -> None:
    async def metrics() -> dict[str, float]:
        async with httpx.AsyncClient(base_url=server.url) as http:
            body = (await http.get("/metrics")).text
        wanted = ("nexus_live_subscribers", "nexus_asyncio_tasks", "process_resident_memory_bytes")
        values = {}
        for name in wanted:
            match = re.search(rf"^{name} (\S+)$", body, re.MULTILINE)
            assert match, name
            values[name] = float(match.group(1))
        return values

    async def open_and_kill() -> None:
        async with live_client(server.url, admin_token) as live:
            await live.subscribe(CHANGES, {})
            await asyncio.sleep(0.2)
            # drop the TCP connection without a close frame, like a crashed client
            transport = live.ws.transport
            transport.abort()

    # warm up once so lazily created objects are not counted as a leak
    await asyncio.gather(*(open_and_kill() for _ in range(20)), return_exceptions=True)
    await asyncio.sleep(1)
    baseline = await metrics()
    for _ in range(5):
        await asyncio.gather(*(open_and_kill() for _ in range(40)), return_exceptions=True)
    await create(client)  # an event wakes any subscription stuck on a dead socket
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        now = await metrics()
        settled = (
            now["nexus_live_subscribers"] <= baseline["nexus_live_subscribers"]
            and now["nexus_asyncio_tasks"] <= baseline["nexus_asyncio_tasks"] + 2
        )
        if settled or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.5)
    assert now["nexus_live_subscribers"] <= baseline["nexus_live_subscribers"], (baseline, now)
    assert now["nexus_asyncio_tasks"] <= baseline["nexus_asyncio_tasks"] + 2, (baseline, now)
    grown_mb = (
        now["process_resident_memory_bytes"] - baseline["process_resident_memory_bytes"]
    ) / 2**20
    assert grown_mb < 25, f"RSS grew by {grown_mb:.1f} MiB after 200 killed connections"


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
@pytest.mark.parametrize("token", [None, "not-a-token", "eyJhbGciOiJub25lIn0.e30."])
async def test_subscribing_without_a_valid_token_is_refused(
    server: Server, protocol: str, token: str | None
) -> None:
    payload = {"Authorization": f"Bearer {token}"} if token else {}
    async with websockets.connect(ws_url(server.url), subprotocols=[protocol]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        if protocol == "graphql-transport-ws":
            # the protocol's answer to a refused connection_init: close with 4403 Forbidden
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4403
        else:
            # the legacy protocol answers connection_error, then closes
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert message["type"] == "connection_error"
            assert message["payload"]["code"] == "UNAUTHENTICATED"


async def test_subscribers_never_see_another_organisations_changes(
    client: GraphQLClient, server: Server, member: MakeMember
) -> None:
    # given a viewer of another organisation, subscribed to every change it may see
    outsider = await member("viewer", organization="elsewhere")
    async with live_client(server.url, outsider.tokens["accessToken"]) as live:
        await live.subscribe(CHANGES, {})
        await asyncio.sleep(0.3)
        # when the default organisation changes something
        await create(client, name=unique("private"))
        # then nothing reaches the outsider
        with pytest.raises(TimeoutError):
            await live.event(within=3)


async def test_a_logged_out_session_can_send_nothing_more_over_its_socket(
    client: GraphQLClient, replica: Server, member: MakeMember
) -> None:
    # given a viewer's connection on the replica (which rechecks revocation every 0.5 s),
    # with no subscription whose events would notice a logout
    viewer = await member("viewer")
    watched = await create(client, name=unique("socket-session"), kind="robot")
    query = "query($id: ID!) { entity(id: $id) { name } }"
    async with live_client(replica.url, viewer.tokens["accessToken"]) as live:
        before = await live.result(query, {"id": watched["id"]})
        assert before["data"]["entity"]["name"] == watched["name"]
        # when the viewer logs out (on the other server)
        assert (await viewer.client.data("mutation { logout }"))["logout"] is True
        await asyncio.sleep(0.6)
        # then the next operation on the socket is refused and the connection closes
        await live.subscribe(query, {"id": watched["id"]})
        delivered, closed = await _messages_until_closed(live)
    assert not [m for m in delivered if watched["name"] in json.dumps(m)]
    assert closed.code == 4401
    assert "revoked" in closed.reason
