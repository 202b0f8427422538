"""Live updates for governance: policyChanged for stewards, auditEvents for admins."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import GraphQLClient, MakeMember, Server
from tests.live_client import live_client
from tests.test_entities import UPDATE, create, unique
from tests.test_policies import CREATE_POLICY, activate, deny_tag, stewards

POLICY_CHANGED = "subscription { policyChanged { seq type action policy { name state } } }"
AUDIT_EVENTS = """
subscription($actions: [String!], $outcome: String) {
  auditEvents(actions: $actions, outcome: $outcome) { action outcome targetType actor }
}
"""


async def test_stewards_follow_policy_changes_live(server: Server, member: MakeMember) -> None:
    author, approver = await stewards(member)
    async with live_client(server.url, author.tokens["accessToken"]) as live:
        await live.subscribe(POLICY_CHANGED)
        await asyncio.sleep(0.5)
        # when a policy is drafted, then approved and activated
        draft = deny_tag(unique("secret"))
        created = (await author.client.data(CREATE_POLICY, {"input": draft}))["createPolicy"]
        await activate(author, approver, created["policy"]["id"])
        first = (await live.event())["data"]["policyChanged"]
        second = (await live.event())["data"]["policyChanged"]
    # then the steward sees both changes, in order, with the policy as it now is
    assert first["seq"] == created["seq"]
    assert first["action"] == "CREATED"
    assert second["type"] == "policy.activated"
    assert second["policy"] == {"name": draft["name"], "state": "ACTIVE"}


async def test_policy_changes_are_for_stewards_only(server: Server, member: MakeMember) -> None:
    viewer = await member("viewer")
    async with live_client(server.url, viewer.tokens["accessToken"]) as live:
        await live.subscribe(POLICY_CHANGED)
        message = await live.message()
    assert message["type"] in ("error", "next")
    assert "FORBIDDEN" in str(message["payload"])


async def test_admins_follow_the_audit_log_live_including_refusals(
    client: GraphQLClient, server: Server, admin_token: str, member: MakeMember
) -> None:
    viewer = await member("viewer")
    entity = await create(client, name=unique("audited"))
    async with live_client(server.url, admin_token) as live:
        await live.subscribe(AUDIT_EVENTS, {"actions": ["entity.update", "updateEntity"]})
        await asyncio.sleep(0.5)
        # when an editor's write succeeds and a viewer's attempt is refused
        await client.data(UPDATE, {"input": {"id": entity["id"], "name": "audited live"}})
        refused = await viewer.client.execute(
            UPDATE, {"input": {"id": entity["id"], "name": "not allowed"}}
        )
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        events = [(await live.event())["data"]["auditEvents"] for _ in range(2)]
    # then both reach the admin as they are written
    assert {(e["action"], e["outcome"]) for e in events} == {
        ("entity.update", "success"),
        ("updateEntity", "denied"),
    }


async def test_the_live_audit_log_leaves_out_what_the_admin_may_not_read(
    client: GraphQLClient, server: Server, member: MakeMember
) -> None:
    admin = await member("admin")
    author, approver = await stewards(member)
    tag = unique("classified")
    secret = await create(client, name=unique("secret"), tags=[tag])
    plain = await create(client, name=unique("plain"))
    draft = deny_tag(tag, subjects={"userIds": [admin.user_id]})
    created = (await author.client.data(CREATE_POLICY, {"input": draft}))["createPolicy"]
    await activate(author, approver, created["policy"]["id"])
    subscription = AUDIT_EVENTS.replace("actor", "actor after")
    async with live_client(server.url, admin.tokens["accessToken"]) as live:
        await live.subscribe(subscription, {"actions": ["entity.update"]})
        await asyncio.sleep(0.5)
        # when the entity hidden from this admin changes, then one they may read
        await client.data(UPDATE, {"input": {"id": secret["id"], "name": unique("hidden")}})
        await client.data(UPDATE, {"input": {"id": plain["id"], "name": unique("shown")}})
        event = (await live.event())["data"]["auditEvents"]
    # then only the second reaches them
    assert event["after"]["name"].startswith("shown")


@pytest.mark.parametrize("role", ["viewer", "steward"])
async def test_audit_events_are_for_admins_only(
    server: Server, member: MakeMember, role: str
) -> None:
    someone = await member(role)
    async with live_client(server.url, someone.tokens["accessToken"]) as live:
        await live.subscribe(AUDIT_EVENTS)
        message = await live.message()
    assert "FORBIDDEN" in str(message["payload"])
