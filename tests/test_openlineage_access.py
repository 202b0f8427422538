"""Who may send lineage: a bearer token or API key of an editor; refusals write nothing and
are audited."""

from __future__ import annotations

import base64
import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import GraphQLClient, MakeMember, Server
from tests.test_dataset_access import create_active, deny_datasets
from tests.test_entities import unique
from tests.test_manual_lineage import RECORD
from tests.test_manual_lineage import UPSERT as MANUAL_UPSERT
from tests.test_openlineage import run_event

CREATE_KEY = """
mutation($name: String!, $role: Role!) { createApiKey(name: $name, role: $role) { secret } }
"""


async def datasets_in(db: AsyncEngine, namespace: str) -> int:
    async with db.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM datasets WHERE namespace = :ns"), {"ns": namespace}
        )
    return int(count or 0)


async def test_lineage_without_a_token_is_unauthenticated(server: Server, db: AsyncEngine) -> None:
    namespace = f"postgres://{unique('anon')}:5432"
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/v1/lineage", json=run_event(namespace))
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHENTICATED"
    assert "createApiKey" in response.json()["error"]
    assert await datasets_in(db, namespace) == 0


async def test_a_viewer_may_not_send_lineage_and_the_refusal_is_audited(
    server: Server, db: AsyncEngine, member: MakeMember
) -> None:
    viewer = await member("viewer")
    namespace = f"postgres://{unique('viewer')}:5432"
    response = await viewer.client.http.post("/api/v1/lineage", json=run_event(namespace))
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
    assert await datasets_in(db, namespace) == 0
    async with db.connect() as conn:
        denial = await conn.scalar(
            text(
                "SELECT outcome FROM audit_log WHERE action = 'openlineage.ingest' "
                "AND actor = :actor ORDER BY id DESC LIMIT 1"
            ),
            {"actor": f"user:{_raw_user_id(viewer.user_id)}"},
        )
    assert denial == "denied"


async def test_a_pipeline_sends_lineage_with_an_editor_api_key(
    client: GraphQLClient, server: Server, db: AsyncEngine
) -> None:
    secret = (await client.data(CREATE_KEY, {"name": unique("airflow"), "role": "EDITOR"}))[
        "createApiKey"
    ]["secret"]
    namespace = f"postgres://{unique('pipeline')}:5432"
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {secret}"}
    ) as http:
        response = await http.post("/api/v1/lineage", json=run_event(namespace))
    assert response.status_code == 201, response.text
    assert await datasets_in(db, namespace) == 2


def _raw_user_id(global_id: str) -> str:
    decoded = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return decoded.split(":", 1)[1] if ":" in decoded else global_id


async def test_policies_deny_ingest_into_a_dataset_and_the_rest_of_the_batch_lands(
    client: GraphQLClient, db: AsyncEngine, member: MakeMember
) -> None:
    # given a policy that denies editors writes to one namespace
    denied_ns = f"postgres://{unique('olden')}:5432"
    open_ns = f"postgres://{unique('olopen')}:5432"
    await create_active(
        client,
        member,
        deny_datasets(["write"], "editor", namespacePattern=denied_ns, name="no-ingest"),
    )
    editor = await member("editor")

    # when the editor sends one event into that namespace, then a batch with one of each
    alone = await editor.client.http.post("/api/v1/lineage", json=run_event(denied_ns))
    batch = await editor.client.http.post(
        "/api/v1/lineage/batch", json=[run_event(denied_ns), run_event(open_ns)]
    )

    # then the lone event is refused with 403, saying which dataset, and nothing is kept
    assert alone.status_code == 403
    assert alone.json()["code"] == "FORBIDDEN"
    assert denied_ns in alone.json()["error"]
    # and in the batch only the allowed event lands
    body = batch.json()
    assert (body["accepted"], body["denied"]) == (1, 1)
    assert [r["status"] for r in body["results"]] == ["denied", "accepted"]
    assert await datasets_in(db, denied_ns) == 0
    assert await datasets_in(db, open_ns) == 2
    async with db.connect() as conn:
        kept = await conn.scalar(
            text("SELECT count(*) FROM openlineage_events WHERE payload::text LIKE :ns"),
            {"ns": f"%{denied_ns}%"},
        )
        denials = await conn.scalar(
            text(
                "SELECT count(*) FROM audit_log WHERE action = 'openlineage.ingest' "
                "AND outcome = 'denied' AND actor = :actor"
            ),
            {"actor": f"user:{_raw_user_id(editor.user_id)}"},
        )
    assert kept == 0
    assert denials == 2


