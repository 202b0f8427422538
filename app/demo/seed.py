"""`nexus seed`: loads the demo knowledge graph through the normal write path, and the demo
lineage through OpenLineage ingest, as a pipeline's events.

Idempotent: each demo entity carries its key in `properties.demoKey`, so a second run only
fills in what is missing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import orjson
from sqlalchemy import select

from app.core.db import SessionFactory
from app.core.errors import Conflict
from app.core.models import Entity
from app.core.scope import Scope
from app.demo.data import build_demo_graph
from app.demo.lineage import build_demo_lineage, job_events
from app.entities import writes
from app.lineage.ingest import ingest_batch

DEMO_KEY = "demoKey"
# The development login that `nexus seed` creates outside production (see README).
DEV_USER_EMAIL = "dev@nexus-graph.example"
DEV_USER_PASSWORD = "nexus-dev-password"  # noqa: S105


async def seed_demo_graph(
    sessions: SessionFactory, *, scope: Scope, progress: Callable[[str], None]
) -> tuple[int, int]:
    """Returns how many entities and relationships were created."""
    demo = build_demo_graph()
    async with sessions() as session:
        rows = await session.execute(
            select(Entity.properties[DEMO_KEY].astext, Entity.id).where(
                Entity.organization_id == scope.organization_id,
                Entity.properties.has_key(DEMO_KEY),
            )
        )
        ids: dict[str, uuid.UUID] = {key: entity_id for key, entity_id in rows}
    created_entities = created_relationships = 0
    for number, item in enumerate(demo.entities, start=1):
        if item.key not in ids:
            result = await writes.create_entity(
                sessions,
                scope=scope,
                kind=item.kind,
                name=item.name,
                description=item.description,
                properties={**item.properties, DEMO_KEY: item.key},
                confidence=item.confidence,
                tags=item.tags,
            )
            ids[item.key] = result.record.id
            created_entities += 1
        if number % 50 == 0 or number == len(demo.entities):
            progress(f"entities {number}/{len(demo.entities)}")
    for number, rel in enumerate(demo.relationships, start=1):
        try:
            await writes.relate_entities(
                sessions,
                scope=scope,
                source_id=ids[rel.source],
                target_id=ids[rel.target],
                type=rel.type,
                confidence=rel.confidence,
                properties=rel.properties,
            )
            created_relationships += 1
        except Conflict:
            pass  # already there from an earlier run
        if number % 100 == 0 or number == len(demo.relationships):
            progress(f"relationships {number}/{len(demo.relationships)}")
    return created_entities, created_relationships


LINEAGE_BATCH = 100


async def seed_demo_lineage(
    sessions: SessionFactory, *, scope: Scope, progress: Callable[[str], None]
) -> tuple[int, int]:
    """Ingests the demo lineage as a pipeline's events, in batches, through the same
    parsing, validation and ingest as the OpenLineage endpoint. Returns how many events
    were accepted and how many were already known."""
    # As JSON, the way a pipeline's events arrive (and are kept).
    events = orjson.loads(
        orjson.dumps([event for job in build_demo_lineage() for event in job_events(job)])
    )
    accepted = duplicates = 0
    for start in range(0, len(events), LINEAGE_BATCH):
        batch = await ingest_batch(
            sessions, scope=scope, events=events[start : start + LINEAGE_BATCH], access=None
        )
        counts = batch.counts()
        if counts["invalid"] or counts["failed"]:
            raise RuntimeError(f"demo lineage refused: {str(batch.results)[:500]}")
        accepted += counts["accepted"]
        duplicates += counts["duplicate"]
        progress(f"lineage events {min(start + LINEAGE_BATCH, len(events))}/{len(events)}")
    return accepted, duplicates
