"""Lineage from real OpenLineage events, sent twice and out of order, read back through
GraphQL: upstream and downstream at several depths, lineage graphs, column lineage, impact and
shortest paths, compared with what the events describe."""

from __future__ import annotations

import random
from typing import Any

import neo4j
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.demo.lineage import BI, SOURCES, WAREHOUSE
from tests.conftest import GraphQLClient, cypher, run_cli
from tests.lineage_events import JOBS, Warehouse, emit, new_warehouse
from tests.test_entities import create, unique

DATASET = """
query Dataset($ns: String!, $name: String!) {
  dataset(namespace: $ns, name: $name) {
    id name owners tags schemaVersion
    fields { name type tags }
    versions { version fields { name } }
    producers { name latestRun { state startedAt endedAt } runs { runId state } }
    consumers { name }
  }
}
"""

STREAMS = """
query Streams($id: ID!, $depth: Int!, $limit: Int) {
  node(id: $id) {
    ... on Dataset {
      upstream(depth: $depth, perHopLimit: $limit, first: 100) {
        totalCount partial partialReasons
        edges { node { distance inDegree outDegree dataset { name } } }
      }
      downstream(depth: $depth, perHopLimit: $limit, first: 100) {
        totalCount partial partialReasons
        edges { node { distance dataset { name } } }
      }
    }
  }
}
"""

LINEAGE = """
query Lineage($id: ID!, $direction: LineageDirectionInput!, $depth: Int!, $limit: Int!) {
  lineage(nodeId: $id, direction: $direction, depth: $depth, perHopLimit: $limit) {
    partial partialReasons
    nodes { distance inDegree outDegree dataset { name } }
    edges { source { name } target { name } job { name } }
  }
}
"""

COLUMNS = """
query Columns($id: ID!, $column: String!, $depth: Int!) {
  node(id: $id) {
    ... on Dataset {
      field(name: $column) {
        upstream(depth: $depth) {
          nodes { distance field { name dataset { name } } }
          edges { transformation source { name dataset { name } } target { name dataset { name } } }
        }
      }
    }
  }
}
"""

IMPACT = """
query Impact($id: ID!, $depth: Int!) {
  impact(datasetId: $id, depth: $depth) {
    partial owners
    datasets { distance owners dataset { name } }
  }
}
"""

PATH = """
query Path($from: ID!, $to: ID!, $max: Int!) {
  path(fromId: $from, toId: $to, maxDepth: $max) {
    length truncated
    paths { length nodes { name } edges { job { name } } }
  }
}
"""


async def dataset(client: GraphQLClient, wh: Warehouse, name: str) -> dict[str, Any]:
    data = await client.data(DATASET, {"ns": wh.namespace, "name": name})
    found: dict[str, Any] = data["dataset"]
    return found


async def ingest_shuffled_twice(client: GraphQLClient, wh: Warehouse) -> None:
    events = wh.events()
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    await emit(client, shuffled)
    await emit(client, list(reversed(events)))


