"""Opening and closing the process's resources (`app.runtime.state.AppState`), and the
ASGI lifespan that does so around serving."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import redis.asyncio as aioredis
from starlette.applications import Starlette

from app.audit.feed import AuditFeed
from app.core.db import create_engine, create_read_session_factory, create_session_factory
from app.core.settings import Settings
from app.identity.authn import Authenticator
from app.identity.ratelimit import LoginLimiter
from app.identity.tokens import Revocations, TokenIssuer
from app.live.channel import LiveChannel
from app.live.reads import LiveReads
from app.policies.cache import PolicyCache
from app.projection.projector import Projector
from app.projection.version import DataVersion
from app.runtime.state import AppState
from app.server.domains import PROJECTIONS
from app.server.result_cache import ResultCache
from graph.driver import create_graph

log = logging.getLogger("nexus.app")
# How long a connection to Redis may take to open or answer before it counts as down.
READINESS_TIMEOUT = 2.0


def lifespan(settings: Settings) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Open the resources, start the projector, serve; then stop and close, in reverse."""

    @asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[None]:
        state = await open_state(settings)
        results = open_result_cache(settings, state)
        app.state.nexus, app.state.results = state, results
        projector_task = asyncio.create_task(state.projector.run_forever(), name="projector")
        _tune_garbage_collector()
        log.info("nexus graph ready", extra={"settings": settings.redacted()})
        try:
            yield
        finally:
            projector_task.cancel()
            await asyncio.gather(projector_task, return_exceptions=True)
            await close_result_cache(results, state)
            await close_state(state)

    return run


async def open_state(settings: Settings) -> AppState:
    engine = create_engine(settings)
    graph = create_graph(settings)
    sessions = create_session_factory(engine)
    reads = create_read_session_factory(engine)
    live = LiveChannel(
        settings.redis_url.get_secret_value(), queue_size=settings.subscriber_queue_size
    )
    redis = aioredis.from_url(
        settings.redis_url.get_secret_value(),
        socket_connect_timeout=READINESS_TIMEOUT,
        socket_timeout=READINESS_TIMEOUT,
    )
    policy_cache = PolicyCache(reads, redis, max_age=settings.policy_cache_max_age)
    live.add_observer(policy_cache.observe)
    live_reads = LiveReads(reads, policy_cache, engine)
    await live.start()
    await live.wait_ready(within=settings.database_connect_timeout)
    tokens = TokenIssuer(settings)
    revocations = Revocations(redis, fail_closed=settings.revocation_fail_closed)
    projector = Projector(
        engine=engine, graph=graph, projections=PROJECTIONS, publisher=live, settings=settings
    )
    return AppState(
        settings=settings,
        engine=engine,
        sessions=sessions,
        reads=reads,
        graph=graph,
        live=live,
        live_reads=live_reads,
        policy_cache=policy_cache,
        audit_feed=AuditFeed(sessions, interval=0.5, queue_size=settings.subscriber_queue_size),
        projector=projector,
        redis=redis,
        tokens=tokens,
        revocations=revocations,
        authenticator=Authenticator(
            sessions=sessions, tokens=tokens, revocations=revocations, policy_cache=policy_cache
        ),
        login_limiter=LoginLimiter(
            redis,
            per_user=settings.login_max_attempts,
            per_address=settings.login_max_attempts_per_ip,
            window=settings.login_window,
        ),
    )


def open_result_cache(settings: Settings, state: AppState) -> ResultCache:
    redis = (
        aioredis.from_url(
            settings.result_cache_redis_url.get_secret_value(),
            socket_connect_timeout=READINESS_TIMEOUT,
            socket_timeout=READINESS_TIMEOUT,
        )
        if settings.result_cache_redis_url
        else state.redis
    )
    return ResultCache(
        redis,
        DataVersion(state.engine.url, timeout=settings.database_connect_timeout),
        ttl=settings.result_cache_ttl,
        max_bytes=settings.result_cache_max_bytes,
    )


async def close_result_cache(results: ResultCache, state: AppState) -> None:
    await results.close()
    if results.redis is not state.redis:
        await results.redis.aclose()


async def close_state(state: AppState) -> None:
    await state.projector.close()
    await state.live.stop()
    await state.audit_feed.stop()
    await state.graph.driver.close()
    await state.engine.dispose()
    await state.redis.aclose()


# Collect the youngest generation every 3,000 net allocations instead of 700: a request
# allocates thousands of short-lived objects, and at 700 most of them were scanned (and
# promoted) while still in use. 10,000 was no faster and held 33 MB more at peak under
# overload (docs/benchmarks.md).
GC_THRESHOLDS = (3_000, 10, 10)


def _tune_garbage_collector() -> None:
    """Keep the cyclic garbage collector off the request path.

    Everything alive after start-up (modules, the schema, engines) is frozen out of its
    reach: it never becomes garbage, yet every full collection walked all of it. Measured on
    the benchmark machine over 300 page and lineage queries, garbage collection took 4.1 s
    with the defaults (full passes of 170-250 ms every ~20 requests), 1.3 s with start-up
    objects frozen, and 0.2 s frozen and with a young generation of 10,000 (see
    GC_THRESHOLDS and docs/benchmarks.md).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
