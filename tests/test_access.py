"""Roles and tenancy through the real endpoint: refused writes write nothing but their audit
row, other organisations' objects do not exist for you, and the audit log tells what happened."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import GraphQLClient, MakeMember, row_counts
from tests.test_entities import CREATE, GET, LIST, NODE, UPDATE, create, unique
from tests.test_relationships import RELATE

AUDIT = """
query Audit($filter: AuditFilterInput, $first: Int, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id actor action targetType targetId outcome before after createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
CREATE_KEY = 'mutation { createApiKey(name: "k", role: VIEWER) { secret } }'
SDL = '{ __type(name: "Mutation") { fields { name } } }'


def code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    value: str = body["errors"][0]["extensions"]["code"]
    return value


async def audit(client: GraphQLClient, **flt: Any) -> list[dict[str, Any]]:
    data = await client.data(AUDIT, {"filter": flt, "first": 50})
    return [edge["node"] for edge in data["auditLog"]["edges"]]


async def test_viewer_mutation_is_forbidden_and_writes_nothing_but_its_audit_row(
    member: MakeMember, client: GraphQLClient, db: AsyncEngine
) -> None:
    # given a viewer and the current row counts
    viewer = await member("viewer")
    before = await row_counts(db)
    # when the viewer tries to create an entity
    body = await viewer.client.execute(CREATE, {"input": {"kind": "service", "name": "nope"}})
    # then it is FORBIDDEN
    assert code(body) == "FORBIDDEN"
    assert body["data"] is None
    # and nothing was written except the audit row of the refusal
    after = await row_counts(db)
    assert after == {**before, "audit_log": before["audit_log"] + 1}
    denied = await audit(client, outcome="denied", actions=["createEntity"])
    assert denied[0]["actor"] == f"user:{_raw(viewer.user_id)}"
    assert denied[0]["after"] == {"required": "editor", "role": "viewer"}


@pytest.mark.parametrize(
    ("role", "query", "allowed"),
    [
        ("viewer", AUDIT, False),
        ("editor", AUDIT, False),
        ("steward", AUDIT, True),
        ("editor", CREATE_KEY, False),
        ("steward", CREATE_KEY, False),
    ],
)
async def test_roles_gate_fields(member: MakeMember, role: str, query: str, allowed: bool) -> None:
    caller = await member(role)
    body = await caller.client.execute(query)
    if allowed:
        assert not body.get("errors"), body
    else:
        assert code(body) == "FORBIDDEN"


async def test_editor_writes_and_viewer_reads(member: MakeMember) -> None:
    editor, viewer = await member("editor"), await member("viewer")
    entity = await create(editor.client, name=unique("by-editor"))
    seen = await viewer.client.data(GET, {"id": entity["id"]})
    assert seen["entity"]["name"] == entity["name"]


async def test_other_organisation_sees_nothing_of_ours(
    member: MakeMember, client: GraphQLClient, db: AsyncEngine
) -> None:
    # given an entity in the default organisation and an admin of another organisation
    ours = await create(client, name=unique("ours"), tags=["tenancy"])
    theirs = await member("admin", organization="acme")
    # when they look it up by id, through node/nodes, and in lists
    assert code(await theirs.client.execute(GET, {"id": ours["id"]})) == "NOT_FOUND"
    nodes = await theirs.client.data(NODE, {"id": ours["id"], "ids": [ours["id"]]})
    assert nodes == {"node": None, "nodes": [None]}
    listed = await theirs.client.data(LIST, {"filter": {"tag": "tenancy"}})
    assert listed["entities"]["edges"] == []
    assert listed["entities"]["totalCount"] == 0
    # and when they try to change it or link to it, it does not exist for them
    counts = await row_counts(db)
    updated = await theirs.client.execute(UPDATE, {"input": {"id": ours["id"], "name": "x"}})
    assert code(updated) == "NOT_FOUND"
    mine = await create(theirs.client, name=unique("theirs"))
    related = await theirs.client.execute(
        RELATE, {"input": {"sourceId": mine["id"], "targetId": ours["id"], "type": "X"}}
    )
    assert code(related) == "BAD_USER_INPUT"
    assert (await row_counts(db))["relationships"] == counts["relationships"]
    # and their audit log holds none of our entries, ours none of theirs
    assert all(e["targetId"] != _raw(ours["id"]) for e in await audit(theirs.client))
    assert all(e["targetId"] != _raw(mine["id"]) for e in await audit(client))


async def test_audit_log_records_writes_with_before_and_after(client: GraphQLClient) -> None:
    # given an entity created then renamed
    entity = await create(client, name="audited")
    await client.data(UPDATE, {"input": {"id": entity["id"], "name": "audited again"}})
    # then the audit log has both, newest first, with the state before and after
    entries = await audit(client, targetId=entity["id"])
    assert [e["action"] for e in entries] == ["entity.update", "entity.create"]
    assert entries[0]["before"]["name"] == "audited"
    assert entries[0]["after"]["name"] == "audited again"
    assert entries[1]["before"] is None
    assert all(e["outcome"] == "success" for e in entries)
    # and it pages
    page = await client.data(AUDIT, {"first": 1})
    assert page["auditLog"]["pageInfo"]["hasNextPage"] is True
    rest = await client.data(
        AUDIT, {"first": 1, "after": page["auditLog"]["pageInfo"]["endCursor"]}
    )
    assert int(rest["auditLog"]["edges"][0]["node"]["id"]) < int(
        page["auditLog"]["edges"][0]["node"]["id"]
    )


async def test_audit_log_has_no_write_path(client: GraphQLClient, db: AsyncEngine) -> None:
    fields = (await client.data(SDL))["__type"]["fields"]
    assert not [f["name"] for f in fields if "audit" in f["name"].lower()]
    async with db.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM audit_log"))).scalar_one()
    assert count > 0


def _raw(global_id: str) -> str:
    import base64

    padded = global_id + "=" * (-len(global_id) % 4)
    return base64.urlsafe_b64decode(padded).decode().partition(":")[2]
