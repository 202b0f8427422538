"""Live updates for the lineage graph: datasetChanged by id and namespace, lineageChanged
within N hops, following the neighbourhood as lineage grows."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from tests.conftest import GraphQLClient, MakeMember, Server
from tests.live_client import LiveClient, live_client
from tests.test_entities import create, unique
from tests.test_openlineage import SCHEMA_URL
from tests.test_policies import CREATE_POLICY, activate, stewards
from tests.test_search import DESCRIBE

DATASET_CHANGED = """
subscription($id: ID, $namespace: String) {
  datasetChanged(id: $id, namespace: $namespace) {
    seq type action version objectId linkedIds dataset { name } job { name }
  }
}
"""
LINEAGE_CHANGED = """
subscription($id: ID!, $depth: Int!) {
  lineageChanged(datasetId: $id, depth: $depth) { seq type objectId linkedIds job { name } }
}
"""
DATASET_ID = "query($ns: String!, $name: String!) { dataset(namespace: $ns, name: $name) { id } }"


def job_event(namespace: str, job: str, inputs: list[str], outputs: list[str]) -> dict[str, Any]:
    """A COMPLETE RunEvent of `job` reading `inputs` and writing `outputs` in `namespace`."""
    return {
        "eventType": "COMPLETE",
        "eventTime": "2026-11-01T06:00:00.000Z",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "airflow", "name": f"{namespace}.{job}"},
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.24.0/integration/airflow",
        "schemaURL": SCHEMA_URL,
        "inputs": [{"namespace": namespace, "name": name} for name in inputs],
        "outputs": [{"namespace": namespace, "name": name} for name in outputs],
    }


async def send(client: GraphQLClient, event: dict[str, Any]) -> None:
    response = await client.http.post("/api/v1/lineage", json=event)
    assert response.status_code in (200, 201), response.text


async def dataset_id(client: GraphQLClient, namespace: str, name: str) -> str:
    found = await client.data(DATASET_ID, {"ns": namespace, "name": name})
    value: str = found["dataset"]["id"]
    return value


async def events_until_quiet(
    live: LiveClient, quiet: float = 2.0, first: float = 15.0
) -> list[dict[str, Any]]:
    """Every event until none has come for `quiet` seconds; the first may take `first`
    seconds (a busy machine projects more slowly)."""
    received: list[dict[str, Any]] = []
    while True:
        try:
            received.append(await live.event(within=quiet if received else first))
        except TimeoutError:
            return received


async def projected(client: GraphQLClient) -> None:
    """Wait until the graph has every event: one sent before a subscription starts must not
    be announced after it (a cold Neo4j may take longer than a write waits)."""
    for _ in range(300):
        response = await client.http.get("/readyz")
        if response.json()["projection"]["pending"] == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the projection did not catch up")


async def test_lineage_changed_follows_changes_within_depth(
    client: GraphQLClient, server: Server, admin_token: str
) -> None:
    # given the chain a -> b -> c, and an unrelated pair x -> y
    ns = f"postgres://{unique('live')}:5432"
    await send(client, job_event(ns, "ab", ["a"], ["b"]))
    await send(client, job_event(ns, "bc", ["b"], ["c"]))
    await send(client, job_event(ns, "xy", ["x"], ["y"]))
    a = await dataset_id(client, ns, "a")
    await projected(client)
    async with live_client(server.url, admin_token) as live:
        await live.subscribe(LINEAGE_CHANGED, {"id": a, "depth": 2})
        await asyncio.sleep(0.5)
        # when lineage changes two hops away (c feeds a new dataset d), and far away (x -> z)
        await send(client, job_event(ns, "cd", ["c"], ["d"]))
        await send(client, job_event(ns, "xz", ["x"], ["z"]))
        received = [e["data"]["lineageChanged"] for e in await events_until_quiet(live)]
    # then only the change within reach arrives: the new job, and the datasets it wrote
    jobs = [e["job"]["name"] for e in received if e["type"] == "job.upserted"]
    assert jobs == [f"{ns}.cd"]
    assert all("xz" not in str(e) for e in received)


@pytest.mark.parametrize("by", ["id", "namespace"])
async def test_dataset_changed_by_id_or_namespace(
    client: GraphQLClient, server: Server, admin_token: str, by: str
) -> None:
    ns = f"postgres://{unique('watch')}:5432"
    await send(client, job_event(ns, "load", ["raw"], ["clean"]))
    clean = await dataset_id(client, ns, "clean")
    variables = {"id": clean} if by == "id" else {"namespace": ns}
    await projected(client)
    async with live_client(server.url, admin_token) as live:
        await live.subscribe(DATASET_CHANGED, variables)
        await asyncio.sleep(0.5)
        # when another job starts reading the watched dataset, and a dataset elsewhere changes
        await send(client, job_event(ns, "report", ["clean"], ["report"]))
        await send(client, job_event(f"{ns}-other", "noise", ["n1"], ["n2"]))
        received = [e["data"]["datasetChanged"] for e in await events_until_quiet(live)]
    assert received, "no event arrived"
    if by == "id":
        # the job that now reads `clean` is a change to `clean`'s lineage
        assert [e["job"]["name"] for e in received if e["job"]] == [f"{ns}.report"]
        assert clean in received[-1]["linkedIds"]
    else:
        # the new dataset `report` appears in the namespace
        names = {e["dataset"]["name"] for e in received if e["dataset"]}
        assert names == {"report"}
        assert all(e["action"] == "CREATED" for e in received if e["dataset"])


async def test_a_link_event_names_the_entity_and_the_dataset_it_links(
    client: GraphQLClient, server: Server, admin_token: str
) -> None:
    # given a subscriber watching a dataset
    ns = f"postgres://{unique('linkwatch')}:5432"
    await send(client, job_event(ns, "load", ["raw"], ["clean"]))
    clean = await dataset_id(client, ns, "clean")
    owner = await create(client, name=unique("owner"))
    await projected(client)
    async with live_client(server.url, admin_token) as live:
        await live.subscribe(DATASET_CHANGED, {"id": clean})
        await asyncio.sleep(0.5)
        # when an entity is said to describe it
        await client.data(DESCRIBE, {"input": {"entityId": owner["id"], "datasetId": clean}})
        received = [e["data"]["datasetChanged"] for e in await events_until_quiet(live)]
    # then the event's linked IDs are the entity's and the dataset's, each of its own type
    assert [e["linkedIds"] for e in received] == [[owner["id"], clean]]
    assert [e["action"] for e in received] == ["RELATED"]


RUN_CHANGES = 'subscription { changes(types: ["run"]) { type action version objectId } }'
RUN_NODE = "query($id: ID!) { node(id: $id) { ... on Run { state version job { name } } } }"


async def test_runs_reach_the_change_feed_with_their_job(
    client: GraphQLClient, server: Server, admin_token: str, member: MakeMember
) -> None:
    ns = f"postgres://{unique('runs')}:5432"
    scheduler = unique("scheduler")
    # given a job, and a viewer from whom a policy hides its namespace
    run = job_event(ns, "nightly", ["src"], ["out"])
    run["job"]["namespace"] = scheduler
    author, approver = await stewards(member)
    viewer = await member("viewer")
    hide = {
        "name": unique("hide-job"),
        "effect": "DENY",
        "actions": ["read"],
        "subjects": {"userIds": [viewer.user_id]},
        "resources": {"kinds": ["job"], "namespacePattern": scheduler},
    }
    created = (await author.client.data(CREATE_POLICY, {"input": hide}))["createPolicy"]
    await activate(author, approver, created["policy"]["id"])
    await projected(client)
    async with (
        live_client(server.url, admin_token) as live,
        live_client(server.url, viewer.tokens["accessToken"]) as hidden,
    ):
        await live.subscribe(RUN_CHANGES)
        await hidden.subscribe(RUN_CHANGES)
        await asyncio.sleep(0.5)
        # when one run of it starts, then completes
        await send(client, {**run, "eventType": "START", "eventTime": "2026-11-01T05:00:00Z"})
        await send(client, run)
        received = [e["data"]["changes"] for e in await events_until_quiet(live)]
        unseen = await events_until_quiet(hidden, quiet=1.0, first=1.0)
    # then those who may read the job follow the run: created, then updated
    assert [(e["type"], e["action"], e["version"]) for e in received] == [
        ("run.upserted", "CREATED", 1),
        ("run.upserted", "UPDATED", 2),
    ]
    # and the run is an object of the graph, reached by its ID
    found = (await client.data(RUN_NODE, {"id": received[-1]["objectId"]}))["node"]
    assert found == {"state": "COMPLETE", "version": 2, "job": {"name": f"{ns}.nightly"}}
    # but the viewer the job is hidden from hears nothing of it, and cannot reach the run
    assert unseen == []
    hidden_run = await viewer.client.data(RUN_NODE, {"id": received[-1]["objectId"]})
    assert hidden_run["node"] is None
