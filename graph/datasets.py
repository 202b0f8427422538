"""All Cypher that writes datasets, their fields and jobs, and reads them back for verify.

Nodes: `(:Dataset {id, org, namespace, name, tags, owners, version})`,
`(:Field {id, org, dataset, name, type, tags})`, `(:Job {id, org, namespace, name, version})`,
`(:Run {id, org, state, started_at, ended_at})`.
Edges: `(Dataset)-[:HAS_FIELD]->(Field)`, `(Dataset)-[:INPUT_TO]->(Job)-[:PRODUCES]->(Dataset)`,
the shortcut `(Dataset)-[:FEEDS {job}]->(Dataset)` (one per job that links the two), and
`(Field)-[:FEEDS {transformation}]->(Field)` for column lineage, `(Job)-[:HAS_RUN]->(Run)`.
"""

from __future__ import annotations

from typing import Any, LiteralString

from graph.driver import Graph, Statement

# A dataset owns its fields and the column lineage *into* them: both are replaced as a whole.
UPSERT_DATASETS: LiteralString = """
UNWIND $rows AS row
MERGE (d:Dataset {id: row.id})
WITH d, row WHERE coalesce(d.version, 0) <= row.version
SET d.org = row.org, d.namespace = row.namespace, d.name = row.name, d.tags = row.tags,
    d.owners = row.owners, d.version = row.version
WITH d, row, [f IN row.fields | f.id] + [l IN row.lineage | l.target] AS keep
CALL (d, keep) {
  MATCH (d)-[:HAS_FIELD]->(old:Field)
  WHERE NOT old.id IN keep AND NOT (old)-[:FEEDS]->()
  DETACH DELETE old
}
CALL (d) {
  MATCH (d)-[:HAS_FIELD]->(:Field)<-[r:FEEDS]-(:Field)
  DELETE r
}
CALL (d, row) {
  UNWIND row.fields AS f
  MERGE (x:Field {id: f.id})
  SET x.org = row.org, x.dataset = row.id, x.name = f.name, x.type = f.type, x.tags = f.tags
  MERGE (d)-[:HAS_FIELD]->(x)
}
CALL (d, row) {
  UNWIND row.lineage AS l
  MATCH (src:Dataset {id: l.source_dataset})
  MERGE (sf:Field {id: l.source})
  ON CREATE SET sf.org = row.org, sf.dataset = l.source_dataset, sf.name = l.source_name,
                sf.tags = []
  MERGE (src)-[:HAS_FIELD]->(sf)
  MERGE (tf:Field {id: l.target})
  ON CREATE SET tf.org = row.org, tf.dataset = row.id, tf.name = l.target_name, tf.tags = []
  MERGE (d)-[:HAS_FIELD]->(tf)
  MERGE (sf)-[r:FEEDS]->(tf)
  SET r.transformation = l.transformation
}
"""

DELETE_DATASETS: LiteralString = """
UNWIND $rows AS row
MATCH (d:Dataset {id: row.id}) WHERE d.version <= row.version
CALL (d) {
  MATCH (d)-[:HAS_FIELD]->(f:Field)
  DETACH DELETE f
}
DETACH DELETE d
"""

# A job's inputs and outputs are replaced as a whole, with the FEEDS shortcuts they imply.
UPSERT_JOBS: LiteralString = """
UNWIND $rows AS row
MERGE (j:Job {id: row.id})
WITH j, row WHERE coalesce(j.version, 0) <= row.version
SET j.org = row.org, j.namespace = row.namespace, j.name = row.name, j.version = row.version
WITH j, row
CALL (j) {
  MATCH (a:Dataset)-[:INPUT_TO]->(j)-[:PRODUCES]->(b:Dataset)
  MATCH (a)-[r:FEEDS {job: j.id}]->(b)
  DELETE r
}
CALL (j) {
  MATCH (j)-[r:INPUT_TO|PRODUCES]-(:Dataset)
  DELETE r
}
CALL (j, row) {
  UNWIND row.inputs AS input
  MATCH (d:Dataset {id: input})
  MERGE (d)-[:INPUT_TO]->(j)
}
CALL (j, row) {
  UNWIND row.outputs AS output
  MATCH (d:Dataset {id: output})
  MERGE (j)-[:PRODUCES]->(d)
}
CALL (j, row) {
  UNWIND row.inputs AS input
  UNWIND row.outputs AS output
  MATCH (a:Dataset {id: input})
  MATCH (b:Dataset {id: output})
  WITH a, b WHERE a <> b
  MERGE (a)-[:FEEDS {job: row.id}]->(b)
}
"""


def upsert_datasets(rows: list[dict[str, Any]]) -> Statement:
    return UPSERT_DATASETS, {"rows": rows}


def delete_datasets(rows: list[dict[str, Any]]) -> Statement:
    return DELETE_DATASETS, {"rows": rows}


def upsert_jobs(rows: list[dict[str, Any]]) -> Statement:
    return UPSERT_JOBS, {"rows": rows}


# Runs are applied in outbox order, so the last event of a run leaves its current state.
UPSERT_RUNS: LiteralString = """
UNWIND $rows AS row
MATCH (j:Job {id: row.job_id})
MERGE (r:Run {id: row.id})
SET r.org = row.org, r.state = row.state, r.started_at = row.started_at,
    r.ended_at = row.ended_at
MERGE (j)-[:HAS_RUN]->(r)
"""


def upsert_runs(rows: list[dict[str, Any]]) -> Statement:
    return UPSERT_RUNS, {"rows": rows}


# --- verification ------------------------------------------------------------------------

ALL_DATASET_VERSIONS: LiteralString = "MATCH (d:Dataset) RETURN d.id AS id, d.version AS version"
ALL_JOB_VERSIONS: LiteralString = "MATCH (j:Job) RETURN j.id AS id, j.version AS version"
ALL_RUN_STATES: LiteralString = "MATCH (r:Run) RETURN r.id AS id, r.state AS state"


async def dataset_versions(graph: Graph) -> dict[str, int]:
    return {r["id"]: r["version"] for r in await graph.read(ALL_DATASET_VERSIONS)}


async def job_versions(graph: Graph) -> dict[str, int]:
    return {r["id"]: r["version"] for r in await graph.read(ALL_JOB_VERSIONS)}


# --- entities describing datasets ---------------------------------------------------------

UPSERT_DESCRIPTIONS: LiteralString = """
UNWIND $rows AS row
MATCH (e:Entity {id: row.entity_id})
MATCH (d:Dataset {id: row.dataset_id})
MERGE (e)-[:DESCRIBES]->(d)
"""

DELETE_DESCRIPTIONS: LiteralString = """
UNWIND $rows AS row
MATCH (:Entity {id: row.entity_id})-[r:DESCRIBES]->(:Dataset {id: row.dataset_id})
DELETE r
"""


def upsert_descriptions(rows: list[dict[str, Any]]) -> Statement:
    return UPSERT_DESCRIPTIONS, {"rows": rows}


def delete_descriptions(rows: list[dict[str, Any]]) -> Statement:
    return DELETE_DESCRIPTIONS, {"rows": rows}


async def run_states(graph: Graph) -> dict[str, str]:
    return {r["id"]: r["state"] for r in await graph.read(ALL_RUN_STATES)}
