"""The OpenLineage HTTP endpoints: `POST /api/v1/lineage` and `POST /api/v1/lineage/batch`.

A single event answers 201 when accepted (200 when it was a duplicate), 400 with the path of
the offending field when invalid, 413 when the body exceeds `NEXUS_OPENLINEAGE_MAX_BYTES`.
A batch answers 200 with one result per event (`app.lineage.ingest.ingest_batch`). Accepted
events are in Postgres before the answer; the answer waits (bounded) for their graph
projection, and says whether it happened. Sending lineage needs the editor role, checked as
GraphQL fields check theirs (`app.identity.roles`).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.access.control import AccessControl
from app.core.errors import BadUserInput, NexusError, Unauthenticated, as_unavailable, error_body
from app.core.scope import Role, Scope
from app.identity.authn import bearer_token
from app.identity.roles import require_role
from app.lineage.ingest import INGEST_ACTION, ingest_batch, ingest_raw
from app.runtime.state import AppState

log = logging.getLogger("nexus.openlineage")

# The role these endpoints declare, as GraphQL fields declare theirs with `requires`.
REQUIRED_ROLE = Role.EDITOR


class PayloadTooLarge(Exception):
    pass


async def authorize(request: Request) -> tuple[Scope, AccessControl]:
    """The caller, from `Authorization: Bearer <access token or API key>`, with the role
    these endpoints require, and its policy decisions for dataset writes."""
    state: AppState = request.app.state.nexus
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise Unauthenticated(
            "Send `Authorization: Bearer <API key or access token>` (create an API key with "
            "the createApiKey mutation)."
        )
    credential = await state.authenticator.authenticate(token)
    scope = credential.scope
    await require_role(
        state.sessions, scope, REQUIRED_ROLE, action=INGEST_ACTION, doing="Sending lineage"
    )
    try:
        access = await state.policy_cache.access_control(scope, credential.policy_stamp)
    except Exception as exc:
        unavailable = as_unavailable(exc)
        if unavailable is not None:
            raise unavailable from exc
        raise
    return scope, access


async def lineage_event(request: Request) -> Response:
    state: AppState = request.app.state.nexus
    try:
        scope, access = await authorize(request)
        raw = await _json_body(request, state.settings.openlineage_max_bytes)
        if isinstance(raw, list):
            raise BadUserInput("Send a list of events to /api/v1/lineage/batch.", field=None)
        result = await ingest_raw(state.sessions, scope=scope, raw=raw, access=access)
    except PayloadTooLarge:
        return _too_large(state)
    except NexusError as exc:
        return _error(exc)
    except Exception as exc:
        return _failure(exc)
    synced = await state.projector.ensure_projected(
        result.seq, within=state.settings.projection_wait_timeout
    )
    return JSONResponse(
        {**result.as_dict(), "graphSynced": synced}, status_code=200 if result.duplicate else 201
    )


async def lineage_batch(request: Request) -> Response:
    state: AppState = request.app.state.nexus
    try:
        scope, access = await authorize(request)
        raw = await _json_body(request, state.settings.openlineage_max_bytes)
        events = raw.get("events") if isinstance(raw, dict) else raw
        if not isinstance(events, list):
            raise BadUserInput("The body must be a list of events.", field="events")
        if len(events) > state.settings.openlineage_max_batch:
            raise BadUserInput(
                f"A batch holds at most {state.settings.openlineage_max_batch} events.",
                field="events",
            )
    except PayloadTooLarge:
        return _too_large(state)
    except NexusError as exc:
        return _error(exc)
    except Exception as exc:
        return _failure(exc)
    batch = await ingest_batch(state.sessions, scope=scope, events=events, access=access)
    synced = await state.projector.ensure_projected(
        batch.seq, within=state.settings.projection_wait_timeout
    )
    return JSONResponse({**batch.counts(), "graphSynced": synced, "results": batch.results})


async def _json_body(request: Request, limit: int) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise PayloadTooLarge
    try:
        return orjson.loads(bytes(body))
    except orjson.JSONDecodeError as exc:
        raise BadUserInput(f"The body is not valid JSON: {exc}.", field=None) from exc


def _error(exc: NexusError) -> Response:
    return JSONResponse(error_body(exc), status_code=exc.code.http_status)


def _failure(exc: Exception) -> Response:
    """Anything else: a backend that cannot be reached is UNAVAILABLE (503); the rest is
    logged and answered as INTERNAL, in the same JSON shape as every other error."""
    unavailable = as_unavailable(exc)
    if unavailable is not None:
        return _error(unavailable)
    log.exception("could not serve an OpenLineage request")
    return JSONResponse(
        {
            "error": "Internal error. It has been logged; retrying will not help.",
            "code": "INTERNAL",
        },
        status_code=500,
    )


def _too_large(state: AppState) -> Response:
    limit = state.settings.openlineage_max_bytes
    return JSONResponse(
        {
            "error": f"The body is larger than {limit} bytes (NEXUS_OPENLINEAGE_MAX_BYTES).",
            "code": "BAD_USER_INPUT",
            "path": "",
        },
        status_code=413,
    )


routes = [
    Route("/api/v1/lineage", lineage_event, methods=["POST"]),
    Route("/api/v1/lineage/batch", lineage_batch, methods=["POST"]),
]
