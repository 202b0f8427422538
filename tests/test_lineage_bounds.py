"""Traversals are bounded and say so, refuse bad arguments, batch across parents (round trips
do not grow with page size), and ingest survives a Neo4j outage."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from typing import Any

import neo4j
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import GraphQLClient, cypher, run_cli, services
from tests.test_entities import unique
from tests.test_openlineage import SCHEMA_URL

FANOUT = """
query Fanout($ns: String!, $limit: Int!, $depth: Int!) {
  dataset(namespace: $ns, name: "src") {
    id
    downstream(perHopLimit: $limit, depth: $depth) {
      totalCount partial partialReasons edges { node { dataset { name } } }
    }
  }
}
"""

PAGE = """
query Page($ns: String!, $first: Int!) {
  datasets(namespace: $ns, first: $first) {
    edges { node {
      name
      downstream(depth: 2) { edges { node { distance dataset { name producers { name } } } } }
      producers { name latestRun { state } }
    } }
  }
}
"""

LINEAGE = """
query Lineage($id: ID!, $depth: Int!, $limit: Int!) {
  lineage(nodeId: $id, depth: $depth, perHopLimit: $limit) { nodes { distance } }
}
"""

PATH = (
    "query Path($a: ID!, $b: ID!, $m: Int!) { path(fromId: $a, toId: $b, maxDepth: $m) { length } }"
)


def job_event(namespace: str, job: str, inputs: list[str], outputs: list[str]) -> dict[str, Any]:
    return {
        "eventType": "COMPLETE",
        "eventTime": "2026-11-01T06:00:00Z",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": namespace, "name": job},
        "producer": "https://example.com/tests",
        "schemaURL": SCHEMA_URL,
        "inputs": [{"namespace": namespace, "name": name} for name in inputs],
        "outputs": [{"namespace": namespace, "name": name} for name in outputs],
    }


async def post_batch(client: GraphQLClient, events: list[dict[str, Any]]) -> None:
    response = await client.http.post("/api/v1/lineage/batch", json=events)
    assert response.status_code == 200, response.text
    assert response.json()["invalid"] == 0, response.text


async def test_per_hop_and_depth_caps_are_reported(client: GraphQLClient) -> None:
    # given a source feeding five datasets, each feeding a report
    namespace = unique("kafka://fanout")
    await post_batch(
        client,
        [
            job_event(namespace, "split", ["src"], [f"t{i}" for i in range(5)]),
            *(job_event(namespace, f"report{i}", [f"t{i}"], [f"r{i}"]) for i in range(5)),
        ],
    )
    # when fewer edges per hop are allowed than exist
    capped = (await client.data(FANOUT, {"ns": namespace, "limit": 2, "depth": 1}))["dataset"]
    # then the first ones by id are followed and the result says it was cut per hop
    assert capped["downstream"]["totalCount"] == 2
    assert capped["downstream"]["partialReasons"] == ["DEPTH_LIMIT", "PER_HOP_LIMIT"]
    # and with room for everything but one hop short, only the depth limit is reported
    full = (await client.data(FANOUT, {"ns": namespace, "limit": 25, "depth": 1}))["dataset"]
    assert full["downstream"]["totalCount"] == 5
    assert full["downstream"]["partialReasons"] == ["DEPTH_LIMIT"]
    whole = (await client.data(FANOUT, {"ns": namespace, "limit": 25, "depth": 2}))["dataset"]
    assert whole["downstream"]["totalCount"] == 10
    assert whole["downstream"]["partial"] is False

    # when the caps are exceeded or ids are wrong, the errors say which argument
    root = capped["id"]
    for query, variables, code, field in (
        (LINEAGE, {"id": root, "depth": 11, "limit": 5}, "BAD_USER_INPUT", "depth"),
        (LINEAGE, {"id": root, "depth": 0, "limit": 5}, "BAD_USER_INPUT", "depth"),
        (LINEAGE, {"id": root, "depth": 2, "limit": 101}, "BAD_USER_INPUT", "perHopLimit"),
        (LINEAGE, {"id": "bm9wZQ", "depth": 2, "limit": 5}, "BAD_USER_INPUT", "nodeId"),
        (PATH, {"a": root, "b": root, "m": 11}, "BAD_USER_INPUT", "maxDepth"),
    ):
        body = await client.execute(query, variables)
        error = body["errors"][0]
        assert error["extensions"]["code"] == code, body
        assert error["extensions"]["field"] == field, body
    # a well-formed Dataset id that names nothing
    body = await client.execute(
        "query($id: ID!) { lineage(nodeId: $id) { nodes { distance } } }",
        {"id": _dataset_id(uuid.uuid4())},
    )
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def _dataset_id(raw: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"Dataset:{raw}".encode()).decode()


async def test_round_trips_do_not_grow_with_page_size(client: GraphQLClient) -> None:
    # given 60 sources, each feeding its own staging table, all feeding one mart
    namespace = unique("postgres://many")
    events = [job_event(namespace, f"stg{i:02d}", [f"a{i:02d}"], [f"b{i:02d}"]) for i in range(60)]
    events.append(job_event(namespace, "mart", [f"b{i:02d}" for i in range(60)], ["mart"]))
    await post_batch(client, events)
    # when a page of 5 and a page of 50 each ask two hops downstream of every dataset
    small = await client.execute(PAGE, {"ns": namespace, "first": 5})
    large = await client.execute(PAGE, {"ns": namespace, "first": 50})
    assert not small.get("errors"), small
    assert not large.get("errors"), large
    first = large["data"]["datasets"]["edges"][0]["node"]
    assert [
        (e["node"]["distance"], e["node"]["dataset"]["name"]) for e in first["downstream"]["edges"]
    ] == [(1, "b00"), (2, "mart")]
    # then both make the same few round trips: one Cypher statement for every dataset and
    # every hop at once
    trips_small = small["extensions"]["roundTrips"]
    trips_large = large["extensions"]["roundTrips"]
    assert trips_large == trips_small, (trips_small, trips_large)
    assert trips_large["neo4j"] == 1
    assert trips_large["postgres"] <= 5


async def test_ingest_is_accepted_while_neo4j_is_down_and_the_graph_catches_up(
    client: GraphQLClient, db: AsyncEngine, graph_db: neo4j.AsyncDriver
) -> None:
    namespace = unique("postgres://outage")
    services("stop", "neo4j")
    try:
        # when an event arrives while Neo4j is down
        response = await client.http.post(
            "/api/v1/lineage", json=job_event(namespace, "load", ["in"], ["out"])
        )
        # then it is accepted and recorded in Postgres, not yet in the graph
        assert response.status_code == 201, response.text
        assert response.json()["graphSynced"] is False
        async with db.connect() as conn:
            stored = await conn.execute(
                text("SELECT count(*) FROM datasets WHERE namespace = :n"), {"n": namespace}
            )
            assert stored.scalar_one() == 2
    finally:
        services("start", "neo4j")
    # when Neo4j is back, the projector catches up by itself
    deadline = time.monotonic() + 90
    edges: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not edges:
        try:
            edges = await cypher(
                graph_db,
                "MATCH (:Dataset {namespace: $ns, name: 'in'})-[r:FEEDS]->"
                "(:Dataset {namespace: $ns, name: 'out'}) RETURN r.job AS job",
                ns=namespace,
            )
        except neo4j.exceptions.ServiceUnavailable:
            edges = []
        if not edges:
            await asyncio.sleep(1)
    # then the lineage is in the graph and the graph matches Postgres
    assert len(edges) == 1
    assert "graph matches postgres" in run_cli("graph", "verify").stdout
