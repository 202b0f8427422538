"""The shared result cache (app.server.result_cache), through the real endpoint: what it answers,
what it must never answer, and what retires an answer."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from tests.conftest import GraphQLClient, MakeMember, start_server, stop_server
from tests.test_entities import GET, LIST, UPDATE, create, unique
from tests.test_live_lineage import dataset_id, job_event, send
from tests.test_policies import CREATE_POLICY, activate, stewards

DOWNSTREAM = """
query($id: ID!) {
  lineage(nodeId: $id, direction: DOWNSTREAM, depth: 3) { nodes { dataset { name } } }
}
"""
ME = "query { me { role user { email } } }"
MISSING = 'query { dataset(namespace: "nowhere://", name: "nothing") { id } }'


async def ask(
    client: GraphQLClient, query: str, variables: dict[str, Any] | None = None, **headers: str
) -> tuple[str | None, dict[str, Any]]:
    """How the cache served the query (its X-Nexus-Cache header), and the response."""
    response = await client.http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return response.headers.get("x-nexus-cache"), body


async def settled(client: GraphQLClient) -> None:
    """Wait until the projector has nothing left to apply: marking events projected is a
    write, which (rightly) retires every kept answer."""
    for _ in range(100):
        response = await client.http.get("/readyz")
        if response.json()["projection"]["pending"] == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the projection did not catch up")


async def from_cache(
    client: GraphQLClient, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """Ask until the answer comes from the cache. Postgres itself may write between two
    requests (autovacuum's ANALYZE takes a transaction id), which retires every kept answer:
    a few tries make the test independent of that timing."""
    for _ in range(5):
        await settled(client)
        outcome, body = await ask(client, query, variables)
        if outcome == "hit":
            return body
    raise AssertionError("never served from the cache")


async def test_a_repeated_read_is_served_from_the_cache_until_a_write_commits(
    member: MakeMember, client: GraphQLClient
) -> None:
    # given an entity and a viewer who has read it once
    entity = await create(client, name=unique("cached"))
    viewer, another = await member("viewer"), await member("viewer")
    await settled(client)
    first = await ask(viewer.client, GET, {"id": entity["id"]})
    assert first[0] == "miss", first
    # when the viewer, or another viewer, asks again
    again = await from_cache(viewer.client, GET, {"id": entity["id"]})
    other = await from_cache(another.client, GET, {"id": entity["id"]})
    # then the answer comes from the cache, the same, at the cost of one Postgres round trip
    for body in (again, other):
        assert body["data"] == first[1]["data"]
        assert body["extensions"]["roundTrips"] == {"postgres": 1, "neo4j": 0}
    # when an editor renames it
    renamed = unique("renamed")
    await client.data(UPDATE, {"input": {"id": entity["id"], "name": renamed}})
    await settled(client)
    # then the very next read is run again and sees the new name, and is then kept
    after = await ask(viewer.client, GET, {"id": entity["id"]})
    assert after[0] == "miss"
    assert after[1]["data"]["entity"]["name"] == renamed
    assert (await from_cache(viewer.client, GET, {"id": entity["id"]}))["data"] == after[1]["data"]


async def test_callers_a_policy_tells_apart_never_share_an_answer(
    member: MakeMember, client: GraphQLClient
) -> None:
    # given an entity hidden from one viewer alone by an active DENY naming that user
    tag = unique("secret")
    entity = await create(client, name=unique("guarded"), tags=[tag])
    author, approver = await stewards(member)
    hidden_from, allowed = await member("viewer"), await member("viewer")
    deny = {
        "name": unique("hide-from-one"),
        "effect": "DENY",
        "actions": ["read"],
        "subjects": {"userIds": [hidden_from.user_id]},
        "resources": {"tags": [tag]},
    }
    policy = (await author.client.data(CREATE_POLICY, {"input": deny}))["createPolicy"]["policy"]
    await activate(author, approver, policy["id"])
    await settled(client)
    # when the other viewer reads it twice, the second time from the cache
    assert (await ask(allowed.client, GET, {"id": entity["id"]}))[0] == "miss"
    seen = await from_cache(allowed.client, GET, {"id": entity["id"]})
    assert seen["data"]["entity"]["name"] == entity["name"]
    # then the viewer the policy names, of the same role, is not given that answer
    refused = await ask(hidden_from.client, GET, {"id": entity["id"]})
    assert refused[0] == "miss"
    assert refused[1]["data"] == {"entity": None}
    assert refused[1]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # and a steward, whose decisions differ by role, gets an answer of their own
    assert (await ask(author.client, GET, {"id": entity["id"]}))[0] == "miss"


async def test_lineage_read_from_the_cache_follows_the_graph_projection(
    client: GraphQLClient,
) -> None:
    # given a -> b, read downstream of a (and kept)
    namespace = f"postgres://{unique('cached-lineage')}:5432"
    await send(client, job_event(namespace, "first", ["a"], ["b"]))
    a = await dataset_id(client, namespace, "a")

    async def downstream() -> tuple[str | None, set[str]]:
        outcome, body = await ask(client, DOWNSTREAM, {"id": a})
        assert not body.get("errors"), body
        return outcome, {node["dataset"]["name"] for node in body["data"]["lineage"]["nodes"]}

    for _ in range(100):
        _, names = await downstream()
        if names == {"a", "b"}:
            break
        await asyncio.sleep(0.1)
    assert names == {"a", "b"}
    kept = await from_cache(client, DOWNSTREAM, {"id": a})
    assert {node["dataset"]["name"] for node in kept["data"]["lineage"]["nodes"]} == {"a", "b"}
    # when a second job extends it to c, and the graph projection catches up
    await send(client, job_event(namespace, "second", ["b"], ["c"]))
    # then the traversal is run again once the graph holds the new edge: an answer kept
    # while the edge was still on its way to Neo4j is not served after it has arrived
    for _ in range(100):
        _, names = await downstream()
        if names == {"a", "b", "c"}:
            break
        await asyncio.sleep(0.1)
    assert names == {"a", "b", "c"}


async def test_what_the_cache_leaves_alone(client: GraphQLClient) -> None:
    entity = await create(client, name=unique("plain"))
    variables = {"id": entity["id"]}
    await settled(client)
    await ask(client, GET, variables)
    # a caller asking for a fresh answer gets one, and it is kept for the next caller
    for _ in range(5):
        await settled(client)
        fresh = await ask(client, GET, variables, **{"cache-control": "no-cache"})
        assert fresh[0] == "miss"
        outcome, body = await ask(client, GET, variables)
        if outcome == "hit":
            break
    assert outcome == "hit"
    assert body["data"] == fresh[1]["data"]
    # no-store skips the cache altogether
    assert (await ask(client, GET, variables, **{"cache-control": "no-store"}))[0] == "bypass"
    # answers about the caller, and mutations, are never cached
    for _ in range(2):
        outcome, body = await ask(client, ME)
        assert outcome == "bypass"
        assert body["data"]["me"]["role"] == "ADMIN"
    outcome, body = await ask(client, UPDATE, {"input": {"id": entity["id"], "confidence": 0.3}})
    assert outcome == "bypass"
    assert not body.get("errors"), body
    # and an answer with errors is not kept
    for _ in range(2):
        outcome, body = await ask(client, MISSING)
        assert outcome == "miss"
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # nor is anything for a caller without credentials
    anonymous = GraphQLClient(client.http)
    outcome, body = await ask(anonymous, GET, variables, authorization="")
    assert outcome == "bypass"
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_identical_reads_arriving_together_are_computed_once(
    member: MakeMember, client: GraphQLClient
) -> None:
    # given a page of entities no one has asked for yet
    tag = unique("together")
    for i in range(20):
        await create(client, name=f"t{i:02d}", tags=[tag])
    viewer = await member("viewer")
    await settled(client)
    variables = {"filter": {"tags": [tag]}, "first": 20}
    # when twenty viewers' requests for it arrive at once
    answers = await asyncio.gather(*(ask(viewer.client, LIST, variables) for _ in range(20)))
    # then one of them computed it and the others waited for that answer (or found it
    # kept); a second computation only if Postgres itself wrote meanwhile (autovacuum)
    outcomes = [outcome for outcome, _ in answers]
    assert 1 <= outcomes.count("miss") <= 2, outcomes
    assert set(outcomes) <= {"miss", "shared", "hit"}, outcomes
    assert "shared" in outcomes, outcomes
    pages = [body["data"] for _, body in answers]
    assert all(page == pages[0] for page in pages)
    assert pages[0]["entities"]["totalCount"] == 20
    # and an answer with errors, shared with requests that arrive while it is computed, is
    # never kept for later ones
    missing = await asyncio.gather(*(ask(viewer.client, MISSING) for _ in range(20)))
    assert all(body["errors"][0]["extensions"]["code"] == "NOT_FOUND" for _, body in missing)
    assert {outcome for outcome, _ in missing} <= {"miss", "shared"}


async def test_variables_that_look_alike_are_not_confused(client: GraphQLClient) -> None:
    # given the first page of entities kept for `first: null`
    await settled(client)
    await from_cache(client, LIST, {"first": None})
    # when `first` is NaN, which no encoder may turn into null here
    body_text = json.dumps({"query": LIST}).removesuffix("}") + ', "variables": {"first": NaN}}'
    response = await client.http.post(
        "/graphql", content=body_text, headers={"content-type": "application/json"}
    )
    # then it is refused as bad input instead of being served the kept page
    body = response.json()
    assert body["data"] is None, body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_replicas_with_other_limits_never_serve_each_other(
    client: GraphQLClient, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # given a replica that allows pages of 200, sharing Redis and the databases
    tag = unique("wide")
    for i in range(3):
        await create(client, name=f"w{i}", tags=[tag])
    wide = start_server(tmp_path_factory.mktemp("wide") / "server.log", NEXUS_MAX_PAGE_SIZE="200")
    try:
        async with httpx.AsyncClient(
            base_url=wide.url, headers=dict(client.http.headers), timeout=30
        ) as http:
            variables = {"filter": {"tags": [tag]}, "first": 150}
            await settled(client)
            on_wide = await from_cache(GraphQLClient(http), LIST, variables)
            assert on_wide["data"]["entities"]["totalCount"] == 3
            # when this replica, whose pages stop at 100, is asked the same
            outcome, body = await ask(client, LIST, variables)
        # then it runs the query itself and refuses the page size, as it always would
        assert outcome == "miss"
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    finally:
        stop_server(wide)
