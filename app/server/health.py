"""`/healthz` (the process is alive) and `/readyz` (each backend's state, and the graph's
projection lag)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.projection.queue import projection_lag
from app.runtime.state import AppState
from app.server.lifespan import READINESS_TIMEOUT


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Each backend's state, checked concurrently with a short timeout; 503 if any is down."""
    state: AppState = request.app.state.nexus
    checks = await asyncio.gather(
        _check(_postgres(state)), _check(state.graph.ping()), _check(_redis(state))
    )
    backends = dict(zip(("postgres", "neo4j", "redis"), checks, strict=True))
    ready = all(c["status"] == "up" for c in backends.values())
    body: dict[str, Any] = {"status": "ready" if ready else "unavailable", "backends": backends}
    try:
        async with asyncio.timeout(READINESS_TIMEOUT):
            async with state.engine.connect() as conn:
                pending, oldest = await projection_lag(conn)
        body["projection"] = {"pending": pending, "oldestPendingSeq": oldest}
    except Exception:
        body["projection"] = {"pending": None}
    body["live"] = {
        "available": state.live.available,
        "subscribers": state.live.subscriber_count,
    }
    if state.projector.last_error:
        body["projection"]["lastError"] = state.projector.last_error[:300]
    return JSONResponse(body, status_code=200 if ready else 503)


async def _postgres(state: AppState) -> None:
    async with state.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def _redis(state: AppState) -> None:
    client = aioredis.from_url(
        state.settings.redis_url.get_secret_value(), socket_connect_timeout=READINESS_TIMEOUT
    )
    try:
        await client.ping()
    finally:
        await client.aclose()


async def _check(probe: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(READINESS_TIMEOUT):
            await probe
    except Exception as exc:
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "up", "latencyMs": round((time.perf_counter() - started) * 1000, 1)}
