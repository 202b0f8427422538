"""Active policies are shared by a process's requests, yet a policy change is in force on
every replica with the very next request."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import (
    GraphQLClient,
    MakeMember,
    Member,
    Server,
    authorized,
    services,
    start_server,
    stop_server,
)
from tests.live_client import live_client
from tests.test_entities import GET, UPDATE, create, unique
from tests.test_live import ENTITY_CHANGED
from tests.test_policies import (
    ACTIVATE,
    CREATE_POLICY,
    DECIDE,
    REQUEST,
    activate,
    deny_tag,
    stewards,
)

ACTIVATE_ONLY = "mutation($id: ID!) { activatePolicy(id: $id) { graphSynced policy { state } } }"


@pytest.fixture(scope="module")
def replica(fresh_databases: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second server process on the same databases and Redis, keeping policies long
    enough that only the stamp can explain a change being seen."""
    srv = start_server(
        tmp_path_factory.mktemp("policy-replica") / "server.log",
        NEXUS_POLICY_CACHE_MAX_AGE="600",
    )
    yield srv
    stop_server(srv)


async def cache_lookups(url: str) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        text = (await http.get("/metrics")).text
    found = re.findall(r'^nexus_policy_cache_lookups_total\{result="(\w+)"\} (\S+)$', text, re.M)
    return {result: float(value) for result, value in found}


@asynccontextmanager
async def client_on(server: Server, token: str) -> AsyncIterator[GraphQLClient]:
    async with authorized(server, token) as http:
        yield GraphQLClient(http)


async def visible(client: GraphQLClient, entity_id: str) -> bool:
    """Whether the entity can be read; a hidden one is NOT_FOUND, like a missing one."""
    body = await client.execute(GET, {"id": entity_id})
    if body["data"]["entity"] is not None:
        return True
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"], body
    return False


@dataclass
class Guarded:
    """An entity tagged with a fresh tag, a DRAFT DENY on that tag for viewers, two
    stewards to approve it, and a viewer."""

    author: Member
    approver: Member
    viewer: Member
    entity_id: str
    policy_id: str


async def guarded(client: GraphQLClient, member: MakeMember, prefix: str) -> Guarded:
    author, approver = await stewards(member)
    viewer = await member("viewer")
    tag = unique(prefix)
    entity = await create(client, name=unique("guarded"), tags=[tag])
    created = await author.client.data(CREATE_POLICY, {"input": deny_tag(tag)})
    return Guarded(author, approver, viewer, entity["id"], created["createPolicy"]["policy"]["id"])


async def test_a_policy_change_on_one_replica_holds_on_another_at_once(
    client: GraphQLClient, member: MakeMember, replica: Server
) -> None:
    g = await guarded(client, member, "replicated")
    async with client_on(replica, g.viewer.tokens["accessToken"]) as on_replica:
        # given the viewer reading the entity through the replica, which now keeps the rules
        for _ in range(2):
            assert await visible(on_replica, g.entity_id)
        # when a DENY on its tag is activated through the other server
        await activate(g.author, g.approver, g.policy_id)
        # then the replica's next request already obeys it
        assert not await visible(on_replica, g.entity_id)
        # and when it is disabled there, the next request sees the entity again
        await g.author.client.data(ACTIVATE, {"id": g.policy_id, "active": False})
        assert await visible(on_replica, g.entity_id)


async def test_a_deny_holds_on_every_replica_while_the_graph_is_down(
    client: GraphQLClient, member: MakeMember, replica: Server
) -> None:
    # Policies are enforced from Postgres: with Neo4j down the change is not projected, so
    # no change event reaches the replica, and only the stamp tells it the rules changed.
    g = await guarded(client, member, "outage")
    async with client_on(replica, g.viewer.tokens["accessToken"]) as on_replica:
        assert await visible(on_replica, g.entity_id)
        services("stop", "neo4j")
        try:
            # when the DENY is activated through the other server while Neo4j is down
            approval = (await g.author.client.data(REQUEST, {"id": g.policy_id}))["requestApproval"]
            await g.approver.client.data(DECIDE, {"id": approval["id"], "approve": True})
            activated = (await g.author.client.data(ACTIVATE_ONLY, {"id": g.policy_id}))[
                "activatePolicy"
            ]
            assert activated == {"graphSynced": False, "policy": {"state": "ACTIVE"}}
            # then the replica's next request obeys it
            assert not await visible(on_replica, g.entity_id)
        finally:
            services("start", "neo4j")


