"""recordLineage adds and removes manual edges, which traverse like ingested ones."""

from __future__ import annotations

from tests.conftest import GraphQLClient
from tests.test_entities import unique

UPSERT = """
mutation Upsert($input: UpsertDatasetInput!) { upsertDataset(input: $input) { dataset { id } } }
"""

RECORD = """
mutation Record($input: RecordLineageInput!) {
  recordLineage(input: $input) { seq graphSynced job { namespace } }
}
"""

DOWNSTREAM = """
query Down($id: ID!) {
  lineage(nodeId: $id, direction: DOWNSTREAM, depth: 1) {
    nodes { distance dataset { name } }
    edges { manual source { name } target { name } }
  }
}
"""


async def test_manual_edges_are_added_traversed_and_removed(client: GraphQLClient) -> None:
    # given two datasets no pipeline links
    namespace = unique("sheets://finance")
    ids = [
        (await client.data(UPSERT, {"input": {"namespace": namespace, "name": name}}))[
            "upsertDataset"
        ]["dataset"]["id"]
        for name in ("budget", "forecast")
    ]
    edge = {"sourceId": ids[0], "targetId": ids[1]}
    # when a steward records that one feeds the other, twice
    added = (await client.data(RECORD, {"input": edge}))["recordLineage"]
    again = (await client.data(RECORD, {"input": edge}))["recordLineage"]
    assert added["graphSynced"] is True
    assert added["job"]["namespace"] == "nexus.manual"
    assert again["seq"] == 0
    # then the edge is traversed like any other, and says it is manual
    lineage = (await client.data(DOWNSTREAM, {"id": ids[0]}))["lineage"]
    assert [n["dataset"]["name"] for n in lineage["nodes"]] == ["budget", "forecast"]
    assert lineage["edges"] == [
        {"manual": True, "source": {"name": "budget"}, "target": {"name": "forecast"}}
    ]
    # when it is removed, it is gone, and removing it again is NOT_FOUND
    await client.data(RECORD, {"input": {**edge, "remove": True}})
    lineage = (await client.data(DOWNSTREAM, {"id": ids[0]}))["lineage"]
    assert lineage["edges"] == []
    body = await client.execute(RECORD, {"input": {**edge, "remove": True}})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # and a dataset cannot feed itself
    body = await client.execute(RECORD, {"input": {"sourceId": ids[0], "targetId": ids[0]}})
    assert body["errors"][0]["extensions"]["field"] == "targetId"
