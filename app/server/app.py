"""The ASGI application: Starlette routes, the GraphQL endpoint, and the lifespan that owns
the process's engine, driver, broadcaster and projector."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import redis.asyncio as aioredis
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from app.audit.feed import AuditFeed
from app.core.db import create_engine, create_read_session_factory, create_session_factory
from app.core.errors import NexusError, as_unavailable
from app.core.logging import configure_logging
from app.core.settings import Settings
from app.core.turns import Turns
from app.identity.authn import authenticate_credential, bearer_token
from app.identity.ratelimit import LoginLimiter
from app.identity.tokens import Revocations, TokenIssuer
from app.journal.outbox import projection_lag
from app.live.channel import LiveChannel
from app.live.reads import LiveReads
from app.policies.cache import PolicyCache
from app.projection.projector import Projector
from app.runtime.state import AppState
from app.server.metrics import metrics_endpoint
from app.server.openlineage import routes as openlineage_routes
from app.server.result_cache import (
    REQUESTS,
    DataVersion,
    Directives,
    ResultCache,
    audience,
    build_fingerprint,
    cache_key,
    is_cacheable,
)
from graph.driver import create_graph
from resolvers.context import Context
from resolvers.extensions import translate_error
from resolvers.schema import build_schema

log = logging.getLogger("nexus.app")
READINESS_TIMEOUT = 2.0


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            keep_alive=True,
            keep_alive_interval=settings.ws_keepalive_interval,
        )
        self.build = build_fingerprint(str(self.schema), settings)
        self._turns = Turns(settings.max_concurrent_operations)

    def encode_json(self, data: object) -> str:
        # orjson: several times faster than the stdlib for every response and every event.
        return orjson.dumps(data, default=str).decode()

    async def process_result(self, request: Request, result: ExecutionResult) -> Any:
        # Parse errors skip the schema extensions' rewrite; give them their code here too.
        if result.errors:
            result.errors = [translate_error(error) for error in result.errors]
        return await super().process_result(request, result)

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Answer read queries from the shared result cache when it holds the answer this
        caller would get (`app.server.result_cache`); run everything else as usual."""

        async def run() -> ExecutionResult:
            return await self._turns.run(execute)

        async def execute() -> ExecutionResult:
            return await super(GraphQLApp, self).execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )

        cache = context.state.results
        asked = Directives.of(request.headers.get("cache-control"))
        query, operation = request_data.query, request_data.operation_name
        if (
            not cache.enabled
            or context.principal is None
            or context.auth_error is not None
            or not (asked.lookup or asked.store)
            or not isinstance(query, str)
            or not is_cacheable(query, operation, context.state.settings.max_tokens)
        ):
            return _served(sub_response, "bypass", await run())
        try:
            key = cache_key(
                self.build,
                audience(await context.access()),
                query,
                operation,
                request_data.variables,
            )
        except ValueError:  # variables no JSON encoder takes: running them reports why
            return _served(sub_response, "bypass", await run())
        version, data = await cache.find(key, look=asked.lookup)
        if version is None:
            return _served(sub_response, "unavailable", await run())
        served_extensions = (
            {"roundTrips": {"postgres": 1, "neo4j": 0}}  # the data version's read
            if context.state.settings.round_trips_exposed
            else None
        )
        if asked.lookup:
            if data is not None:
                return _served(sub_response, "hit", ExecutionResult(data, None, served_extensions))
            running = cache.running(key, version)
            if running is not None:
                # The same answer for the same data version is being computed by another
                # request of this process: wait for it rather than compute it again.
                shared = await asyncio.shield(running)
                if shared is not None:
                    return _served(
                        sub_response,
                        "shared",
                        ExecutionResult(
                            shared.data,
                            list(shared.errors) if shared.errors else None,
                            served_extensions,
                        ),
                    )
        computing = cache.compute(key, version)
        result = None
        try:
            result = await run()
            if result.extensions and "roundTrips" in result.extensions:
                result.extensions["roundTrips"]["postgres"] += 1  # the data version's read
        finally:
            cache.computed(key, version, computing, result, store=asked.store)
        return _served(sub_response, "miss", result)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state: AppState = request.app.state.nexus
        context = Context(state=state, principal=None, request=request, response=response)
        try:
            token = bearer_token(request.headers.get("authorization"))
            if token is not None:
                credential = await authenticate_credential(state, token)
                context.authenticate_as(credential.scope)
                if isinstance(request, WebSocket):
                    context.hold_credential(token, credential.expires_at)
                else:
                    # A WebSocket outlives any stamp read at its start: its query operations
                    # load the policies themselves, and a subscription takes the stamp read
                    # with each event (resolvers.changes.live).
                    context.policy_stamp = credential.policy_stamp
                await context.access()
        except NexusError as exc:
            # Reported by the first field that needs a caller; `login` still works.
            context.auth_error = exc
        except Exception as exc:
            unavailable = as_unavailable(exc)
            if unavailable is None:
                raise
            context.authenticate_as(None)
            context.auth_error = unavailable
        return context

    async def on_ws_connect(self, context: Context) -> Any:
        """WebSockets authenticate from `connection_init` (or the upgrade's header); the
        credential is checked again while the connection lives (`Context.check_credential`)."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        raw = params.get("Authorization") or params.get("authorization") or params.get("token")
        try:
            token = bearer_token(raw)
            if token is not None:
                credential = await authenticate_credential(context.state, token)
                context.authenticate_as(credential.scope)
                context.hold_credential(token, credential.expires_at)
        except NexusError as exc:
            raise ConnectionRejectionError({"message": exc.message, **exc.extensions}) from exc
        if context.principal is None:
            reason = context.auth_error or None
            raise ConnectionRejectionError(
                {
                    "message": reason.message
                    if reason
                    else "Send a bearer token in connection_init.",
                    "code": "UNAUTHENTICATED",
                }
            )
        return None


CACHE_HEADER = "x-nexus-cache"


def _served(sub_response: Any, outcome: str, result: ExecutionResult) -> ExecutionResult:
    """Count the outcome and say it in the `X-Nexus-Cache` header ("mixed" when a batch's
    operations were served differently)."""
    REQUESTS.labels(outcome).inc()
    shown = sub_response.headers.get(CACHE_HEADER)
    sub_response.headers[CACHE_HEADER] = outcome if shown in (None, outcome) else "mixed"
    return result


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
    projector = Projector(engine=engine, graph=graph, publisher=live, settings=settings)
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
        tokens=TokenIssuer(settings),
        revocations=Revocations(redis, fail_closed=settings.revocation_fail_closed),
        login_limiter=LoginLimiter(
            redis,
            per_user=settings.login_max_attempts,
            per_address=settings.login_max_attempts_per_ip,
            window=settings.login_window,
        ),
        results=ResultCache(
            aioredis.from_url(
                settings.result_cache_redis_url.get_secret_value(),
                socket_connect_timeout=READINESS_TIMEOUT,
                socket_timeout=READINESS_TIMEOUT,
            )
            if settings.result_cache_redis_url
            else redis,
            DataVersion(engine.url, timeout=settings.database_connect_timeout),
            ttl=settings.result_cache_ttl,
            max_bytes=settings.result_cache_max_bytes,
        ),
    )


async def close_state(state: AppState) -> None:
    await state.projector.close()
    await state.results.close()
    await state.live.stop()
    await state.audit_feed.stop()
    await state.graph.driver.close()
    await state.engine.dispose()
    if state.results.redis is not state.redis:
        await state.results.redis.aclose()
    await state.redis.aclose()


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    configure_logging(level=settings.log_level, json=settings.json_logs)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state = await open_state(settings)
        app.state.nexus = state
        projector_task = asyncio.create_task(state.projector.run_forever(), name="projector")
        _tune_garbage_collector()
        log.info("nexus graph ready", extra={"settings": settings.redacted()})
        try:
            yield
        finally:
            projector_task.cancel()
            await asyncio.gather(projector_task, return_exceptions=True)
            await close_state(state)

    graphql = GraphQLApp(settings)
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *openlineage_routes,
        ],
        lifespan=lifespan,
    )
    return AccessLog(app)  # type: ignore[return-value]


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


class AccessLog:
    """One structured line per HTTP request: method, path, status, duration; no headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
