"""The GraphQL endpoint over HTTP and WebSocket: the result cache in front of execution,
operation turns, and the caller taken from the token of each request or connection."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from app.core.errors import NexusError, as_unavailable
from app.core.settings import Settings
from app.core.turns import Turns
from app.identity.authn import bearer_token
from app.runtime.state import AppState
from app.server.result_cache import (
    REQUESTS,
    Directives,
    ResultCache,
    audience,
    build_fingerprint,
    cache_key,
    is_cacheable,
)
from resolvers.caching import cacheable_root_fields
from resolvers.context import Context
from resolvers.extensions import translate_error
from resolvers.schema import build_schema


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
        self._cacheable = cacheable_root_fields(self.schema)

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

        cache: ResultCache = request.app.state.results
        asked = Directives.of(request.headers.get("cache-control"))
        query, operation = request_data.query, request_data.operation_name
        if (
            not cache.enabled
            or context.principal is None
            or context.auth_error is not None
            or not (asked.lookup or asked.store)
            or not isinstance(query, str)
            or not is_cacheable(
                query, operation, context.state.settings.max_tokens, self._cacheable
            )
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
                credential = await state.authenticator.authenticate(token)
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
                credential = await context.state.authenticator.authenticate(token)
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
