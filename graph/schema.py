"""Neo4j constraints and indexes, applied idempotently by `nexus migrate`."""

from __future__ import annotations

from typing import LiteralString

from graph.driver import Graph

STATEMENTS: tuple[LiteralString, ...] = (
    "CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE",
    "CREATE CONSTRAINT relates_to_id IF NOT EXISTS FOR ()-[r:RELATES_TO]-() REQUIRE r.id IS UNIQUE",
    "CREATE INDEX entity_org_kind IF NOT EXISTS FOR (e:Entity) ON (e.org, e.kind)",
    "CREATE INDEX entity_org_name IF NOT EXISTS FOR (e:Entity) ON (e.org, e.name)",
    "CREATE INDEX relates_to_type IF NOT EXISTS FOR ()-[r:RELATES_TO]-() ON (r.type)",
    "CREATE CONSTRAINT dataset_id IF NOT EXISTS FOR (d:Dataset) REQUIRE d.id IS UNIQUE",
    "CREATE CONSTRAINT field_id IF NOT EXISTS FOR (f:Field) REQUIRE f.id IS UNIQUE",
    "CREATE CONSTRAINT job_id IF NOT EXISTS FOR (j:Job) REQUIRE j.id IS UNIQUE",
    "CREATE CONSTRAINT run_id IF NOT EXISTS FOR (r:Run) REQUIRE r.id IS UNIQUE",
    "CREATE INDEX dataset_org_namespace_name IF NOT EXISTS FOR (d:Dataset) "
    "ON (d.org, d.namespace, d.name)",
)


async def apply_constraints(graph: Graph) -> list[str]:
    for statement in STATEMENTS:
        await graph.write(statement)
    await graph.write("CALL db.awaitIndexes(300)")
    return [statement.split(" IF NOT EXISTS")[0] for statement in STATEMENTS]
