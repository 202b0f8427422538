"""`/metrics` in the Prometheus text format: live subscribers, asyncio tasks, process memory.

The process collector (RSS, CPU, open files) is registered by prometheus-client itself.
"""

from __future__ import annotations

import asyncio

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from app.runtime.state import AppState

LIVE_SUBSCRIBERS = Gauge("nexus_live_subscribers", "Live change subscriptions in this process")
ASYNCIO_TASKS = Gauge("nexus_asyncio_tasks", "asyncio tasks alive in this process")
PROJECTION_WATERMARK = Gauge(
    "nexus_projection_watermark", "Highest outbox sequence number this process projected"
)


async def metrics_endpoint(request: Request) -> Response:
    state: AppState = request.app.state.nexus
    LIVE_SUBSCRIBERS.set(state.live.subscriber_count)
    ASYNCIO_TASKS.set(len(asyncio.all_tasks()))
    PROJECTION_WATERMARK.set(state.projector.watermark)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