async def test_events_twice_and_out_of_order_give_the_lineage_they_describe(
    client: GraphQLClient, db: AsyncEngine, graph_db: neo4j.AsyncDriver
) -> None:
    # given every event of the warehouse, shuffled, then all of them again in reverse
    wh = new_warehouse()
    await ingest_shuffled_twice(client, wh)

    # then every dataset exists once, with one schema version, its owners and tags
    mart = await dataset(client, wh, "mart.revenue")
    assert mart["schemaVersion"] == 1
    assert [v["version"] for v in mart["versions"]] == [1]
    assert [f["name"] for f in mart["fields"]] == ["customer", "total"]
    assert mart["owners"] == ["team:finance"]
    customers = await dataset(client, wh, "raw.customers")
    assert {f["name"]: f["tags"] for f in customers["fields"]}["email"] == ["pii"]
    # and the run of each job ended COMPLETE, however late its START arrived
    assert [p["name"] for p in mart["producers"]] == ["mart_revenue"]
    run = mart["producers"][0]["latestRun"]
    assert run["state"] == "COMPLETE"
    assert run["startedAt"] < run["endedAt"]
    assert [c["name"] for c in mart["consumers"]] == ["dash"]
    # and the raw events are kept once each (12 distinct events, sent twice)
    async with db.connect() as conn:
        kept = await conn.execute(
            text("SELECT count(*) FROM openlineage_events WHERE payload->'job'->>'namespace' = :n"),
            {"n": wh.job_namespace},
        )
        assert kept.scalar_one() == 3 * len(JOBS)
    # and the graph holds each FEEDS edge once
    feeds = await cypher(
        graph_db,
        "MATCH (a:Dataset {namespace: $ns})-[r:FEEDS]->(b:Dataset) RETURN count(r) AS c",
        ns=wh.namespace,
    )
    assert feeds == [{"c": 5}]
    # and each job has its one run, in its final state
    runs = await cypher(
        graph_db,
        "MATCH (j:Job {namespace: $ns})-[:HAS_RUN]->(r:Run) RETURN j.name AS job, r.state AS state "
        "ORDER BY job",
        ns=wh.job_namespace,
    )
    assert runs == [{"job": job, "state": "COMPLETE"} for job in sorted(JOBS)]

    # when upstream and downstream are asked at several depths
    dash = await dataset(client, wh, "dash.revenue")
    expected_upstream = {
        1: [(1, "mart.revenue")],
        2: [(1, "mart.revenue"), (2, "stg.customers"), (2, "stg.orders")],
        3: [
            (1, "mart.revenue"),
            (2, "stg.customers"),
            (2, "stg.orders"),
            (3, "raw.customers"),
            (3, "raw.orders"),
        ],
    }
    for depth, expected in expected_upstream.items():
        data = await client.data(STREAMS, {"id": dash["id"], "depth": depth, "limit": 25})
        up = data["node"]["upstream"]
        # then they are the datasets the events describe, nearest first
        reached = [(e["node"]["distance"], e["node"]["dataset"]["name"]) for e in up["edges"]]
        assert sorted(reached) == expected
        assert [distance for distance, _ in reached] == sorted(d for d, _ in reached)
        assert up["totalCount"] == len(expected)
        # and a cut-off traversal says so
        assert up["partialReasons"] == ([] if depth == 3 else ["DEPTH_LIMIT"])
        assert data["node"]["downstream"]["edges"] == []
    mart_degree = (await client.data(STREAMS, {"id": dash["id"], "depth": 1, "limit": 25}))["node"][
        "upstream"
    ]["edges"][0]["node"]
    assert (mart_degree["inDegree"], mart_degree["outDegree"]) == (2, 1)
    raw_orders = await dataset(client, wh, "raw.orders")
    down = (await client.data(STREAMS, {"id": raw_orders["id"], "depth": 10, "limit": 25}))["node"][
        "downstream"
    ]
    assert [(e["node"]["distance"], e["node"]["dataset"]["name"]) for e in down["edges"]] == [
        (1, "stg.orders"),
        (2, "mart.revenue"),
        (3, "dash.revenue"),
    ]
    assert down["partial"] is False

    # when the whole neighbourhood of the mart is asked in both directions
    graph = (
        await client.data(LINEAGE, {"id": mart["id"], "direction": "BOTH", "depth": 2, "limit": 25})
    )["lineage"]
    # then every distinct edge comes with its job, and the start node leads
    assert graph["nodes"][0] == {
        "distance": 0,
        "inDegree": 2,
        "outDegree": 1,
        "dataset": {"name": "mart.revenue"},
    }
    assert sorted(
        (e["source"]["name"], e["target"]["name"], e["job"]["name"]) for e in graph["edges"]
    ) == [
        ("mart.revenue", "dash.revenue", "dash"),
        ("raw.customers", "stg.customers", "stg_customers"),
        ("raw.orders", "stg.orders", "stg_orders"),
        ("stg.customers", "mart.revenue", "mart_revenue"),
        ("stg.orders", "mart.revenue", "mart_revenue"),
    ]
    # and nothing lies beyond the sources and the dashboard, so the result is complete
    assert graph["partial"] is False
    assert graph["partialReasons"] == []

    # when the column lineage of the dashboard's total is followed upstream
    columns = (await client.data(COLUMNS, {"id": dash["id"], "column": "total", "depth": 3}))[
        "node"
    ]["field"]["upstream"]
    # then each hop names its transformation
    assert sorted(
        (
            e["source"]["dataset"]["name"],
            e["source"]["name"],
            e["target"]["dataset"]["name"],
            e["target"]["name"],
            e["transformation"],
        )
        for e in columns["edges"]
    ) == [
        ("mart.revenue", "total", "dash.revenue", "total", "DIRECT/IDENTITY"),
        ("raw.orders", "amount", "stg.orders", "amount", "DIRECT/IDENTITY"),
        ("stg.orders", "amount", "mart.revenue", "total", "DIRECT/AGGREGATION"),
    ]
    assert [(n["distance"], n["field"]["dataset"]["name"]) for n in columns["nodes"]] == [
        (1, "mart.revenue"),
        (2, "stg.orders"),
        (3, "raw.orders"),
    ]

    # when the impact of a change to raw.orders is asked
    impact = (await client.data(IMPACT, {"id": raw_orders["id"], "depth": 5}))["impact"]
    # then every downstream dataset comes with its owners and distance
    assert [(d["distance"], d["dataset"]["name"], d["owners"]) for d in impact["datasets"]] == [
        (1, "stg.orders", ["team:analytics"]),
        (2, "mart.revenue", ["team:finance"]),
        (3, "dash.revenue", ["team:bi"]),
    ]
    assert impact["owners"] == ["team:analytics", "team:bi", "team:finance"]

    # when the shortest path from a source to the dashboard is asked
    path = (await client.data(PATH, {"from": raw_orders["id"], "to": dash["id"], "max": 10}))[
        "path"
    ]
    # then it is the one chain of jobs the events describe
    assert path["length"] == 3
    assert [[n["name"] for n in p["nodes"]] for p in path["paths"]] == [
        ["raw.orders", "stg.orders", "mart.revenue", "dash.revenue"]
    ]
    assert [e["job"]["name"] for e in path["paths"][0]["edges"]] == [
        "stg_orders",
        "mart_revenue",
        "dash",
    ]
    # and a path longer than maxDepth is not a path at all
    short = await client.data(PATH, {"from": raw_orders["id"], "to": dash["id"], "max": 2})
    assert short["path"] == {"length": None, "truncated": False, "paths": []}


