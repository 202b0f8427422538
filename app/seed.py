"""`nexus seed`: loads the demo knowledge graph through the normal write path.

Idempotent: each demo entity carries its key in `properties.demoKey`, so a second run only
fills in what is missing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select

from app import entities as records
from app.db import SessionFactory
from app.demo_data import build_demo_graph
from app.errors import Conflict
from app.models import Entity
from app.scope import Scope

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
            result = await records.create_entity(
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
            await records.relate_entities(
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
