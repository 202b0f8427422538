"""Governance policies through the real endpoints: writing them, activating them through an
approval, and what a DENY does to every read path; explanations and simulations compared with
what the caller really sees; sensitive fields masked."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import neo4j
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import (
    GraphQLClient,
    MakeMember,
    Member,
    Server,
    authorized,
    cypher,
    row_counts,
)
from tests.test_entities import CREATE, DELETE, GET, LIST, NODE, RESTORE, UPDATE, create, unique
from tests.test_relationships import relate
from tests.test_search import DESCRIBE

POLICY_FIELDS = """
id name effect actions state version priority condition
subjects { roles userIds } resources { kinds namespacePattern tags ids }
governs { kind tag entity { name } }
"""
CREATE_POLICY = f"""
mutation($input: PolicyInput!) {{
  createPolicy(input: $input) {{ seq graphSynced policy {{ {POLICY_FIELDS} }} }}
}}
"""
UPDATE_POLICY = f"""
mutation($id: ID!, $input: PolicyInput!) {{
  updatePolicy(id: $id, input: $input) {{ policy {{ {POLICY_FIELDS} }} }}
}}
"""
ACTIVATE = f"""
mutation($id: ID!, $active: Boolean) {{
  activatePolicy(id: $id, active: $active) {{ graphSynced policy {{ {POLICY_FIELDS} }} }}
}}
"""
DELETE_POLICY = "mutation($id: ID!) { deletePolicy(id: $id) { graphSynced policy { id } } }"
REQUEST = """
mutation($id: ID!) { requestApproval(policyId: $id) { id status policyVersion } }
"""
DECIDE = """
mutation($id: ID!, $approve: Boolean!) {
  decideApproval(approvalId: $id, approve: $approve) { id status decidedBy }
}
"""
POLICIES = "query($states: [PolicyState!]) { policies(states: $states) { id name state } }"
EXPLAIN = """
query($resource: ID!, $action: String!, $user: ID) {
  explainAccess(resourceId: $resource, action: $action, userId: $user) {
    allowed action role byRole reason matchedPolicies { policyId name effect reason }
  }
}
"""
SIMULATE = """
query($draft: PolicyInput!) {
  simulatePolicy(draft: $draft) {
    usersChecked resourcesChecked truncated
    gained { userId resourceId action }
    lost { userId role resourceId action before after }
  }
}
"""
NEIGHBORS = """
query($id: ID!) {
  entity(id: $id) {
    neighbors(depth: 2) {
      partial partialReasons
      nodes { distance restricted entity { id name } }
    }
    relationships(direction: BOTH) { edges { node { source { name } target { name } } } }
  }
}
"""
CHANGES = "query($since: Int!) { changes(since: $since, first: 100) { seq objectId } }"
SUBSCRIBE = "subscription { changes { seq objectId } }"
MASKED = "query($id: ID!) { entity(id: $id) { name description properties tags } }"


def code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    value: str = body["errors"][0]["extensions"]["code"]
    return value


UPSERT_DATASET = """
mutation($input: UpsertDatasetInput!) { upsertDataset(input: $input) { dataset { id } } }
"""


def deny_tag(tag: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": unique("hide"),
        "effect": "DENY",
        "actions": ["read"],
        "subjects": {"roles": ["viewer"]},
        "resources": {"tags": [tag]},
        **extra,
    }


async def activate(author: Member, approver: Member, policy_id: str) -> dict[str, Any]:
    approval = (await author.client.data(REQUEST, {"id": policy_id}))["requestApproval"]
    await approver.client.data(DECIDE, {"id": approval["id"], "approve": True})
    data = await author.client.data(ACTIVATE, {"id": policy_id})
    policy: dict[str, Any] = data["activatePolicy"]["policy"]
    return policy


async def stewards(member: MakeMember) -> tuple[Member, Member]:
    return await member("steward"), await member("steward")


async def test_malformed_policies_are_bad_input_naming_the_field(
    member: MakeMember, db: AsyncEngine
) -> None:
    steward = await member("steward")
    before = await row_counts(db)
    cases = {
        "actions": deny_tag("t", actions=["read", "fly"]),
        "effect": deny_tag("t", effect="MAYBE"),
        "resources.namespacePattern": deny_tag("t", resources={"namespacePattern": "a b;c"}),
        "resources.ids": deny_tag(
            "t",
            resources={
                "tags": ["x"],
                "ids": ["RW50aXR5OjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA=="],
            },
        ),
        "subjects.roles": deny_tag("t", subjects={"roles": ["overlord"]}),
        "condition": deny_tag("t", condition="FULL_MOON"),
    }
    for field, policy in cases.items():
        body = await steward.client.execute(CREATE_POLICY, {"input": policy})
        assert code(body) == "BAD_USER_INPUT", (field, body)
        assert body["errors"][0]["extensions"]["field"] == field
    assert await row_counts(db) == before


async def test_policy_lifecycle_versions_approval_and_graph(
    member: MakeMember, graph_db: neo4j.AsyncDriver, client: GraphQLClient
) -> None:
    author, approver = await stewards(member)
    tag = unique("lifecycle")
    target = await create(client, name=unique("governed"))
    # given a draft policy naming a tag
    created = (await author.client.data(CREATE_POLICY, {"input": deny_tag(tag)}))["createPolicy"]
    policy = created["policy"]
    assert (policy["state"], policy["version"]) == ("DRAFT", 1)
    assert created["graphSynced"] is True
    assert policy["governs"] == [{"kind": "TAG", "tag": tag, "entity": None}]
    # when the author activates it without approval, it is refused
    refused = await author.client.execute(ACTIVATE, {"id": policy["id"]})
    assert code(refused) == "FORBIDDEN"
    # and the author cannot approve their own policy
    approval = (await author.client.data(REQUEST, {"id": policy["id"]}))["requestApproval"]
    own = await author.client.execute(DECIDE, {"id": approval["id"], "approve": True})
    assert code(own) == "FORBIDDEN"
    # when another steward approves, it can be activated
    decided = await approver.client.data(DECIDE, {"id": approval["id"], "approve": True})
    assert decided["decideApproval"]["status"] == "APPROVED"
    active = (await author.client.data(ACTIVATE, {"id": policy["id"]}))["activatePolicy"]
    assert active["policy"]["state"] == "ACTIVE"
    # and an active policy cannot be edited in place
    edit = deny_tag(tag, resources={"ids": [target["id"]]})
    assert code(await author.client.execute(UPDATE_POLICY, {"id": policy["id"], "input": edit}))
    # when it is disabled and edited, it becomes a new draft version governing the entity
    await author.client.data(ACTIVATE, {"id": policy["id"], "active": False})
    updated = await author.client.data(UPDATE_POLICY, {"id": policy["id"], "input": edit})
    assert updated["updatePolicy"]["policy"]["version"] == 2
    assert updated["updatePolicy"]["policy"]["state"] == "DRAFT"
    assert updated["updatePolicy"]["policy"]["governs"] == [
        {"kind": "ENTITY", "tag": None, "entity": {"name": target["name"]}}
    ]
    raw = _raw(policy["id"])
    edges = await cypher(
        graph_db, "MATCH (p:Policy {id: $id})-[:GOVERNS]->(x) RETURN labels(x) AS l", id=raw
    )
    assert edges == [{"l": ["Entity"]}]
    # when it is deleted, it leaves the list and the graph
    await author.client.data(DELETE_POLICY, {"id": policy["id"]})
    listed = (await author.client.data(POLICIES))["policies"]
    assert policy["id"] not in [p["id"] for p in listed]
    assert await cypher(graph_db, "MATCH (p:Policy {id: $id}) RETURN p", id=raw) == []


async def test_deny_hides_a_tagged_entity_on_every_read_path(
    member: MakeMember, client: GraphQLClient, server: Server
) -> None:
    author, approver = await stewards(member)
    viewer = await member("viewer")
    tag = unique("secret")
    # given a hidden-to-be entity between two visible neighbours
    left = await create(client, name=unique("left"), tags=[f"{tag}-around"])
    secret = await create(client, name=unique("secret"), tags=[tag])
    right = await create(client, name=unique("right"), tags=[f"{tag}-around"])
    await relate(client, left, secret, "FEEDS")
    await relate(client, secret, right, "FEEDS")
    # and, before activation, the simulation says the viewer would lose read on it
    draft = deny_tag(tag)
    simulated = (await author.client.data(SIMULATE, {"draft": draft}))["simulatePolicy"]
    lost = {(c["userId"], c["resourceId"], c["action"]) for c in simulated["lost"]}
    assert (viewer.user_id, secret["id"], "read") in lost
    assert all(c["role"] == "VIEWER" for c in simulated["lost"])
    assert simulated["gained"] == []
    # when a DENY on its tag for viewers is activated
    policy = (await author.client.data(CREATE_POLICY, {"input": draft}))["createPolicy"]["policy"]
    await activate(author, approver, policy["id"])
    # then the viewer cannot find it by id, node, nodes or in lists (counts agree)
    assert code(await viewer.client.execute(GET, {"id": secret["id"]})) == "NOT_FOUND"
    nodes = await viewer.client.data(NODE, {"id": secret["id"], "ids": [secret["id"], left["id"]]})
    assert nodes["node"] is None
    assert nodes["nodes"][0] is None
    assert nodes["nodes"][1]["name"] == left["name"]
    listed = (await viewer.client.data(LIST, {"filter": {"tag": tag}}))["entities"]
    assert listed == {**listed, "edges": [], "totalCount": 0}
    # and the neighbours' traversal keeps the shape with a restricted placeholder
    around = (await viewer.client.data(NEIGHBORS, {"id": left["id"]}))["entity"]
    hood = around["neighbors"]
    assert hood["partial"] is True
    assert "RESTRICTED" in hood["partialReasons"]
    first_hop = [n for n in hood["nodes"] if n["distance"] == 1]
    assert first_hop == [{"distance": 1, "restricted": True, "entity": None}]
    assert {
        "distance": 2,
        "restricted": False,
        "entity": {"id": right["id"], "name": right["name"]},
    } in hood["nodes"]
    assert around["relationships"]["edges"] == [
        {"node": {"source": {"name": left["name"]}, "target": None}}
    ]
    assert secret["name"] not in json.dumps(around)
    # and its changes are left out of catch-up
    moved = await client.data(UPDATE, {"input": {"id": secret["id"], "description": "moved"}})
    start = moved["updateEntity"]["seq"] - 1
    await client.data(UPDATE, {"input": {"id": left["id"], "description": "moved"}})
    missed = (await viewer.client.data(CHANGES, {"since": start}))["changes"]
    assert secret["id"] not in [c["objectId"] for c in missed]
    assert left["id"] in [c["objectId"] for c in missed]
    # and so is linking it to a dataset the viewer can read, since that event names it
    made = await client.data(
        UPSERT_DATASET, {"input": {"namespace": f"s3://{tag}", "name": "described"}}
    )
    link = {"entityId": secret["id"], "datasetId": made["upsertDataset"]["dataset"]["id"]}
    linked = (await client.data(DESCRIBE, {"input": link}))["describeDataset"]["seq"]
    later = await client.data(UPDATE, {"input": {"id": left["id"], "description": "again"}})
    caught_up = (await viewer.client.data(CHANGES, {"since": linked - 1}))["changes"]
    assert [c["seq"] for c in caught_up] == [later["updateEntity"]["seq"]]
    # and from a live subscription
    ws_url = server.url.replace("http://", "ws://") + "/graphql"
    auth = {"Authorization": viewer.client.http.headers["Authorization"]}
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": auth}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        await asyncio.sleep(0.5)
        await client.data(UPDATE, {"input": {"id": secret["id"], "name": unique("s2")}})
        await client.data(UPDATE, {"input": {"id": right["id"], "name": unique("r2")}})
        seen: list[str] = []
        while right["id"] not in seen:
            message = json.loads(await asyncio.wait_for(ws.recv(), 15))
            if message["type"] == "next":
                seen.append(message["payload"]["data"]["changes"]["objectId"])
    assert secret["id"] not in seen
    # and the explanation agrees with what the viewer saw, naming the policy
    explained = await author.client.data(
        EXPLAIN, {"resource": secret["id"], "action": "read", "user": viewer.user_id}
    )
    answer = explained["explainAccess"]
    assert answer["allowed"] is False
    assert answer["byRole"] is True
    assert [m["policyId"] for m in answer["matchedPolicies"]] == [policy["id"]]
    assert "deny wins" in answer["reason"]
    # while a steward, not a subject of the policy, still sees it
    assert (await author.client.data(GET, {"id": secret["id"]}))["entity"]["id"] == secret["id"]
    mine = await author.client.data(EXPLAIN, {"resource": secret["id"], "action": "read"})
    assert mine["explainAccess"]["allowed"] is True


async def test_pii_is_masked_without_read_sensitive(
    member: MakeMember, client: GraphQLClient
) -> None:
    author, approver = await stewards(member)
    viewer = await member("viewer")
    person = await create(
        client,
        name=unique("person"),
        description="lives at 1 Main St",
        properties={"email": "x@example.com"},
        tags=["pii", unique("people")],
    )
    # then a viewer sees the entity with its sensitive fields masked, a steward in full
    masked = (await viewer.client.data(MASKED, {"id": person["id"]}))["entity"]
    assert masked["description"] == "[masked]"
    assert masked["properties"] == {"email": "[masked]"}
    full = (await author.client.data(MASKED, {"id": person["id"]}))["entity"]
    assert full["properties"] == {"email": "x@example.com"}
    # and an editor who changes it gets the result masked, as they would read it
    editor = await member("editor")
    written = await editor.client.data(UPDATE, {"input": {"id": person["id"], "confidence": 0.5}})
    assert written["updateEntity"]["entity"]["description"] == "[masked]"
    assert written["updateEntity"]["entity"]["properties"] == {"email": "[masked]"}
    explained = await author.client.data(
        EXPLAIN, {"resource": person["id"], "action": "read_sensitive", "user": viewer.user_id}
    )
    assert explained["explainAccess"]["allowed"] is False
    # when a policy allows this viewer read_sensitive on it, the viewer sees it in full
    allow = {
        "name": unique("let-see"),
        "effect": "ALLOW",
        "actions": ["read_sensitive"],
        "subjects": {"userIds": [viewer.user_id]},
        "resources": {"ids": [person["id"]]},
    }
    simulated = (await author.client.data(SIMULATE, {"draft": allow}))["simulatePolicy"]
    assert [(c["userId"], c["resourceId"]) for c in simulated["gained"]] == [
        (viewer.user_id, person["id"])
    ]
    policy = (await author.client.data(CREATE_POLICY, {"input": allow}))["createPolicy"]["policy"]
    await activate(author, approver, policy["id"])
    seen = (await viewer.client.data(MASKED, {"id": person["id"]}))["entity"]
    assert seen["properties"] == {"email": "x@example.com"}
    assert seen["description"] == "lives at 1 Main St"


async def test_policies_are_for_stewards_and_stay_in_their_organisation(
    member: MakeMember, client: GraphQLClient
) -> None:
    editor = await member("editor")
    body = await editor.client.execute(CREATE_POLICY, {"input": deny_tag("x")})
    assert code(body) == "FORBIDDEN"
    ours = await create(client, name=unique("ours"))
    theirs = await member("steward", organization="policy-co")
    # a policy naming our entity from another organisation: it does not exist for them
    body = await theirs.client.execute(
        CREATE_POLICY, {"input": deny_tag("x", resources={"ids": [ours["id"]]})}
    )
    assert code(body) == "BAD_USER_INPUT"
    explained = await theirs.client.execute(EXPLAIN, {"resource": ours["id"], "action": "read"})
    assert code(explained) == "NOT_FOUND"
    listed = (await theirs.client.data(POLICIES))["policies"]
    ours_listed = (await client.data(POLICIES))["policies"]
    assert not {p["id"] for p in listed} & {p["id"] for p in ours_listed}


def _raw(global_id: str) -> str:
    import base64

    padded = global_id + "=" * (-len(global_id) % 4)
    return base64.urlsafe_b64decode(padded).decode().partition(":")[2]


async def test_deny_write_forbids_the_change_and_writes_only_the_refusal(
    member: MakeMember, client: GraphQLClient, db: AsyncEngine
) -> None:
    author, approver = await stewards(member)
    editor = await member("editor")
    tag = unique("frozen")
    frozen = await create(client, name=unique("frozen"), tags=[tag])
    hidden_tag = unique("hidden")
    hidden = await create(client, name=unique("hidden"), tags=[hidden_tag])
    for policy in (
        deny_tag(tag, actions=["write", "delete"], subjects={"roles": ["editor"]}),
        deny_tag(hidden_tag, subjects={"roles": ["editor"]}),
    ):
        created = await author.client.data(CREATE_POLICY, {"input": policy})
        await activate(author, approver, created["createPolicy"]["policy"]["id"])
    before = await row_counts(db)
    # when the editor changes an entity a policy freezes for editors
    body = await editor.client.execute(UPDATE, {"input": {"id": frozen["id"], "name": "thaw"}})
    # then it is FORBIDDEN and only the refusal's audit row was written
    assert code(body) == "FORBIDDEN"
    assert await row_counts(db) == {**before, "audit_log": before["audit_log"] + 1}
    # and an entity hidden from them does not exist for them
    body = await editor.client.execute(UPDATE, {"input": {"id": hidden["id"], "name": "found"}})
    assert code(body) == "NOT_FOUND"
    # and neither creating an entity with the frozen tag nor tagging one into it is allowed
    made = await editor.client.execute(
        CREATE, {"input": {"kind": "service", "name": unique("new"), "tags": [tag]}}
    )
    free = await create(client, name=unique("free"))
    before = await row_counts(db)
    tagged = await editor.client.execute(UPDATE, {"input": {"id": free["id"], "tags": [tag]}})
    assert code(made) == "FORBIDDEN"
    assert code(tagged) == "FORBIDDEN"
    assert await row_counts(db) == {**before, "audit_log": before["audit_log"] + 1}
    assert (await client.data(GET, {"id": free["id"]}))["entity"]["tags"] == []
    # while the entity is unchanged for everyone else
    assert (await client.data(GET, {"id": frozen["id"]}))["entity"]["name"] == frozen["name"]


async def test_approval_rule_is_configurable_per_organisation(member: MakeMember) -> None:
    admin = await member("admin", organization="fast-co")
    steward = await member("steward", organization="fast-co")
    # when the organisation's admin lifts the approval rule
    lifted = await admin.client.data(
        "mutation { setPolicyApprovalRequired(required: false) { slug requirePolicyApproval } }"
    )
    assert lifted["setPolicyApprovalRequired"] == {
        "slug": "fast-co",
        "requirePolicyApproval": False,
    }
    # then its stewards activate without an approval, while the default organisation still needs one
    created = await steward.client.data(CREATE_POLICY, {"input": deny_tag("fast")})
    policy_id = created["createPolicy"]["policy"]["id"]
    active = await steward.client.data(ACTIVATE, {"id": policy_id})
    assert active["activatePolicy"]["policy"]["state"] == "ACTIVE"
    other = await member("steward")
    created = await other.client.data(CREATE_POLICY, {"input": deny_tag("slow")})
    refused = await other.client.execute(ACTIVATE, {"id": created["createPolicy"]["policy"]["id"]})
    assert code(refused) == "FORBIDDEN"


def test_roles_are_declared_in_the_schema() -> None:
    from tests.conftest import ROOT

    sdl = (ROOT / "schema.graphql").read_text()
    for line in (
        "createEntity(input: CreateEntityInput!): EntityPayload! @requiresRole(role: EDITOR)",
        "createPolicy(input: PolicyInput!): PolicyPayload! @requiresRole(role: STEWARD)",
        "createUser(input: CreateUserInput!): User! @requiresRole(role: ADMIN)",
    ):
        assert line in sdl
    # login and refreshToken are the only ways in, so they need no role
    assert "): AuthPayload!\n" in sdl
    assert "AuthPayload! @requiresRole" not in sdl


async def test_decisions_are_batched_per_request(member: MakeMember, client: GraphQLClient) -> None:
    from tests.test_batching import NESTED

    author, approver = await stewards(member)
    viewer = await member("viewer")
    # given 30 related entities, every third one hidden from viewers by an active DENY
    tag, hidden = unique("batched"), unique("batched-hidden")
    entities = [
        await create(client, name=f"d{i:02d}", tags=[tag, hidden] if i % 3 == 0 else [tag])
        for i in range(30)
    ]
    for i, entity in enumerate(entities):
        await relate(client, entity, entities[(i + 1) % 30], "NEXT")
    created = await author.client.data(CREATE_POLICY, {"input": deny_tag(hidden)})
    await activate(author, approver, created["createPolicy"]["policy"]["id"])
    # when the viewer reads a small and a large page with every entity's targets
    trips = []
    for first in (3, 20):
        body = await viewer.client.uncached(NESTED, {"first": first, "tag": tag})
        assert not body.get("errors"), body
        edges = body["data"]["entities"]["edges"]
        assert len(edges) == first
        trips.append(body["extensions"]["roundTrips"])
    # then both make the same round trips: decisions add none per object
    assert trips == [{"postgres": 2, "neo4j": 1}] * 2


async def test_node_resolves_policies_for_stewards_only(member: MakeMember) -> None:
    steward, viewer = await member("steward"), await member("viewer")
    created = await steward.client.data(CREATE_POLICY, {"input": deny_tag("node")})
    policy_id = created["createPolicy"]["policy"]["id"]
    query = "query($id: ID!) { node(id: $id) { id ... on Policy { name state } } }"
    seen = (await steward.client.data(query, {"id": policy_id}))["node"]
    assert seen["id"] == policy_id
    assert seen["state"] == "DRAFT"
    assert (await viewer.client.data(query, {"id": policy_id}))["node"] is None


async def test_a_restored_entity_gets_its_links_and_policies_back_in_the_graph(
    client: GraphQLClient, graph_db: neo4j.AsyncDriver
) -> None:
    # given an entity that describes a dataset and that a policy names
    entity = await create(client)
    name = f"orders_{uuid.uuid4().hex[:6]}"
    dataset = (
        await client.data(UPSERT_DATASET, {"input": {"namespace": "postgres://one", "name": name}})
    )["upsertDataset"]["dataset"]
    await client.data(DESCRIBE, {"input": {"entityId": entity["id"], "datasetId": dataset["id"]}})
    draft = {
        "name": f"watch-{uuid.uuid4().hex[:6]}",
        "effect": "DENY",
        "actions": ["write"],
        "resources": {"ids": [entity["id"]]},
    }
    await client.data(CREATE_POLICY, {"input": draft})
    around = (
        "MATCH (e:Entity {name: $e}) "
        "RETURN COUNT { (e)-[:DESCRIBES]->(:Dataset) } AS describes, "
        "COUNT { (:Policy)-[:GOVERNS]->(e) } AS governed"
    )
    assert await cypher(graph_db, around, e=entity["name"]) == [{"describes": 1, "governed": 1}]
    # when it is deleted and restored
    await client.data(DELETE, {"id": entity["id"]})
    restored = (await client.data(RESTORE, {"id": entity["id"]}))["restoreEntity"]
    # then the graph has both edges again, as Postgres does
    assert restored["graphSynced"] is True
    assert await cypher(graph_db, around, e=entity["name"]) == [{"describes": 1, "governed": 1}]


AUDIT_OF = """
query($target: ID) {
  auditLog(filter: {targetId: $target}, first: 50) {
    edges { node { action targetType before after } }
  }
}
"""


async def audit_of(member: Member, target: str) -> list[dict[str, Any]]:
    data = await member.client.data(AUDIT_OF, {"target": target})
    return [edge["node"] for edge in data["auditLog"]["edges"]]


async def test_the_audit_log_is_read_through_the_policies(
    member: MakeMember, client: GraphQLClient
) -> None:
    author, approver = await stewards(member)
    reader = await member("steward")
    tag = unique("classified")
    # given a hidden entity, its relationship with a visible one, and a dataset it describes
    secret = await create(client, name=unique("secret"), description="the plan", tags=[tag])
    await client.data(UPDATE, {"input": {"id": secret["id"], "description": "the new plan"}})
    plain = await create(client, name=unique("plain"))
    link = (await relate(client, plain, secret, "FEEDS"))["relationship"]
    shown = (
        await client.data(UPSERT_DATASET, {"input": {"namespace": f"s3://{tag}", "name": "open"}})
    )["upsertDataset"]["dataset"]
    await client.data(DESCRIBE, {"input": {"entityId": secret["id"], "datasetId": shown["id"]}})
    hidden_set = (
        await client.data(
            UPSERT_DATASET,
            {"input": {"namespace": f"s3://{tag}", "name": "closed", "tags": [tag]}},
        )
    )["upsertDataset"]["dataset"]
    # and a sensitive entity
    person = await create(
        client,
        name=unique("person"),
        description="lives at 1 Main St",
        properties={"email": "x@example.com"},
        tags=["pii"],
    )
    # when policies hide the tag from one steward and deny them sensitive reads
    for draft in (
        deny_tag(tag, subjects={"userIds": [reader.user_id]}),
        {
            "name": unique("no-pii"),
            "effect": "DENY",
            "actions": ["read_sensitive"],
            "subjects": {"userIds": [reader.user_id]},
            "resources": {"tags": ["pii"]},
        },
    ):
        policy = (await author.client.data(CREATE_POLICY, {"input": draft}))["createPolicy"]
        await activate(author, approver, policy["policy"]["id"])
    # then the other stewards still read every entry in full
    assert [e["action"] for e in await audit_of(approver, secret["id"])] == [
        "entity.update",
        "entity.create",
    ]
    assert (await audit_of(approver, secret["id"]))[0]["after"]["description"] == "the new plan"
    assert len(await audit_of(approver, link["id"])) == 1
    assert [e["action"] for e in await audit_of(approver, shown["id"])] == [
        "dataset.describe",
        "dataset.create",
    ]
    assert len(await audit_of(approver, hidden_set["id"])) == 1
    # but the entries naming what that steward may not read are left out of their log
    assert await audit_of(reader, secret["id"]) == []
    assert await audit_of(reader, link["id"]) == []
    assert await audit_of(reader, hidden_set["id"]) == []
    assert [e["action"] for e in await audit_of(reader, shown["id"])] == ["dataset.create"]
    # and nothing the hidden entity holds shows anywhere in their log
    whole = "{ auditLog(first: 100) { edges { node { targetId before after } } } }"
    assert "the new plan" in json.dumps(await approver.client.data(whole))
    texts = json.dumps(await reader.client.data(whole))
    assert "the plan" not in texts
    assert "the new plan" not in texts
    # and the sensitive entity's snapshot is masked for them, as the entity itself is
    (entry,) = await audit_of(reader, person["id"])
    assert entry["after"]["description"] == "[masked]"
    assert entry["after"]["properties"] == {"email": "[masked]"}
    assert entry["after"]["name"] == person["name"]
    (full,) = await audit_of(approver, person["id"])
    assert full["after"]["properties"] == {"email": "x@example.com"}


PRODUCERS = """
query($ns: String!, $name: String!) { dataset(namespace: $ns, name: $name) { producers { id } } }
"""
DENIED_ON = """
query($target: ID) {
  auditLog(filter: {targetId: $target, outcome: "denied"}, first: 50) {
    edges { node { action targetType after } }
  }
}
"""


async def test_the_audit_log_names_no_hidden_dataset_in_jobs_or_refusals(
    member: MakeMember, client: GraphQLClient
) -> None:
    author, approver = await stewards(member)
    reader = await member("steward")
    editor = await member("editor")
    tag = unique("classified")
    ns = f"s3://{unique('audit-io')}"
    # given a dataset hidden from one steward, read by a job
    hidden = (
        await client.data(
            UPSERT_DATASET, {"input": {"namespace": ns, "name": "closed", "tags": [tag]}}
        )
    )["upsertDataset"]["dataset"]
    run = {
        "eventType": "COMPLETE",
        "eventTime": "2026-11-01T06:00:00.000Z",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "airflow", "name": unique("reads-closed")},
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "inputs": [{"namespace": ns, "name": "closed"}],
        "outputs": [{"namespace": ns, "name": "open"}],
    }
    response = await client.http.post("/api/v1/lineage", json=run)
    assert response.status_code == 201, response.text
    job = (await client.data(PRODUCERS, {"ns": ns, "name": "open"}))["dataset"]["producers"][0]
    for draft in (
        deny_tag(tag, subjects={"userIds": [reader.user_id]}),
        deny_tag(tag, actions=["write"], subjects={"userIds": [editor.user_id]}),
    ):
        policy = (await author.client.data(CREATE_POLICY, {"input": draft}))["createPolicy"]
        await activate(author, approver, policy["policy"]["id"])
    # and an editor refused a write to it
    refused = await editor.client.execute(
        UPSERT_DATASET,
        {"input": {"namespace": ns, "name": "closed", "tags": [tag], "description": "x"}},
    )
    assert code(refused) == "FORBIDDEN"
    raw_hidden = _raw(hidden["id"])
    # then the other stewards see the job's input and the refusal
    (full,) = await audit_of(approver, job["id"])
    assert raw_hidden in full["after"]["inputs"]
    denied = (await approver.client.data(DENIED_ON, {"target": hidden["id"]}))["auditLog"]
    assert [e["node"]["targetType"] for e in denied["edges"]] == ["dataset"]
    # but the steward the dataset is hidden from sees the job without it, and no refusal
    (shown,) = await audit_of(reader, job["id"])
    assert shown["after"]["inputs"] == []
    assert len(shown["after"]["outputs"]) == 1
    denied = (await reader.client.data(DENIED_ON, {"target": hidden["id"]}))["auditLog"]
    assert denied["edges"] == []


async def test_a_policy_written_with_a_key_is_not_approved_by_its_maker(
    member: MakeMember, server: Server
) -> None:
    # given a policy drafted and put up for approval with an admin's key
    admin = await member("admin")
    made = await admin.client.data(
        'mutation { createApiKey(name: "governance", role: ADMIN) { secret } }'
    )
    async with authorized(server, made["createApiKey"]["secret"]) as http:
        by_key = GraphQLClient(http)
        policy = (await by_key.data(CREATE_POLICY, {"input": deny_tag(unique("t"))}))[
            "createPolicy"
        ]["policy"]
        approval = (await by_key.data(REQUEST, {"id": policy["id"]}))["requestApproval"]
    # when the admin who made the key tries to approve it
    own = await admin.client.execute(DECIDE, {"id": approval["id"], "approve": True})
    # then it is refused: the key wrote it for them
    assert code(own) == "FORBIDDEN"
    # and another steward may
    other = await member("steward")
    decided = await other.client.data(DECIDE, {"id": approval["id"], "approve": True})
    assert decided["decideApproval"]["status"] == "APPROVED"