async def test_policies_deny_ingest_by_a_job_and_nothing_is_kept(
    client: GraphQLClient, db: AsyncEngine, member: MakeMember
) -> None:
    # given a policy that denies editors writes to the jobs of one namespace
    jobs = unique("locked-scheduler")
    await create_active(
        client,
        member,
        {
            "name": unique("no-jobs"),
            "effect": "DENY",
            "actions": ["write"],
            "subjects": {"roles": ["editor"]},
            "resources": {"kinds": ["job"], "namespacePattern": jobs},
        },
    )
    editor = await member("editor")
    # when the editor sends an event of such a job, into datasets they may write
    ns = f"postgres://{unique('oljob')}:5432"
    event = run_event(ns)
    event["job"]["namespace"] = jobs
    refused = await editor.client.http.post("/api/v1/lineage", json=event)
    # then it is refused, saying which job, and nothing of it is kept
    assert refused.status_code == 403
    assert refused.json()["code"] == "FORBIDDEN"
    assert jobs in refused.json()["error"]
    assert await datasets_in(db, ns) == 0
    # while the same event under another job namespace lands
    event["job"]["namespace"] = unique("open-scheduler")
    assert (await editor.client.http.post("/api/v1/lineage", json=event)).status_code in (200, 201)
    assert await datasets_in(db, ns) == 2


async def test_policies_on_jobs_hold_for_lineage_recorded_by_hand(
    client: GraphQLClient, member: MakeMember
) -> None:
    # given an editor whom a policy denies writing the jobs that hold hand-recorded edges
    editor = await member("editor")
    await create_active(
        client,
        member,
        {
            "name": unique("no-manual"),
            "effect": "DENY",
            "actions": ["write"],
            "subjects": {"userIds": [editor.user_id]},
            "resources": {"kinds": ["job"], "namespacePattern": "nexus.manual"},
        },
    )
    namespace = unique("sheets://plans")
    ids = [
        (await client.data(MANUAL_UPSERT, {"input": {"namespace": namespace, "name": name}}))[
            "upsertDataset"
        ]["dataset"]["id"]
        for name in ("budget", "forecast")
    ]
    edge = {"sourceId": ids[0], "targetId": ids[1]}
    # when they record an edge by hand, then it is refused, while an admin may
    refused = await editor.client.execute(RECORD, {"input": edge})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await client.data(RECORD, {"input": edge}))["recordLineage"]["seq"] > 0


async def test_a_run_id_of_another_organisation_is_refused_and_its_run_untouched(
    client: GraphQLClient, db: AsyncEngine, member: MakeMember
) -> None:
    # given a run that one organisation recorded
    run_id = str(uuid.uuid4())
    mine = run_event(f"postgres://{unique('olrun')}:5432", run_id=run_id)
    assert (await client.http.post("/api/v1/lineage", json=mine)).status_code == 201
    # when another organisation sends an event with the same run id
    outsider = await member("editor", organization="other")
    theirs = run_event(
        f"postgres://{unique('olrun-other')}:5432",
        run_id=run_id,
        event_type="FAIL",
        event_time="2026-11-02T06:00:00.000Z",
    )
    taken = await outsider.client.http.post("/api/v1/lineage", json=theirs)
    # then it is refused, and the first organisation's run is as it was
    assert taken.status_code == 400
    assert taken.json()["path"] == "run.runId"
    async with db.connect() as conn:
        state = await conn.scalar(text("SELECT state FROM runs WHERE id = :id"), {"id": run_id})
    assert state == "COMPLETE"
