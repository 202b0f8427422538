"""The `nexus` command against the real databases: migrate, verify, rebuild, project, seed;
and the generated artifacts (schema.graphql, Alembic revisions) kept in step."""

from __future__ import annotations

import base64
import os
import subprocess

import neo4j
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import NEXUS, ROOT, GraphQLClient, Server, cypher, login, run_cli
from tests.test_entities import create, unique
from tests.test_policies import CREATE_POLICY, deny_tag
from tests.test_relationships import relate


def test_schema_graphql_matches_the_code() -> None:
    printed = run_cli("print-schema").stdout
    committed = (ROOT / "schema.graphql").read_text()
    assert printed == committed, "schema.graphql is stale: run `make schema` and commit it"


def test_models_have_no_unmigrated_changes(fresh_databases: None) -> None:
    alembic = NEXUS.with_name("alembic")
    result = subprocess.run(
        [str(alembic), "-c", str(ROOT / "migrations" / "alembic.ini"), "check"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr


def test_migrate_is_idempotent(fresh_databases: None) -> None:
    second = run_cli("migrate")
    assert "postgres: at head" in second.stderr
    assert "constraints and indexes in place" in second.stderr


async def test_audit_log_refuses_updates_and_deletes(
    client: GraphQLClient, db: AsyncEngine
) -> None:
    await create(client)
    for statement in ("UPDATE audit_log SET actor = 'forged'", "DELETE FROM audit_log"):
        async with db.connect() as conn:
            with pytest.raises(DBAPIError, match="append-only"):
                await conn.execute(text(statement))


async def test_verify_rebuild_and_replayed_events_leave_the_same_graph(
    client: GraphQLClient, db: AsyncEngine, graph_db: neo4j.AsyncDriver
) -> None:
    # given some entities and relationships and a policy, fully projected
    a, b = await create(client), await create(client)
    await relate(client, a, b, "FEEDS")
    made = await client.data(CREATE_POLICY, {"input": deny_tag(unique("verify"))})
    policy_id = _raw_id(made["createPolicy"]["policy"]["id"])
    assert "graph matches postgres" in run_cli("graph", "verify").stdout
    counts = await _graph_counts(graph_db)
    # when the graph loses a node and a policy behind the service's back
    await cypher(graph_db, "MATCH (e:Entity {name: $n}) DETACH DELETE e", n=a["name"])
    await cypher(graph_db, "MATCH (p:Policy {id: $id}) DETACH DELETE p", id=policy_id)
    # then verify reports them and fails
    broken = run_cli("graph", "verify", check=False)
    assert broken.returncode == 1
    assert "1 entities missing from the graph" in broken.stdout
    assert "1 relationships missing from the graph" in broken.stdout
    assert f"1 policies missing from the graph: {policy_id}" in broken.stdout
    # when the graph is rebuilt from Postgres
    rebuilt = run_cli("graph", "rebuild", "--yes")
    assert "rows/s" in rebuilt.stderr
    # then it matches again, with the same counts
    assert "graph matches postgres" in run_cli("graph", "verify").stdout
    assert await _graph_counts(graph_db) == counts
    # when every event is marked pending and projected a second time
    async with db.begin() as conn:
        await conn.execute(text("UPDATE outbox SET projected_at = NULL"))
    run_cli("graph", "project")
    # then applying them again changed nothing (idempotent, in order)
    assert await _graph_counts(graph_db) == counts
    assert "graph matches postgres" in run_cli("graph", "verify").stdout


def _raw_id(global_id: str) -> str:
    return base64.urlsafe_b64decode(global_id).decode().split(":", 1)[1]


async def _graph_counts(driver: neo4j.AsyncDriver) -> dict[str, int]:
    """Nodes per label and relationships per type: the whole graph, every kind of data."""
    nodes = await cypher(driver, "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS c")
    rels = await cypher(driver, "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS c")
    return {f":{row['label']}": row["c"] for row in nodes} | {
        f"-[{row['type']}]-": row["c"] for row in rels
    }


async def test_seed_loads_demo_graph_once(
    fresh_databases: None, graph_db: neo4j.AsyncDriver
) -> None:
    first = run_cli("seed")
    assert "created 266 entities" in first.stderr
    second = run_cli("seed")
    assert "created 0 entities and 0 relationships" in second.stderr
    hub = await cypher(
        graph_db,
        "MATCH (e:Entity {name: 'FieldOS Core DB'})<-[r:RELATES_TO]-() RETURN count(r) AS c",
    )
    assert hub[0]["c"] > 10
    assert "graph matches postgres" in run_cli("graph", "verify").stdout


async def test_seed_creates_the_documented_development_login(server: Server) -> None:
    from app.demo.seed import DEV_USER_EMAIL, DEV_USER_PASSWORD

    # given the demo data (seeding is idempotent)
    result = run_cli("seed")
    assert DEV_USER_EMAIL in result.stderr
    # then the development user can log in as an admin of the default organisation
    tokens = await login(server, DEV_USER_EMAIL, DEV_USER_PASSWORD)
    assert tokens["role"] == "ADMIN"
