"""Cypher for `nexus graph rebuild`: loading an empty graph in `UNWIND` batches.

The incremental projection (graph/entities.py, graph/datasets.py) MERGEs and replaces, because
a node may already exist in any state. A rebuild starts from an empty graph under the
projection lock, so nodes and edges are simply CREATEd: no lookups before each write, no
deletes of what a previous version left. Only column lineage MERGEs its fields, because a
lineage link may name a column that its dataset's current schema no longer lists.

The payloads are the projection's own (`*_graph_payload`), so both paths write the same graph;
`nexus graph verify` compares the result with Postgres.
"""

from __future__ import annotations

from typing import Any, LiteralString

from graph.driver import Graph, Statement

CREATE_ENTITIES: LiteralString = """
UNWIND $rows AS row
CREATE (e:Entity {id: row.id, org: row.org, kind: row.kind, name: row.name, tags: row.tags,
                  confidence: row.confidence, version: row.version})
"""

CREATE_RELATIONSHIPS: LiteralString = """
UNWIND $rows AS row
MATCH (s:Entity {id: row.source_id})
MATCH (t:Entity {id: row.target_id})
CREATE (s)-[:RELATES_TO {id: row.id, org: row.org, type: row.type, confidence: row.confidence}]->(t)
"""

CREATE_DATASETS: LiteralString = """
UNWIND $rows AS row
CREATE (d:Dataset {id: row.id, org: row.org, namespace: row.namespace, name: row.name,
                   tags: row.tags, owners: row.owners, version: row.version})
WITH d, row
UNWIND row.fields AS f
CREATE (d)-[:HAS_FIELD]->(:Field {id: f.id, org: row.org, dataset: row.id, name: f.name,
                                  type: f.type, tags: f.tags})
"""

# After every dataset exists: one row per lineage link of a dataset's columns.
CREATE_COLUMN_LINEAGE: LiteralString = """
UNWIND $rows AS row
MATCH (d:Dataset {id: row.dataset})
MATCH (src:Dataset {id: row.source_dataset})
MERGE (sf:Field {id: row.source})
ON CREATE SET sf.org = row.org, sf.dataset = row.source_dataset, sf.name = row.source_name,
              sf.tags = []
MERGE (src)-[:HAS_FIELD]->(sf)
MERGE (tf:Field {id: row.target})
ON CREATE SET tf.org = row.org, tf.dataset = row.dataset, tf.name = row.target_name, tf.tags = []
MERGE (d)-[:HAS_FIELD]->(tf)
MERGE (sf)-[r:FEEDS]->(tf)
SET r.transformation = row.transformation
"""

CREATE_JOBS: LiteralString = """
UNWIND $rows AS row
CREATE (j:Job {id: row.id, org: row.org, namespace: row.namespace, name: row.name,
               version: row.version})
WITH j, row
CALL (j, row) {
  UNWIND row.inputs AS input
  MATCH (d:Dataset {id: input})
  CREATE (d)-[:INPUT_TO]->(j)
}
CALL (j, row) {
  UNWIND row.outputs AS output
  MATCH (d:Dataset {id: output})
  CREATE (j)-[:PRODUCES]->(d)
}
CALL (row) {
  UNWIND row.inputs AS input
  UNWIND row.outputs AS output
  WITH input, output WHERE input <> output
  MATCH (a:Dataset {id: input})
  MATCH (b:Dataset {id: output})
  CREATE (a)-[:FEEDS {job: row.id}]->(b)
}
"""

CREATE_RUNS: LiteralString = """
UNWIND $rows AS row
MATCH (j:Job {id: row.job_id})
CREATE (j)-[:HAS_RUN]->(:Run {id: row.id, org: row.org, state: row.state,
                              started_at: row.started_at, ended_at: row.ended_at})
"""

CREATE_DESCRIPTIONS: LiteralString = """
UNWIND $rows AS row
MATCH (e:Entity {id: row.entity_id})
MATCH (d:Dataset {id: row.dataset_id})
CREATE (e)-[:DESCRIBES]->(d)
"""


def create_entities(rows: list[dict[str, Any]]) -> Statement:
    return CREATE_ENTITIES, {"rows": rows}


def create_relationships(rows: list[dict[str, Any]]) -> Statement:
    return CREATE_RELATIONSHIPS, {"rows": rows}


def create_datasets(rows: list[dict[str, Any]]) -> Statement:
    return CREATE_DATASETS, {"rows": rows}


def create_column_lineage(rows: list[dict[str, Any]]) -> Statement:
    """`rows`: the `lineage` links of dataset payloads, each with its dataset's `dataset`
    id and `org`."""
    return CREATE_COLUMN_LINEAGE, {"rows": rows}


def create_jobs(rows: list[dict[str, Any]]) -> Statement:
    """Inputs and outputs must hold no duplicates (the payloads' are sets)."""
    return CREATE_JOBS, {"rows": rows}


def create_runs(rows: list[dict[str, Any]]) -> Statement:
    return CREATE_RUNS, {"rows": rows}


def create_descriptions(rows: list[dict[str, Any]]) -> Statement:
    return CREATE_DESCRIPTIONS, {"rows": rows}


# --- emptying the graph first ---------------------------------------------------------

DELETE_SOME_RELATIONSHIPS: LiteralString = """
MATCH ()-[r]->() WITH r LIMIT $batch DELETE r RETURN count(*) AS deleted
"""

DELETE_SOME_NODES: LiteralString = """
MATCH (n) WITH n LIMIT $batch DELETE n RETURN count(*) AS deleted
"""

NODE_COUNT: LiteralString = "MATCH (n) RETURN count(n) AS c"
RELATIONSHIP_COUNT: LiteralString = "MATCH ()-[r]->() RETURN count(r) AS c"


async def delete_everything(graph: Graph, *, batch: int = 10_000) -> tuple[int, int]:
    """Empty the graph in bounded transactions; answers (nodes, relationships) deleted."""
    relationships = await _delete_in_batches(graph, DELETE_SOME_RELATIONSHIPS, batch)
    nodes = await _delete_in_batches(graph, DELETE_SOME_NODES, batch)
    return nodes, relationships


async def _delete_in_batches(graph: Graph, statement: LiteralString, batch: int) -> int:
    total = 0
    while True:
        records = await graph.write(statement, batch=batch)
        deleted = int(records[0]["deleted"])
        total += deleted
        if deleted < batch:
            return total


async def counts(graph: Graph) -> tuple[int, int]:
    """Nodes and relationships, from Neo4j's count store: constant time whatever the size."""
    nodes = await graph.read(NODE_COUNT)
    relationships = await graph.read(RELATIONSHIP_COUNT)
    return int(nodes[0]["c"]), int(relationships[0]["c"])
