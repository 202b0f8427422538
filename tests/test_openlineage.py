"""The OpenLineage endpoints: spec event shapes, clear 400s with the offending path, nothing
written on bad input, per-event results in a batch, schema versions only on change."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from openlineage.client.event_v2 import (
    DatasetEvent,
    InputDataset,
    Job,
    JobEvent,
    OutputDataset,
    StaticDataset,
)
from openlineage.client.facet_v2 import documentation_dataset, schema_dataset
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import GraphQLClient
from tests.lineage_events import emit
from tests.test_entities import unique

SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"

DATASET = """
query Dataset($ns: String!, $name: String!) {
  dataset(namespace: $ns, name: $name) {
    id schemaVersion fields { name type }
    versions { version fields { name } }
    v1: asOf(version: 1) { fields { name } }
  }
}
"""

UPSERT = """
mutation Upsert($input: UpsertDatasetInput!) {
  upsertDataset(input: $input) {
    seq graphSynced
    dataset { id namespace name description owners tags schemaVersion fields { name tags } }
  }
}
"""

UPDATE_SCHEMA = """
mutation Schema($input: UpdateDatasetSchemaInput!) {
  updateDatasetSchema(input: $input) { seq dataset { schemaVersion versions { version } } }
}
"""

DELETE = """
mutation Delete($id: ID!) { deleteDataset(id: $id) { dataset { deletedAt } } }
"""


def run_event(
    namespace: str,
    *,
    event_type: str = "COMPLETE",
    event_time: str = "2026-11-01T06:00:00.000Z",
    run_id: str | None = None,
    columns: tuple[str, ...] = ("id", "amount"),
) -> dict[str, Any]:
    """A RunEvent as the spec's examples write it."""
    return {
        "eventType": event_type,
        "eventTime": event_time,
        "run": {"runId": run_id or str(uuid.uuid4())},
        "job": {"namespace": "dbt", "name": f"{namespace}.build"},
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.24.0/integration/dbt",
        "schemaURL": SCHEMA_URL,
        "inputs": [{"namespace": namespace, "name": "public.source", "facets": {}}],
        "outputs": [
            {
                "namespace": namespace,
                "name": "public.target",
                "facets": {
                    "schema": {
                        "_producer": "https://example.com",
                        "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
                        "fields": [{"name": c, "type": "INTEGER"} for c in columns],
                    }
                },
            }
        ],
    }


async def counts(db: AsyncEngine) -> dict[str, int]:
    result: dict[str, int] = {}
    async with db.connect() as conn:
        for table in ("datasets", "jobs", "runs", "openlineage_events", "outbox"):
            row = await conn.execute(text(f"SELECT count(*) FROM {table}"))  # noqa: S608
            result[table] = int(row.scalar_one())
    return result


