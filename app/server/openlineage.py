"""The OpenLineage HTTP endpoints: `POST /api/v1/lineage` and `POST /api/v1/lineage/batch`.

A single event answers 201 when accepted (200 when it was a duplicate), 400 with the path of
the offending field when invalid, 413 when the body exceeds `NEXUS_OPENLINEAGE_MAX_BYTES`.
A batch answers 200 with one result per event: each event is validated and committed on its
own, so a bad event never costs a good one. Accepted events are in Postgres before the answer;
the answer waits (bounded) for their graph projection, and says whether it happened.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.access.control import AccessControl
from app.core.errors import BadUserInput, Forbidden, NexusError, Unauthenticated, as_unavailable
from app.core.scope import Role, Scope
from app.identity.authn import authenticate_credential, bearer_token
from app.journal.audit import record_denial
from app.lineage.ingest import ingest_event
from app.lineage.openlineage import parse_event
from app.runtime.state import AppState

log = logging.getLogger("nexus.openlineage")


class PayloadTooLarge(Exception):
    pass


async def authorize(request: Request) -> tuple[Scope, str | None]:
    """The caller, from `Authorization: Bearer <access token or API key>`, and its
    organisation's policy stamp (`app.policies.cache`); pipelines need the editor role. A
    refusal is audited."""
    state: AppState = request.app.state.nexus
    # In-process callers (`nexus seed`) hand their scope over in the ASGI state, which no
    # network client can set.
    trusted = getattr(request.state, "scope", None)
    if isinstance(trusted, Scope):
        return trusted, None
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise Unauthenticated(
            "Send `Authorization: Bearer <API key or access token>` (create an API key with "
            "the createApiKey mutation)."
        )
    credential = await authenticate_credential(state, token)
    scope = credential.scope
    if not scope.may(Role.EDITOR):
        await record_denial(
            state.sessions,
            scope=scope,
            action="openlineage.ingest",
            target_type="operation",
            reason={"required": Role.EDITOR.value, "role": scope.role.value},
        )
        raise Forbidden(
            f"Sending lineage needs the editor role; you are {scope.role.value}.",
            requiredRole=Role.EDITOR.value,
        )
    return scope, credential.policy_stamp


async def policies_of(
    request: Request, scope: Scope, policy_stamp: str | None
) -> AccessControl | None:
    """The caller's policy decisions for dataset writes; none for in-process callers."""
    if isinstance(getattr(request.state, "scope", None), Scope):
        return None
    state: AppState = request.app.state.nexus
    try:
        return await state.policy_cache.access_control(scope, policy_stamp)
    except Exception as exc:
        unavailable = as_unavailable(exc)
        if unavailable is not None:
            raise unavailable from exc
        raise


async def lineage_event(request: Request) -> Response:
    state: AppState = request.app.state.nexus
    try:
        scope, policy_stamp = await authorize(request)
        raw = await _json_body(request, state.settings.openlineage_max_bytes)
        if isinstance(raw, list):
            raise BadUserInput("Send a list of events to /api/v1/lineage/batch.", field=None)
        access = await policies_of(request, scope, policy_stamp)
        result = await _ingest(state, scope, raw, access)
    except PayloadTooLarge:
        return _too_large(state)
    except NexusError as exc:
        return _error(exc)
    except Exception as exc:
        return _failure(exc)
    synced = await state.projector.ensure_projected(
        result["seq"], within=state.settings.projection_wait_timeout
    )
    return JSONResponse(
        {**result, "graphSynced": synced}, status_code=200 if result["duplicate"] else 201
    )


async def lineage_batch(request: Request) -> Response:
    state: AppState = request.app.state.nexus
    try:
        scope, policy_stamp = await authorize(request)
        raw = await _json_body(request, state.settings.openlineage_max_bytes)
        events = raw.get("events") if isinstance(raw, dict) else raw
        if not isinstance(events, list):
            raise BadUserInput("The body must be a list of events.", field="events")
        if len(events) > state.settings.openlineage_max_batch:
            raise BadUserInput(
                f"A batch holds at most {state.settings.openlineage_max_batch} events.",
                field="events",
            )
        access = await policies_of(request, scope, policy_stamp)
    except PayloadTooLarge:
        return _too_large(state)
    except NexusError as exc:
        return _error(exc)
    except Exception as exc:
        return _failure(exc)
    results: list[dict[str, Any]] = []
    for index, event in enumerate(events):
        try:
            results.append({"index": index, **await _ingest(state, scope, event, access)})
        except NexusError as exc:
            status = (
                "invalid"
                if isinstance(exc, BadUserInput)
                else "denied"
                if isinstance(exc, Forbidden)
                else "failed"
            )
            results.append({"index": index, "status": status, **_error_body(exc)})
        except Exception:
            log.exception("could not ingest an OpenLineage event", extra={"index": index})
            results.append({"index": index, "status": "failed", "error": "Internal error."})
    seq = max((r.get("seq", 0) for r in results), default=0)
    synced = await state.projector.ensure_projected(
        seq, within=state.settings.projection_wait_timeout
    )
    counts = {
        status: sum(1 for r in results if r["status"] == status)
        for status in ("accepted", "duplicate", "invalid", "denied", "failed")
    }
    return JSONResponse({**counts, "graphSynced": synced, "results": results})


async def _ingest(
    state: AppState, scope: Scope, raw: Any, access: AccessControl | None
) -> dict[str, Any]:
    event = parse_event(raw)
    try:
        result = await ingest_event(
            state.sessions, scope=scope, event=event, raw=raw, access=access
        )
    except Forbidden as exc:
        kind, target = exc.target or ("dataset", None)
        await record_denial(
            state.sessions,
            scope=scope,
            action="openlineage.ingest",
            target_type=kind,
            target_id=target,
            reason={"message": exc.message},
        )
        raise
    except Exception as exc:
        unavailable = as_unavailable(exc)
        if unavailable is not None:
            raise unavailable from exc
        raise
    return {
        "status": "duplicate" if result.duplicate else "accepted",
        "duplicate": result.duplicate,
        "eventId": result.event_id,
        "seq": result.seq,
    }


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


def _error_body(exc: NexusError) -> dict[str, Any]:
    details = dict(exc.details)
    path = details.pop("field", None)
    return {"error": exc.message, "code": exc.code.value, "path": path or "", **details}


def _error(exc: NexusError) -> Response:
    status = {
        "BAD_USER_INPUT": 400,
        "UNAUTHENTICATED": 401,
        "FORBIDDEN": 403,
        "NOT_FOUND": 404,
        "RATE_LIMITED": 429,
        "UNAVAILABLE": 503,
    }.get(exc.code.value, 500)
    return JSONResponse(_error_body(exc), status_code=status)


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