async def test_requests_share_the_loaded_policies(member: MakeMember, replica: Server) -> None:
    viewer = await member("viewer")
    async with client_on(replica, viewer.tokens["accessToken"]) as on_replica:
        await on_replica.data("{ me { role } }")
        before = await cache_lookups(replica.url)
        # when the same organisation asks five more times without any policy change
        for _ in range(5):
            await on_replica.data("{ me { role } }")
        after = await cache_lookups(replica.url)
    # then each request reused the rules loaded before
    assert after.get("hit", 0) - before.get("hit", 0) == 5
    assert after.get("miss", 0) == before.get("miss", 0)


async def test_subscription_events_share_the_loaded_policies(
    client: GraphQLClient, member: MakeMember, replica: Server
) -> None:
    viewer = await member("viewer")
    token = viewer.tokens["accessToken"]
    watched = await create(client, name=unique("watched"))
    async with live_client(replica.url, token) as live:
        # given a viewer subscribed on the replica, which holds the organisation's policies
        await live.subscribe(ENTITY_CHANGED, {"id": watched["id"]})
        await asyncio.sleep(0.3)
        first = await rename(client, watched["id"], "renamed-0")
        while (await live.event())["data"]["entityChanged"]["seq"] < first:
            pass  # the creation's event, if it was published after the subscription began
        before = await cache_lookups(replica.url)
        # when three more changes reach the subscriber
        seqs = [await rename(client, watched["id"], f"renamed-{n}") for n in (1, 2, 3)]
        events = [(await live.event())["data"]["entityChanged"] for _ in seqs]
        after = await cache_lookups(replica.url)
    assert [e["seq"] for e in events] == seqs
    assert all(e["entity"] is not None for e in events)
    # then each event was judged by the shared rules, under the stamp read with the event,
    # and none loaded the rules again
    assert after.get("hit", 0) - before.get("hit", 0) == 3
    assert after.get("miss", 0) == before.get("miss", 0)
    assert after.get("bypass", 0) == before.get("bypass", 0)


async def rename(client: GraphQLClient, entity_id: str, name: str) -> int:
    data = await client.data(UPDATE, {"input": {"id": entity_id, "name": name}})
    seq: int = data["updateEntity"]["seq"]
    return seq


async def test_queries_over_one_websocket_follow_policy_changes(
    client: GraphQLClient, member: MakeMember, server: Server
) -> None:
    g = await guarded(client, member, "socket")
    async with live_client(server.url, g.viewer.tokens["accessToken"]) as live:
        # given a viewer's WebSocket that has already read the entity
        before = await live.result(GET, {"id": g.entity_id})
        assert before["data"]["entity"] is not None
        # when a DENY on its tag is activated
        await activate(g.author, g.approver, g.policy_id)
        # then the next query over the same connection obeys it
        after = await live.result(GET, {"id": g.entity_id})
        assert after["data"]["entity"] is None
        assert [e["extensions"]["code"] for e in after["errors"]] == ["NOT_FOUND"]


async def test_a_query_on_a_subscribed_socket_reads_for_itself(
    client: GraphQLClient, member: MakeMember, server: Server
) -> None:
    viewer = await member("viewer")
    watched = await create(client, name=unique("watched"))
    async with live_client(server.url, viewer.tokens["accessToken"]) as live:
        # given a subscription whose last event loaded the entity for this subscriber
        await live.subscribe(ENTITY_CHANGED, {"id": watched["id"]})
        await asyncio.sleep(0.3)
        seq = await rename(client, watched["id"], "renamed-for-the-event")
        while (await live.event())["data"]["entityChanged"]["seq"] < seq:
            pass
        # when a query on the same socket asks for that entity
        result = await live.result(GET, {"id": watched["id"]})
    # then the query reads it itself, with its own loaders and decisions: a copy loaded for
    # another operation may be older than the query and judged by older policies
    assert result["data"]["entity"]["name"] == "renamed-for-the-event"
    assert result["extensions"]["roundTrips"]["postgres"] >= 1
