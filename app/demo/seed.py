"""`nexus seed`: loads the demo knowledge graph through the normal write path, and the demo
lineage through the OpenLineage endpoint.

Idempotent: each demo entity carries its key in `properties.demoKey`, so a second run only
fills in what is missing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import select

from app.core.db import SessionFactory
from app.core.errors import Conflict
from app.core.models import Entity
from app.core.scope import Scope
from app.demo.data import build_demo_graph
from app.demo.lineage import build_demo_lineage, job_events
from app.entities import records
from app.runtime.state import AppState

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


LINEAGE_BATCH = 100


async def seed_demo_lineage(
    state: AppState, *, scope: Scope, progress: Callable[[str], None]
) -> tuple[int, int]:
    """Posts the demo lineage to the OpenLineage batch endpoint, in process, so the demo goes
    through the same parsing, validation and ingest as a pipeline's events. Returns how many
    events were accepted and how many were already known."""
    from starlette.applications import Starlette

    from app.server.openlineage import routes

    app = Starlette(routes=routes)
    app.state.nexus = state
    events = [event for job in build_demo_lineage() for event in job_events(job)]
    accepted = duplicates = 0
    for start in range(0, len(events), LINEAGE_BATCH):
        status, body = await _post(
            app, "/api/v1/lineage/batch", events[start : start + LINEAGE_BATCH], scope
        )
        if status != 200 or body["invalid"] or body["failed"]:
            raise RuntimeError(f"demo lineage refused ({status}): {str(body)[:500]}")
        accepted += body["accepted"]
        duplicates += body["duplicate"]
        progress(f"lineage events {min(start + LINEAGE_BATCH, len(events))}/{len(events)}")
    return accepted, duplicates


async def _post(app: Any, path: str, payload: Any, scope: Scope) -> tuple[int, Any]:
    """One HTTP request through the ASGI app, without a network."""
    body = orjson.dumps(payload)
    messages: list[dict[str, Any]] = [{"type": "http.request", "body": body, "more_body": False}]
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    request = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 0),
        "server": ("nexus-seed", 0),
        "state": {"scope": scope},
    }
    await app(request, receive, send)
    return status, orjson.loads(b"".join(chunks))