async def test_invalid_events_answer_400_with_the_path_and_write_nothing(
    client: GraphQLClient, db: AsyncEngine
) -> None:
    namespace = unique("postgres://bad")
    good = run_event(namespace)
    broken: list[tuple[dict[str, Any], str]] = []
    mutations: list[tuple[str, Callable[[dict[str, Any]], object]]] = [
        ("run.runId", lambda e: e["run"].pop("runId")),
        ("run.runId", lambda e: e["run"].update(runId="not-a-uuid")),
        ("eventTime", lambda e: e.update(eventTime="yesterday")),
        ("eventType", lambda e: e.update(eventType="FINISHED")),
        ("job.name", lambda e: e["job"].update(name="")),
        ("outputs[0].namespace", lambda e: e["outputs"][0].update(namespace="has space")),
        ("producer", lambda e: e.pop("producer")),
        (
            "outputs[0].facets.schema.fields[1].name",
            lambda e: e["outputs"][0]["facets"]["schema"]["fields"][1].pop("name"),
        ),
        (
            "outputs[0].facets.schema.fields[0].description",
            lambda e: e["outputs"][0]["facets"]["schema"]["fields"][0].update(description=5),
        ),
        ("eventTime", lambda e: e.update(eventTime="0001-01-01T00:00:00+05:00")),
        ("", lambda e: e.update(producer="p\x00")),
        ("", lambda e: e["run"].update(facets={"custom": {"note": "\x00"}})),
    ]
    for path, mutate in mutations:
        event = copy.deepcopy(good)
        mutate(event)
        broken.append((event, path))
    before = await counts(db)
    for event, path in broken:
        # when an invalid event is posted
        response = await client.http.post("/api/v1/lineage", json=event)
        # then it is refused with the path of the offending field
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["path"] == path, body
        assert body["code"] == "BAD_USER_INPUT"
        assert body["error"]
    # and a body that is not JSON, or too large, is refused too
    garbage = await client.http.post("/api/v1/lineage", content=b"{not json")
    assert garbage.status_code == 400
    huge = await client.http.post(
        "/api/v1/lineage",
        content=orjson.dumps({**good, "padding": "x" * (6 * 1024 * 1024)}),
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413
    assert "NEXUS_OPENLINEAGE_MAX_BYTES" in huge.json()["error"]
    # and nothing was written
    assert await counts(db) == before


async def test_a_run_stays_with_its_job(client: GraphQLClient, db: AsyncEngine) -> None:
    # given a run of one job
    first = run_event(unique("postgres://runs"))
    response = await client.http.post("/api/v1/lineage", json=first)
    assert response.status_code == 201, response.text
    # when another job's event names the same runId
    other = run_event(unique("postgres://runs"), run_id=first["run"]["runId"])
    before = await counts(db)
    response = await client.http.post("/api/v1/lineage", json=other)
    # then it is refused, saying which field, and nothing is written
    assert response.status_code == 400, response.text
    assert response.json()["path"] == "run.runId"
    assert "another job" in response.json()["error"]
    assert await counts(db) == before


async def test_batch_answers_per_event_and_keeps_the_valid_ones(
    client: GraphQLClient, db: AsyncEngine
) -> None:
    # given a batch with a valid event, an invalid one, another valid one and a repeat
    namespace = unique("postgres://batch")
    first, second = run_event(namespace), run_event(namespace, event_type="START")
    invalid = run_event(namespace)
    del invalid["job"]["namespace"]
    # when it is posted
    response = await client.http.post("/api/v1/lineage/batch", json=[first, invalid, second, first])
    # then each event gets its own result
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "accepted",
        "invalid",
        "accepted",
        "duplicate",
    ]
    assert body["results"][1]["path"] == "job.namespace"
    assert (body["accepted"], body["invalid"], body["duplicate"]) == (2, 1, 1)
    # and the valid events were not lost
    data = await client.data(DATASET, {"ns": namespace, "name": "public.target"})
    assert [f["name"] for f in data["dataset"]["fields"]] == ["id", "amount"]


async def test_schema_versions_follow_event_time_and_change(client: GraphQLClient) -> None:
    namespace = unique("postgres://schema")
    run_id = str(uuid.uuid4())
    newer = run_event(
        namespace,
        run_id=run_id,
        event_time="2026-11-02T06:00:00Z",
        columns=("id", "amount", "currency"),
    )
    older = run_event(namespace, run_id=run_id, event_type="START")
    # given the newer schema arrives first, then the older one, then the newer one again
    for event in (newer, older, newer):
        response = await client.http.post("/api/v1/lineage", json=event)
        assert response.status_code in (200, 201), response.text
    # then the late, older schema did not roll the dataset back, and no version repeats
    data = (await client.data(DATASET, {"ns": namespace, "name": "public.target"}))["dataset"]
    assert [f["name"] for f in data["fields"]] == ["id", "amount", "currency"]
    assert data["schemaVersion"] == 1
    # when a later event changes the schema
    changed = run_event(
        namespace, run_id=run_id, event_time="2026-11-03T06:00:00Z", columns=("id", "total")
    )
    assert (await client.http.post("/api/v1/lineage", json=changed)).status_code == 201
    # then a new version exists and the old one is still readable
    data = (await client.data(DATASET, {"ns": namespace, "name": "public.target"}))["dataset"]
    assert [v["version"] for v in data["versions"]] == [1, 2]
    assert [f["name"] for f in data["fields"]] == ["id", "total"]
    assert [f["name"] for f in data["v1"]["fields"]] == ["id", "amount", "currency"]


