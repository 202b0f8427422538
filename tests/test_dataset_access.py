"""Governance policies on datasets and jobs through the real endpoints: a hidden dataset is
missing from lists, search, reads by id and change events, and a restricted placeholder in
lineage; a namespace pattern hides a whole namespace; sensitive field descriptions are masked;
`explainAccess` explains a dataset's decision."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets

from tests.conftest import GraphQLClient, MakeMember, Server
from tests.lineage_events import emit, new_warehouse
from tests.test_entities import create, unique
from tests.test_live_lineage import dataset_id, job_event, send
from tests.test_policies import (
    CREATE_POLICY,
    EXPLAIN,
    SIMULATE,
    SUBSCRIBE,
    activate,
    code,
    stewards,
)
from tests.test_search import DESCRIBE, LINKS, UNDESCRIBE

UPSERT = """
mutation($input: UpsertDatasetInput!) { upsertDataset(input: $input) { dataset { id } } }
"""
DATASETS = """
query($ns: String) { datasets(namespace: $ns, first: 50) { edges { node { id name } } } }
"""
BY_ID = """
query($id: ID!) {
  node(id: $id) { id ... on Dataset { name } }
  nodes(ids: [$id]) { id }
}
"""
DATASET = "query($id: ID!) { dataset(id: $id) { name } }"
DATASET_BY_NAME = (
    "query($ns: String!, $name: String!) { dataset(namespace: $ns, name: $name) { id } }"
)
SEARCH = """
query($text: String!) {
  search(text: $text) { edges { node { __typename ... on Dataset { name } } } }
}
"""
LINEAGE = """
query($id: ID!) {
  lineage(nodeId: $id, direction: DOWNSTREAM, depth: 2) {
    partial partialReasons
    nodes { id distance restricted dataset { name namespace } }
    edges { sourceId targetId source { name } target { name } job { name } }
  }
  dataset(id: $id) {
    downstream(depth: 2) {
      partial partialReasons totalCount
      edges { node { restricted dataset { name } } }
    }
  }
}
"""
PAGED = """
query($id: ID!, $first: Int!, $after: String) {
  dataset(id: $id) {
    downstream(depth: 3, first: $first, after: $after) {
      totalCount partialReasons pageInfo { endCursor }
      edges { node { distance restricted dataset { name } } }
    }
  }
}
"""
FIELDS = """
query($id: ID!) { dataset(id: $id) { description fields { name type description tags } } }
"""
UPSERT_SHOWING_FIELDS = """
mutation($input: UpsertDatasetInput!) {
  upsertDataset(input: $input) { seq dataset { fields { name description } } }
}
"""
VERSIONS = """
query($id: ID!) {
  dataset(id: $id) {
    versions { version fields { name description } }
    asOf(version: 1) { fields { name description } }
  }
}
"""


def deny_datasets(
    actions: list[str], role: str, *, name: str = "deny", **selectors: Any
) -> dict[str, Any]:
    """A DENY draft on datasets for one role; `selectors` narrow it (tags=[...],
    namespacePattern=...)."""
    return {
        "name": unique(name),
        "effect": "DENY",
        "actions": actions,
        "subjects": {"roles": [role]},
        "resources": {"kinds": ["dataset"], **selectors},
    }


async def create_active(client: GraphQLClient, member: MakeMember, draft: dict[str, Any]) -> None:
    author, approver = await stewards(member)
    created = await author.client.data(CREATE_POLICY, {"input": draft})
    await activate(author, approver, created["createPolicy"]["policy"]["id"])


async def test_a_denied_dataset_is_hidden_everywhere_but_a_placeholder_in_lineage(
    client: GraphQLClient, member: MakeMember
) -> None:
    # given upstream -> secret, the secret dataset tagged with a tag viewers may not read
    ns = f"postgres://{unique('acc')}:5432"
    secret, tag = unique("secretds"), unique("restricted")
    await send(client, job_event(ns, "flow", ["upstream"], [secret]))
    await client.data(UPSERT, {"input": {"namespace": ns, "name": secret, "tags": [tag]}})
    upstream_id = await dataset_id(client, ns, "upstream")
    secret_id = await dataset_id(client, ns, secret)
    await create_active(
        client,
        member,
        deny_datasets(["read"], "viewer", tags=[tag], name="hide-datasets"),
    )
    viewer = await member("viewer")

    # when the viewer reads every path
    listed = await viewer.client.data(DATASETS, {"ns": ns})
    by_id = await viewer.client.data(BY_ID, {"id": secret_id})
    direct = await viewer.client.execute(DATASET, {"id": secret_id})
    by_name = await viewer.client.execute(DATASET_BY_NAME, {"ns": ns, "name": secret})
    found = await viewer.client.data(SEARCH, {"text": secret})
    lineage = await viewer.client.data(LINEAGE, {"id": upstream_id})

    # then the dataset does not exist for them, and lineage shows only a placeholder
    assert [e["node"]["name"] for e in listed["datasets"]["edges"]] == ["upstream"]
    assert by_id == {"node": None, "nodes": [None]}
    assert code(direct) == "NOT_FOUND"
    assert code(by_name) == "NOT_FOUND"
    assert found["search"]["edges"] == []
    graph = lineage["lineage"]
    assert graph["partial"] is True
    assert "RESTRICTED" in graph["partialReasons"]
    hidden = [n for n in graph["nodes"] if n["restricted"]]
    assert len(hidden) == 1
    assert hidden[0]["dataset"] is None
    assert hidden[0]["distance"] == 1
    assert len(graph["edges"]) == 1
    assert graph["edges"][0]["target"] is None
    downstream = lineage["dataset"]["downstream"]
    assert downstream["partial"] is True
    assert downstream["totalCount"] == 1
    assert downstream["edges"][0]["node"] == {"restricted": True, "dataset": None}
    # (a NOT_FOUND for a name repeats the name the caller gave, nothing more)
    assert secret not in json.dumps([listed, by_id, direct, found, lineage])
    assert (
        code(
            await viewer.client.execute(
                "query($id: ID!) { lineage(nodeId: $id) { partial } }", {"id": secret_id}
            )
        )
        == "NOT_FOUND"
    )

    # and an admin still sees everything
    seen = await client.data(DATASETS, {"ns": ns})
    assert sorted(e["node"]["name"] for e in seen["datasets"]["edges"]) == sorted(
        ["upstream", secret]
    )
    assert (await client.data(BY_ID, {"id": secret_id}))["node"]["name"] == secret
    assert [
        e["node"]["name"] for e in (await client.data(SEARCH, {"text": secret}))["search"]["edges"]
    ] == [secret]
    full = (await client.data(LINEAGE, {"id": upstream_id}))["lineage"]
    assert full["partial"] is False
    assert [n["dataset"]["name"] for n in full["nodes"]] == ["upstream", secret]


async def test_a_namespace_pattern_hides_a_whole_namespace(
    client: GraphQLClient, member: MakeMember
) -> None:
    # given datasets in a production namespace and a policy hiding it from viewers
    prefix = unique("prodacc")
    ns = f"postgres://{prefix}-db:5432"
    await send(client, job_event(ns, "load", ["raw"], ["clean"]))
    await create_active(
        client,
        member,
        deny_datasets(
            ["read"], "viewer", namespacePattern=f"postgres://{prefix}*", name="hide-prod"
        ),
    )
    viewer = await member("viewer")

    # when a viewer and an admin list the namespace
    hidden = await viewer.client.data(DATASETS, {"ns": ns})
    shown = await client.data(DATASETS, {"ns": ns})

    # then only the admin sees its datasets
    assert hidden["datasets"]["edges"] == []
    assert len(shown["datasets"]["edges"]) == 2


async def test_pii_field_descriptions_are_masked_without_read_sensitive(
    client: GraphQLClient, member: MakeMember
) -> None:
    # given a dataset with a pii column
    ns = f"postgres://{unique('pii')}:5432"
    fields = [
        {"name": "email", "type": "text", "description": "customer email", "tags": ["pii"]},
        {"name": "id", "type": "uuid", "description": "the key", "tags": []},
    ]
    created = await client.data(
        UPSERT, {"input": {"namespace": ns, "name": "customers", "fields": fields}}
    )
    ds = created["upsertDataset"]["dataset"]["id"]
    viewer, steward = await member("viewer"), await member("steward")

    # when a viewer and a steward read its fields
    as_viewer = (await viewer.client.data(FIELDS, {"id": ds}))["dataset"]["fields"]
    as_steward = (await steward.client.data(FIELDS, {"id": ds}))["dataset"]["fields"]

    # then only the pii description is masked, and only for the viewer
    assert as_viewer == [
        {"name": "email", "type": "text", "description": "[masked]", "tags": ["pii"]},
        {"name": "id", "type": "uuid", "description": "the key", "tags": []},
    ]
    assert as_steward[0]["description"] == "customer email"

    # and the same holds for every earlier version of the schema, including one from
    # before the column was tagged: the current schema's tags decide
    untagged = [{**fields[0], "tags": []}, fields[1]]
    await client.data(UPSERT, {"input": {"namespace": ns, "name": "orders", "fields": untagged}})
    later = await client.data(
        UPSERT, {"input": {"namespace": ns, "name": "orders", "fields": fields}}
    )
    orders = later["upsertDataset"]["dataset"]["id"]
    for dataset, count in ((ds, 1), (orders, 2)):
        history = (await viewer.client.data(VERSIONS, {"id": dataset}))["dataset"]
        assert len(history["versions"]) == count
        shown = [f for v in history["versions"] for f in v["fields"]]
        shown += history["asOf"]["fields"]
        assert {f["description"] for f in shown if f["name"] == "email"} == {"[masked]"}
        assert {f["description"] for f in shown if f["name"] == "id"} == {"the key"}
    full = (await steward.client.data(VERSIONS, {"id": orders}))["dataset"]["asOf"]["fields"]
    assert full[0] == {"name": "email", "description": "customer email"}

    # and an editor's write answers with the dataset masked too, even a write that changes
    # nothing
    editor = await member("editor")
    written = await editor.client.data(
        UPSERT_SHOWING_FIELDS, {"input": {"namespace": ns, "name": "customers"}}
    )
    assert written["upsertDataset"]["seq"] == 0
    assert written["upsertDataset"]["dataset"]["fields"][0]["description"] == "[masked]"


async def test_hidden_dataset_changes_and_explanation(
    client: GraphQLClient, member: MakeMember, server: Server
) -> None:
    # given a dataset hidden from viewers by its tag, next to a visible one
    ns = f"postgres://{unique('accsub')}:5432"
    secret, tag = unique("secretds"), unique("restricted")
    await send(client, job_event(ns, "flow", ["upstream"], [secret]))
    await client.data(UPSERT, {"input": {"namespace": ns, "name": secret, "tags": [tag]}})
    upstream_id = await dataset_id(client, ns, "upstream")
    secret_id = await dataset_id(client, ns, secret)
    author, approver = await stewards(member)
    draft = deny_datasets(["read"], "viewer", tags=[tag], name="hide-datasets")
    policy = (await author.client.data(CREATE_POLICY, {"input": draft}))["createPolicy"]["policy"]
    await activate(author, approver, policy["id"])
    viewer = await member("viewer")

    # when both change while the viewer is subscribed
    ws_url = server.url.replace("http://", "ws://") + "/graphql"
    auth = {"Authorization": viewer.client.http.headers["Authorization"]}
    seen: list[str] = []
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": auth}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        await asyncio.sleep(0.5)
        changed = {"namespace": ns, "name": secret, "tags": [tag], "description": "moved"}
        await client.data(UPSERT, {"input": changed})
        await client.data(
            UPSERT, {"input": {"namespace": ns, "name": "upstream", "description": "x"}}
        )
        while upstream_id not in seen:
            message = json.loads(await asyncio.wait_for(ws.recv(), 15))
            if message["type"] == "next":
                seen.append(message["payload"]["data"]["changes"]["objectId"])

    # then only the visible dataset's change reaches the viewer
    assert secret_id not in seen

    # and the explanation names the DENY
    explained = await author.client.data(
        EXPLAIN, {"resource": secret_id, "action": "read", "user": viewer.user_id}
    )
    answer = explained["explainAccess"]
    assert answer["allowed"] is False
    assert [m["policyId"] for m in answer["matchedPolicies"]] == [policy["id"]]
    assert "deny wins" in answer["reason"]
    mine = await author.client.data(EXPLAIN, {"resource": secret_id, "action": "read"})
    assert mine["explainAccess"]["allowed"] is True


DELETE = "mutation($id: ID!) { deleteDataset(id: $id) { dataset { id } } }"
DESCRIPTION = "query($id: ID!) { dataset(id: $id) { description deletedAt } }"


async def test_policies_refuse_dataset_writes_and_nothing_changes(
    client: GraphQLClient, member: MakeMember
) -> None:
    # given a tagged dataset that editors may read but not change
    ns = f"postgres://{unique('accw')}:5432"
    tag = unique("frozen")
    made = await client.data(
        UPSERT, {"input": {"namespace": ns, "name": "ledger", "description": "v1", "tags": [tag]}}
    )
    ds = made["upsertDataset"]["dataset"]["id"]
    await create_active(
        client,
        member,
        deny_datasets(["write", "delete"], "editor", tags=[tag], name="freeze"),
    )
    editor = await member("editor")

    # when the editor tries to change and delete it
    changed = await editor.client.execute(
        UPSERT, {"input": {"namespace": ns, "name": "ledger", "description": "v2"}}
    )
    deleted = await editor.client.execute(DELETE, {"id": ds})

    # then both are FORBIDDEN and the dataset is as it was
    assert code(changed) == "FORBIDDEN"
    assert code(deleted) == "FORBIDDEN"
    assert (await client.data(DESCRIPTION, {"id": ds}))["dataset"] == {
        "description": "v1",
        "deletedAt": None,
    }

    # and linking an entity to it or unlinking one, a write to both ends, is refused too
    owner = await create(client, name=unique("ledger-owner"))
    link = {"entityId": owner["id"], "datasetId": ds}
    assert code(await editor.client.execute(DESCRIBE, {"input": link})) == "FORBIDDEN"
    assert (await client.data(LINKS, {"entity": owner["id"], "dataset": ds}))["entity"] == {
        "datasets": []
    }
    await client.data(DESCRIBE, {"input": link})
    assert code(await editor.client.execute(UNDESCRIBE, {"input": link})) == "FORBIDDEN"
    assert (await client.data(LINKS, {"entity": owner["id"], "dataset": ds}))["entity"] == {
        "datasets": [{"name": "ledger"}]
    }
    # while a dataset hidden from the caller does not exist for them, as in every other write
    hidden_tag = unique("hidden")
    hidden = await client.data(
        UPSERT, {"input": {"namespace": ns, "name": "vault", "tags": [hidden_tag]}}
    )
    await create_active(client, member, deny_datasets(["read"], "editor", tags=[hidden_tag]))
    refused = await editor.client.execute(
        DESCRIBE,
        {"input": {"entityId": owner["id"], "datasetId": hidden["upsertDataset"]["dataset"]["id"]}},
    )
    assert code(refused) == "BAD_USER_INPUT"
    assert refused["errors"][0]["message"] == "datasetId does not name an existing dataset."


async def test_policies_refuse_creating_or_tagging_a_dataset_into_a_denial(
    client: GraphQLClient, member: MakeMember
) -> None:
    # given a policy that denies editors writes to one namespace and to one tag
    ns = f"postgres://{unique('accn')}:5432"
    tag = unique("locked")
    await create_active(
        client,
        member,
        deny_datasets(["write"], "editor", namespacePattern=ns, name="no-writes"),
    )
    await create_active(
        client,
        member,
        deny_datasets(["write"], "editor", tags=[tag], name="no-tag"),
    )
    editor = await member("editor")
    elsewhere = f"postgres://{unique('free')}:5432"
    own = await editor.client.data(UPSERT, {"input": {"namespace": elsewhere, "name": "mine"}})

    # when the editor creates a dataset in the namespace, and tags their own one
    created = await editor.client.execute(UPSERT, {"input": {"namespace": ns, "name": "new"}})
    tagged = await editor.client.execute(
        UPSERT, {"input": {"namespace": elsewhere, "name": "mine", "tags": [tag]}}
    )

    # then both are FORBIDDEN, saying what to change, and nothing was written
    assert code(created) == "FORBIDDEN"
    assert "namespace and these tags" in created["errors"][0]["message"]
    assert code(tagged) == "FORBIDDEN"
    missing = await client.execute(DATASET_BY_NAME, {"ns": ns, "name": "new"})
    assert code(missing) == "NOT_FOUND"
    own_id = own["upsertDataset"]["dataset"]["id"]
    assert (await client.data(TAGS, {"id": own_id}))["dataset"]["tags"] == []
    # and an admin, whom the policies do not name, still may
    admin_made = await client.data(UPSERT, {"input": {"namespace": ns, "name": "new"}})
    assert admin_made["upsertDataset"]["dataset"]["id"]


TAGS = "query($id: ID!) { dataset(id: $id) { tags } }"

RECORD_LINEAGE = """
mutation($input: RecordLineageInput!) { recordLineage(input: $input) { seq } }
"""
MANUAL_DOWNSTREAM = """
query($id: ID!) { lineage(nodeId: $id, direction: DOWNSTREAM, depth: 1) { edges { manual } } }
"""


async def test_policies_decide_who_may_record_lineage_into_a_dataset(
    client: GraphQLClient, member: MakeMember
) -> None:
    # given three datasets: an open one, one whose writes editors are denied, one they
    # may not even read
    ns = f"postgres://{unique('accl')}:5432"
    locked, secret = unique("locked"), unique("secret")
    ids = {}
    for name, tags in (("open", []), ("frozen", [locked]), ("hidden", [secret])):
        made = await client.data(UPSERT, {"input": {"namespace": ns, "name": name, "tags": tags}})
        ids[name] = made["upsertDataset"]["dataset"]["id"]
    for tag, action in ((locked, "write"), (secret, "read")):
        await create_active(
            client,
            member,
            deny_datasets([action], "editor", tags=[tag], name=f"deny-{action}"),
        )
    editor = await member("editor")

    # when the editor records edges into the frozen dataset, from and into the hidden one
    into_frozen = await editor.client.execute(
        RECORD_LINEAGE, {"input": {"sourceId": ids["open"], "targetId": ids["frozen"]}}
    )
    from_hidden = await editor.client.execute(
        RECORD_LINEAGE, {"input": {"sourceId": ids["hidden"], "targetId": ids["open"]}}
    )
    into_hidden = await editor.client.execute(
        RECORD_LINEAGE, {"input": {"sourceId": ids["open"], "targetId": ids["hidden"]}}
    )
    # and from the frozen dataset into the open one, which only reads the frozen one
    from_frozen = await editor.client.data(
        RECORD_LINEAGE, {"input": {"sourceId": ids["frozen"], "targetId": ids["open"]}}
    )

    # then writing the frozen dataset's lineage is FORBIDDEN, the hidden dataset does not
    # exist for the editor, and only the last edge was recorded
    assert code(into_frozen) == "FORBIDDEN"
    assert code(from_hidden) == "BAD_USER_INPUT"
    assert from_hidden["errors"][0]["extensions"]["field"] == "sourceId"
    assert code(into_hidden) == "BAD_USER_INPUT"
    assert into_hidden["errors"][0]["extensions"]["field"] == "targetId"
    assert from_frozen["recordLineage"]["seq"] > 0
    downstream = {
        name: (await client.data(MANUAL_DOWNSTREAM, {"id": ids[name]}))["lineage"]["edges"]
        for name in ("open", "hidden", "frozen")
    }
    assert downstream == {"open": [], "hidden": [], "frozen": [{"manual": True}]}


COLUMN_UPSTREAM = """
query($id: ID!) {
  dataset(id: $id) {
    field(name: "total") {
      upstream(depth: 3) {
        partial partialReasons
        nodes { distance field { name restricted type dataset { name } } }
        edges { source { name restricted } target { name restricted } transformation }
      }
    }
  }
}
"""


async def test_column_lineage_through_a_hidden_dataset_shows_placeholders(
    client: GraphQLClient, member: MakeMember
) -> None:
    # given the warehouse's column lineage dash.total <- mart.total <- stg.amount <- raw.amount,
    # and mart.revenue tagged with a tag viewers may not read
    wh = new_warehouse("colacc")
    await emit(client, wh.events())
    tag = unique("hidden-mart")
    await client.data(
        UPSERT, {"input": {"namespace": wh.namespace, "name": "mart.revenue", "tags": [tag]}}
    )
    await create_active(
        client,
        member,
        deny_datasets(["read"], "viewer", tags=[tag], name="hide-mart"),
    )
    viewer = await member("viewer")
    dash = await dataset_id(client, wh.namespace, "dash.revenue")

    # when the viewer follows the dashboard's total upstream
    seen = (await viewer.client.data(COLUMN_UPSTREAM, {"id": dash}))["dataset"]["field"]
    columns = seen["upstream"]

    # then the hidden dataset's column is a placeholder, and the result says it is partial
    assert columns["partial"] is True
    assert "RESTRICTED" in columns["partialReasons"]
    assert [(n["distance"], n["field"]) for n in columns["nodes"]] == [
        (1, {"name": "restricted-1", "restricted": True, "type": None, "dataset": None}),
        (
            2,
            {
                "name": "amount",
                "restricted": False,
                "type": "string",
                "dataset": {"name": "stg.orders"},
            },
        ),
        (
            3,
            {
                "name": "amount",
                "restricted": False,
                "type": "string",
                "dataset": {"name": "raw.orders"},
            },
        ),
    ]
    # and the edges keep their shape without naming the hidden column
    assert sorted(
        (e["source"]["name"], e["target"]["name"], e["transformation"]) for e in columns["edges"]
    ) == [
        ("amount", "amount", "DIRECT/IDENTITY"),
        ("amount", "restricted-1", "DIRECT/AGGREGATION"),
        ("restricted-1", "total", "DIRECT/IDENTITY"),
    ]
    # while the admin, whom the policy does not name, sees the column
    full = (await client.data(COLUMN_UPSTREAM, {"id": dash}))["dataset"]["field"]["upstream"]
    assert full["nodes"][0]["field"]["name"] == "total"
    assert full["nodes"][0]["field"]["dataset"] == {"name": "mart.revenue"}


GOVERNED_BY = """
query($id: ID!) {
  dataset(id: $id) { governedBy { policyId name effect actions reason } }
}
"""


async def test_governed_by_lists_the_active_policies_that_cover_a_dataset(
    client: GraphQLClient, member: MakeMember
) -> None:
    # given two datasets, one tagged with a tag a policy selects, and a policy on a namespace
    ns = f"postgres://{unique('gov')}:5432"
    tag = unique("curated")
    await client.data(UPSERT, {"input": {"namespace": ns, "name": "tagged", "tags": [tag]}})
    await client.data(UPSERT, {"input": {"namespace": ns, "name": "plain"}})
    by_tag, by_namespace = unique("tag-policy"), unique("ns-policy")
    await create_active(
        client,
        member,
        {
            "name": by_tag,
            "effect": "DENY",
            "actions": ["delete"],
            "subjects": {"roles": ["editor"]},
            "resources": {"kinds": ["dataset"], "tags": [tag]},
            "priority": 5,
        },
    )
    await create_active(
        client,
        member,
        {
            "name": by_namespace,
            "effect": "ALLOW",
            "actions": ["read_sensitive"],
            "subjects": {"roles": ["viewer"]},
            "resources": {"namespacePattern": ns},
        },
    )
    viewer = await member("viewer")

    # when a viewer asks what governs each dataset
    tagged = await viewer.client.data(GOVERNED_BY, {"id": await dataset_id(client, ns, "tagged")})
    plain = await viewer.client.data(GOVERNED_BY, {"id": await dataset_id(client, ns, "plain")})

    # then the tagged one lists both policies, highest priority first, with the reasons
    governing = tagged["dataset"]["governedBy"]
    assert [p["name"] for p in governing] == [by_tag, by_namespace]
    assert governing[0]["effect"] == "DENY"
    assert governing[0]["actions"] == ["delete"]
    assert governing[0]["reason"] == f"kind dataset; tagged {tag}"
    assert governing[0]["policyId"]
    assert governing[1]["reason"] == f"namespace {ns} matches {ns}"
    # and the plain one only the namespace policy
    assert [p["name"] for p in plain["dataset"]["governedBy"]] == [by_namespace]


async def test_simulating_a_dataset_policy_lists_the_datasets_it_would_hide(
    client: GraphQLClient, member: MakeMember
) -> None:
    # given a tagged dataset and another one, and a viewer
    ns = f"postgres://{unique('accsim')}:5432"
    tag = unique("to-hide")
    made = await client.data(UPSERT, {"input": {"namespace": ns, "name": "t", "tags": [tag]}})
    other = await client.data(UPSERT, {"input": {"namespace": ns, "name": "u"}})
    viewer = await member("viewer")
    author, _ = await stewards(member)

    # when a steward simulates denying viewers read on datasets with the tag
    draft = deny_datasets(["read"], "viewer", tags=[tag], name="sim")
    simulated = (await author.client.data(SIMULATE, {"draft": draft}))["simulatePolicy"]

    # then the viewer would lose read on the tagged dataset, and on nothing else
    lost = {(c["userId"], c["resourceId"], c["action"]) for c in simulated["lost"]}
    tagged = made["upsertDataset"]["dataset"]["id"]
    assert (viewer.user_id, tagged, "read") in lost
    assert {c["resourceId"] for c in simulated["lost"]} == {tagged}
    untouched = other["upsertDataset"]["dataset"]["id"]
    assert untouched not in {c["resourceId"] for c in simulated["lost"]}
    assert simulated["gained"] == []
    assert simulated["resourcesChecked"] >= 2


async def test_a_hidden_dataset_beyond_the_page_still_makes_the_page_restricted(
    client: GraphQLClient, member: MakeMember
) -> None:
    # given start -> middle -> secret, where viewers may not read the secret dataset
    ns = f"postgres://{unique('paged')}:5432"
    secret, tag = unique("secretds"), unique("restricted")
    await send(client, job_event(ns, "one", ["start"], ["middle"]))
    await send(client, job_event(ns, "two", ["middle"], [secret]))
    await client.data(UPSERT, {"input": {"namespace": ns, "name": secret, "tags": [tag]}})
    start_id = await dataset_id(client, ns, "start")
    viewer = await member("viewer")
    before = await viewer.client.data(PAGED, {"id": start_id, "first": 1})
    assert before["dataset"]["downstream"]["partialReasons"] == []
    await create_active(client, member, deny_datasets(["read"], "viewer", tags=[tag]))

    # when the viewer reads the first page, which shows only the middle dataset
    first = (await viewer.client.data(PAGED, {"id": start_id, "first": 1}))["dataset"]
    page = first["downstream"]

    # then the page says that something reached is hidden, and the next page shows where
    assert [e["node"] for e in page["edges"]] == [
        {"distance": 1, "restricted": False, "dataset": {"name": "middle"}}
    ]
    assert page["totalCount"] == 2
    assert page["partialReasons"] == ["RESTRICTED"]
    after = page["pageInfo"]["endCursor"]
    second = await viewer.client.data(PAGED, {"id": start_id, "first": 1, "after": after})
    assert [e["node"] for e in second["dataset"]["downstream"]["edges"]] == [
        {"distance": 2, "restricted": True, "dataset": None}
    ]


async def test_a_page_asks_about_datasets_beyond_it_only_when_a_policy_could_hide_them(
    member: MakeMember,
) -> None:
    # given start -> middle -> last in an organisation without any policy
    org = unique("paging-co")
    editor = await member("editor", organization=org)
    reader = await member("viewer", organization=org)
    ns = f"postgres://{unique('beyond')}:5432"
    await send(editor.client, job_event(ns, "one", ["start"], ["middle"]))
    await send(editor.client, job_event(ns, "two", ["middle"], ["last"]))
    start_id = await dataset_id(editor.client, ns, "start")

    async def first_page() -> dict[str, Any]:
        await reader.client.data(PAGED, {"id": start_id, "first": 1})  # rules now cached
        return await reader.client.uncached(PAGED, {"id": start_id, "first": 1})

    open_page = await first_page()
    # when a DENY on reading datasets applies to viewers, for a tag none of these carry
    author = await member("steward", organization=org)
    approver = await member("steward", organization=org)
    created = await author.client.data(
        CREATE_POLICY, {"input": deny_datasets(["read"], "viewer", tags=[unique("unused")])}
    )
    await activate(author, approver, created["createPolicy"]["policy"]["id"])
    guarded_page = await first_page()
    # then the viewer's first page, one of the two datasets reached, is the same and complete
    assert guarded_page["data"] == open_page["data"]
    downstream = open_page["data"]["dataset"]["downstream"]
    assert downstream["totalCount"] == 2
    assert downstream["partialReasons"] == []
    # and only under the DENY was Postgres asked whether the dataset beyond the page is hidden
    trips_open = open_page["extensions"]["roundTrips"]["postgres"]
    assert guarded_page["extensions"]["roundTrips"]["postgres"] == trips_open + 1


PRODUCERS = "query($id: ID!) { dataset(id: $id) { producers { id } } }"
FEED = "query($since: Int!) { changes(since: $since, first: 100) { seq type objectId } }"


async def test_a_job_hidden_by_policy_stays_out_of_the_change_feed(
    client: GraphQLClient, member: MakeMember
) -> None:
    # given a job that a policy hides from viewers (by its namespace)
    ns, jobs = f"postgres://{unique('jobfeed')}:5432", unique("scheduler")

    def run(outputs: list[str]) -> dict[str, Any]:
        event = job_event(ns, "flow", ["raw"], outputs)
        event["job"]["namespace"] = jobs
        return event

    await send(client, run(["clean"]))
    clean = await dataset_id(client, ns, "clean")
    job = (await client.data(PRODUCERS, {"id": clean}))["dataset"]["producers"][0]["id"]
    hide = {
        "name": unique("hide-jobs"),
        "effect": "DENY",
        "actions": ["read"],
        "subjects": {"roles": ["viewer"]},
        "resources": {"kinds": ["job"], "namespacePattern": jobs},
    }
    await create_active(client, member, hide)
    viewer = await member("viewer")
    # when the job writes one more dataset
    marker = await client.data(
        UPSERT_SHOWING_FIELDS, {"input": {"namespace": ns, "name": "raw", "description": "m"}}
    )
    start = marker["upsertDataset"]["seq"]
    await send(client, run(["clean", "extra"]))
    extra = await dataset_id(client, ns, "extra")
    # then an admin's feed has the job's change, and the viewer's only the dataset's
    everything = (await client.data(FEED, {"since": start}))["changes"]
    assert job in [c["objectId"] for c in everything]
    seen = (await viewer.client.data(FEED, {"since": start}))["changes"]
    assert extra in [c["objectId"] for c in seen]
    assert job not in [c["objectId"] for c in seen]