async def test_rebuild_and_verify_cover_datasets_jobs_and_column_lineage(
    client: GraphQLClient, graph_db: neo4j.AsyncDriver
) -> None:
    # given a warehouse fully projected
    wh = new_warehouse("rebuild")
    await emit(client, wh.events())
    counts_query = (
        "MATCH (d:Dataset {namespace: $ns}) "
        "RETURN count(d) AS datasets, "
        "COUNT { (:Dataset {namespace: $ns})-[:FEEDS]->(:Dataset) } AS feeds, "
        "COUNT { (:Dataset {namespace: $ns})-[:HAS_FIELD]->(:Field)-[:FEEDS]->(:Field) } AS columns"
    )
    before = await cypher(graph_db, counts_query, ns=wh.namespace)
    assert before == [{"datasets": 6, "feeds": 5, "columns": 5}]
    assert "graph matches postgres" in run_cli("graph", "verify").stdout
    # when a dataset disappears from the graph behind the service's back
    await cypher(
        graph_db,
        "MATCH (d:Dataset {namespace: $ns, name: 'stg.orders'}) DETACH DELETE d",
        ns=wh.namespace,
    )
    # then verify reports it
    broken = run_cli("graph", "verify", check=False)
    assert broken.returncode == 1
    assert "1 datasets missing from the graph" in broken.stdout
    # and a rebuild from Postgres brings back datasets, jobs, fields and column lineage
    run_cli("graph", "rebuild", "--yes")
    assert await cypher(graph_db, counts_query, ns=wh.namespace) == before
    assert "graph matches postgres" in run_cli("graph", "verify").stdout


DEMO_UPSTREAM = """
query Demo($ns: String!, $name: String!) {
  dataset(namespace: $ns, name: $name) {
    upstream(depth: 6, perHopLimit: 100, first: 100) {
      totalCount partial edges { node { distance dataset { namespace fields { name } } } }
    }
  }
}
"""


