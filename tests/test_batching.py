"""Round trips grow with the depth of a query, never with the number of items in it."""

from __future__ import annotations

from tests.conftest import GraphQLClient
from tests.test_entities import create, unique
from tests.test_relationships import relate

NESTED = """
query Nested($first: Int!, $tag: String!) {
  entities(first: $first, filter: {tag: $tag}) {
    edges { node { relationships { edges { node { target { name } } } } } }
  }
}
"""

DEEPER = """
query Deeper($first: Int!, $tag: String!) {
  entities(first: $first, filter: {tag: $tag}) {
    edges { node {
      name
      relationships { edges { node { target { name relationships { edges { node { target {
        name } } } } } } } }
      neighbors(depth: 2) { nodes { distance entity { name } } }
    } }
  }
}
"""


async def test_round_trips_do_not_grow_with_page_size(client: GraphQLClient) -> None:
    # given 55 entities, each related to two others
    tag = unique("batch")
    entities = [await create(client, name=f"b{i:02d}", tags=[tag]) for i in range(55)]
    for i, entity in enumerate(entities):
        await relate(client, entity, entities[(i + 1) % 55], "NEXT")
        await relate(client, entity, entities[(i + 7) % 55], "SKIP")
    for query, most in (
        (NESTED, {"postgres": 2, "neo4j": 1}),
        (DEEPER, {"postgres": 4, "neo4j": 4}),
    ):
        # when the same nested query asks for 5 and for 50 entities
        small = await client.uncached(query, {"first": 5, "tag": tag})
        large = await client.uncached(query, {"first": 50, "tag": tag})
        assert not small.get("errors")
        assert not large.get("errors")
        assert len(large["data"]["entities"]["edges"]) == 50
        targets = [
            edge["node"]["target"]["name"]
            for item in large["data"]["entities"]["edges"]
            for edge in item["node"]["relationships"]["edges"]
        ]
        assert len(targets) == 100
        # then the large page makes no more round trips than the small one (it can make
        # fewer: entities already on the page are not fetched again as targets), and neither
        # makes more than one statement per level of the query
        small_trips, large_trips = (
            small["extensions"]["roundTrips"],
            large["extensions"]["roundTrips"],
        )
        for backend, bound in most.items():
            assert large_trips[backend] <= small_trips[backend] <= bound, (small_trips, large_trips)
    # the query of the issue makes exactly the same trips at both sizes: one SQL for the page,
    # one Cypher for every relationship page, one SQL for all targets
    for first in (5, 50):
        nested = await client.uncached(NESTED, {"first": first, "tag": tag})
        assert nested["extensions"]["roundTrips"] == {"postgres": 2, "neo4j": 1}