async def test_dataset_mutations_upsert_version_and_soft_delete(
    client: GraphQLClient, db: AsyncEngine
) -> None:
    namespace = unique("s3://lake")
    fields = [{"name": "email", "type": "string", "tags": ["PII"]}]
    # when a dataset is upserted twice with the same content
    payload = {
        "namespace": namespace,
        "name": "customers",
        "description": "Customer master",
        "owners": ["team:crm"],
        "tags": ["gold"],
        "fields": fields,
    }
    created = (await client.data(UPSERT, {"input": payload}))["upsertDataset"]
    again = (await client.data(UPSERT, {"input": payload}))["upsertDataset"]
    # then it exists once, unchanged by the repeat
    assert created["graphSynced"] is True
    assert created["dataset"]["fields"] == [{"name": "email", "tags": ["pii"]}]
    assert again["seq"] == 0
    assert again["dataset"]["id"] == created["dataset"]["id"]
    # when its schema changes
    schema = (
        await client.data(
            UPDATE_SCHEMA,
            {"input": {"id": created["dataset"]["id"], "fields": [*fields, {"name": "id"}]}},
        )
    )["updateDatasetSchema"]
    assert schema["dataset"]["schemaVersion"] == 2
    assert [v["version"] for v in schema["dataset"]["versions"]] == [1, 2]
    # when bad input is given, nothing is written
    before = await counts(db)
    for bad in (
        {**payload, "namespace": "no spaces allowed"},
        {**payload, "name": " "},
        {**payload, "fields": [{"name": "a"}, {"name": "a"}]},
    ):
        body = await client.execute(UPSERT, {"input": bad})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await counts(db) == before
    # when it is deleted, it stays readable with deletedAt set
    deleted = (await client.data(DELETE, {"id": created["dataset"]["id"]}))["deleteDataset"]
    assert deleted["dataset"]["deletedAt"] is not None
    twice = await client.execute(DELETE, {"id": created["dataset"]["id"]})
    assert twice["errors"][0]["extensions"]["code"] == "CONFLICT"


STATIC = """
query Static($ns: String!) {
  dataset(namespace: $ns, name: "events.clicks") {
    fields { name type } description
    consumers { name latestRun { state } }
    downstream { edges { node { dataset { name } } } }
  }
}
"""


async def test_dataset_and_job_events_describe_metadata_without_runs(
    client: GraphQLClient,
) -> None:
    namespace = unique("kafka://static")
    now = "2026-11-05T08:00:00+00:00"
    schema = schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name="user_id", type="string")]
    )
    docs = documentation_dataset.DocumentationDatasetFacet(description="Raw click events")
    # when a DatasetEvent describes a topic and a JobEvent declares a job that reads it
    await emit(
        client,
        [
            DatasetEvent(
                eventTime=now,
                producer="https://example.com/catalog",
                dataset=StaticDataset(
                    namespace, "events.clicks", facets={"schema": schema, "documentation": docs}
                ),
            ),
            JobEvent(
                eventTime=now,
                producer="https://example.com/catalog",
                job=Job(namespace="flink", name=f"{namespace}-sessionize"),
                inputs=[InputDataset(namespace, "events.clicks")],
                outputs=[OutputDataset(namespace, "events.sessions")],
            ),
        ],
    )
    # then the dataset has its schema and description, and the job its lineage but no run
    data = (await client.data(STATIC, {"ns": namespace}))["dataset"]
    assert data["fields"] == [{"name": "user_id", "type": "string"}]
    assert data["description"] == "Raw click events"
    assert data["consumers"] == [{"name": f"{namespace}-sessionize", "latestRun": None}]
    assert data["downstream"]["edges"] == [{"node": {"dataset": {"name": "events.sessions"}}}]