async def test_seed_loads_a_demo_lineage_graph_through_the_endpoint(
    client: GraphQLClient, graph_db: neo4j.AsyncDriver
) -> None:
    # when the demo is seeded (idempotent: a second seed adds nothing)
    seeded = run_cli("seed")
    assert "OpenLineage events" in seeded.stderr
    assert "ingested 0 OpenLineage events (570 already known)" in run_cli("seed").stderr
    # then a few hundred datasets with columns and column lineage are in the graph
    counts = await cypher(
        graph_db,
        "MATCH (d:Dataset) WHERE d.namespace IN $namespaces "
        "RETURN count(d) AS datasets, "
        "COUNT { (:Field)-[:FEEDS]->(:Field) } AS columns",
        namespaces=[*SOURCES, WAREHOUSE, BI],
    )
    assert counts[0]["datasets"] == 375
    assert counts[0]["columns"] >= 1000
    # and a dashboard traces back through marts and staging to operational sources
    data = await client.data(
        DEMO_UPSTREAM,
        {"ns": BI, "name": "dashboards.dashboard_00"},
    )
    reached = data["dataset"]["upstream"]["edges"]
    namespaces = {e["node"]["dataset"]["namespace"].split("://")[0] for e in reached}
    assert {"snowflake", "postgres"} <= namespaces or {"snowflake", "kafka"} <= namespaces
    assert all(e["node"]["dataset"]["fields"] for e in reached)


DELETE = "mutation($id: ID!) { deleteDataset(id: $id) { seq } }"
RESTORE = """
mutation($ns: String!, $name: String!) {
  upsertDataset(input: {namespace: $ns, name: $name}) { graphSynced }
}
"""
DESCRIBE = """
mutation($e: ID!, $d: ID!) { describeDataset(input: {entityId: $e, datasetId: $d}) { seq } }
"""
COLUMN_DOWN = """
query($id: ID!) {
  node(id: $id) { ... on Dataset { field(name: "amount") { downstream(depth: 3) {
    nodes { field { name dataset { name } } }
  } } } }
}
"""


async def test_deleting_and_restoring_a_dataset_restores_its_lineage(
    client: GraphQLClient, graph_db: neo4j.AsyncDriver
) -> None:
    # given a warehouse, and an entity describing its staging orders table
    wh = new_warehouse("restore")
    await emit(client, wh.events())
    stg = await dataset(client, wh, "stg.orders")
    dash = await dataset(client, wh, "dash.revenue")
    raw = await dataset(client, wh, "raw.orders")
    entity = await create(client, name=unique("orders-domain"))
    await client.data(DESCRIBE, {"e": entity["id"], "d": stg["id"]})
    full = await client.data(STREAMS, {"id": dash["id"], "depth": 3, "limit": 25})
    # when the staging table is deleted, lineage through it disappears
    await client.data(DELETE, {"id": stg["id"]})
    cut = await client.data(STREAMS, {"id": dash["id"], "depth": 3, "limit": 25})
    names = {e["node"]["dataset"]["name"] for e in cut["node"]["upstream"]["edges"]}
    assert "stg.orders" not in names
    assert "raw.orders" not in names
    # when it is upserted again, it is restored with every edge it had
    restored = await client.data(RESTORE, {"ns": wh.namespace, "name": "stg.orders"})
    assert restored["upsertDataset"]["graphSynced"] is True
    again = await client.data(STREAMS, {"id": dash["id"], "depth": 3, "limit": 25})
    assert again == full
    columns = (await client.data(COLUMN_DOWN, {"id": raw["id"]}))["node"]["field"]["downstream"]
    assert sorted(
        (n["field"]["dataset"]["name"], n["field"]["name"]) for n in columns["nodes"]
    ) == [
        ("dash.revenue", "total"),
        ("mart.revenue", "total"),
        ("stg.orders", "amount"),
    ]
    describes = await cypher(
        graph_db,
        "MATCH (:Entity {name: $e})-[r:DESCRIBES]->(:Dataset) RETURN count(r) AS c",
        e=entity["name"],
    )
    assert describes == [{"c": 1}]
    assert "graph matches postgres" in run_cli("graph", "verify").stdout
