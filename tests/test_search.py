"""Search across entities, datasets and jobs, and entities describing datasets (one graph)."""

from __future__ import annotations

import uuid

import neo4j

from tests.conftest import GraphQLClient, MakeMember, cypher
from tests.test_entities import create
from tests.test_lineage_bounds import job_event, post_batch

SEARCH = """
query Search($text: String!, $kinds: [SearchKind!], $first: Int, $after: String) {
  search(text: $text, kinds: $kinds, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { rank node {
      __typename
      ... on Entity { name }
      ... on Dataset { name }
      ... on Job { name }
    } }
  }
}
"""

UPSERT = """
mutation Upsert($input: UpsertDatasetInput!) { upsertDataset(input: $input) { dataset { id } } }
"""

DESCRIBE = """
mutation Describe($input: DescribeDatasetInput!) { describeDataset(input: $input) { seq } }
"""

UNDESCRIBE = """
mutation Undescribe($input: DescribeDatasetInput!) { undescribeDataset(input: $input) { seq } }
"""

LINKS = """
query Links($entity: ID!, $dataset: ID!) {
  entity(id: $entity) { datasets { name } }
  node(id: $dataset) { ... on Dataset { entities { name } } }
}
"""


async def test_search_ranks_entities_datasets_and_jobs(client: GraphQLClient) -> None:
    # given an entity, a dataset and a job that mention one rare word in different places
    word = f"zq{uuid.uuid4().hex[:8]}"
    await create(client, name=f"Ledger {word}", tags=[word])
    await client.data(
        UPSERT,
        {
            "input": {
                "namespace": "s3://search",
                "name": f"finance.{word}_daily",
                "description": "Daily totals",
            }
        },
    )
    await post_batch(client, [job_event("airflow", f"build_{word}", [], [])])
    # when the word is searched
    data = await client.data(SEARCH, {"text": word.upper()})
    hits = [(e["node"]["__typename"], e["node"]["name"]) for e in data["search"]["edges"]]
    # then all three are found, the tagged entity first, ranks descending
    assert sorted(hits) == [
        ("Dataset", f"finance.{word}_daily"),
        ("Entity", f"Ledger {word}"),
        ("Job", f"build_{word}"),
    ]
    assert hits[0] == ("Entity", f"Ledger {word}")
    ranks = [e["rank"] for e in data["search"]["edges"]]
    assert ranks == sorted(ranks, reverse=True)
    # and a prefix of the word, restricted to one kind, finds just that kind
    jobs = await client.data(SEARCH, {"text": word[:-3], "kinds": ["JOB"]})
    assert [e["node"]["name"] for e in jobs["search"]["edges"]] == [f"build_{word}"]
    # and pages follow one another without repeats
    first = await client.data(SEARCH, {"text": word, "first": 2})
    rest = await client.data(
        SEARCH, {"text": word, "first": 2, "after": first["search"]["pageInfo"]["endCursor"]}
    )
    assert first["search"]["pageInfo"]["hasNextPage"] is True
    paged = [e["node"]["name"] for e in first["search"]["edges"] + rest["search"]["edges"]]
    assert sorted(paged) == sorted(name for _, name in hits)
    # and text without a word is refused
    body = await client.execute(SEARCH, {"text": " ... "})
    assert body["errors"][0]["extensions"]["field"] == "text"


async def test_entities_describe_datasets_in_one_graph(
    client: GraphQLClient, graph_db: neo4j.AsyncDriver
) -> None:
    # given an entity and a dataset
    entity = await create(client, name=f"Orders domain {uuid.uuid4().hex[:6]}")
    name = f"orders_{uuid.uuid4().hex[:6]}"
    dataset = (await client.data(UPSERT, {"input": {"namespace": "postgres://one", "name": name}}))[
        "upsertDataset"
    ]["dataset"]
    link = {"entityId": entity["id"], "datasetId": dataset["id"]}
    # when the entity is said to describe the dataset, twice
    first = (await client.data(DESCRIBE, {"input": link}))["describeDataset"]
    again = (await client.data(DESCRIBE, {"input": link}))["describeDataset"]
    assert first["seq"] > 0
    assert again["seq"] == 0
    # then each side sees the other, and the graph holds one DESCRIBES edge
    links = await client.data(LINKS, {"entity": entity["id"], "dataset": dataset["id"]})
    assert links["entity"]["datasets"] == [{"name": name}]
    assert links["node"]["entities"] == [{"name": entity["name"]}]
    edges = await cypher(
        graph_db,
        "MATCH (:Entity {name: $e})-[r:DESCRIBES]->(:Dataset {name: $d}) RETURN count(r) AS c",
        e=entity["name"],
        d=name,
    )
    assert edges == [{"c": 1}]
    # when the link is removed, both sides forget it
    await client.data(UNDESCRIBE, {"input": link})
    links = await client.data(LINKS, {"entity": entity["id"], "dataset": dataset["id"]})
    assert links["entity"]["datasets"] == []
    # and an unknown dataset is refused, naming the field
    bad = await client.execute(DESCRIBE, {"input": {**link, "datasetId": entity["id"]}})
    assert bad["errors"][0]["extensions"]["field"] == "datasetId"


async def test_masked_descriptions_are_not_searchable_without_read_sensitive(
    client: GraphQLClient, member: MakeMember
) -> None:
    # given an entity and a dataset tagged pii whose descriptions hold a unique word,
    # and a dataset whose only sensitive part is a column tagged pii
    word = f"secretword{uuid.uuid4().hex[:8]}"
    name = f"patients{uuid.uuid4().hex[:6]}"
    await create(client, name=name, description=f"holds {word}", tags=["pii"])
    namespace = f"postgres://{uuid.uuid4().hex[:8]}:5432"
    await client.data(
        UPSERT,
        {"input": {"namespace": namespace, "name": "visits", "description": f"{word} here"}},
    )
    await client.data(
        UPSERT,
        {
            "input": {
                "namespace": namespace,
                "name": "claims",
                "description": f"{word} again",
                "fields": [{"name": "ssn", "type": "text", "tags": ["pii"]}],
            }
        },
    )
    viewer = await member("viewer")

    # when a viewer searches for the word, then only the dataset without pii is found
    seen = await viewer.client.data(SEARCH, {"text": word})
    assert [e["node"]["name"] for e in seen["search"]["edges"]] == ["visits"]
    # and the entity is still found by its name, with its description masked
    by_name = await viewer.client.data(SEARCH, {"text": name})
    assert [e["node"]["name"] for e in by_name["search"]["edges"]] == [name]

    # when an admin (who may read sensitive fields) searches, then all three are found
    everything = await client.data(SEARCH, {"text": word})
    assert sorted(e["node"]["name"] for e in everything["search"]["edges"]) == sorted(
        [name, "visits", "claims"]
    )
