"""Schema extensions: error codes and masking, and round-trip reporting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from app.core.errors import ErrorCode, NexusError, as_unavailable
from app.core.roundtrips import RoundTrips, tracking_round_trips
from resolvers.context import Context

INTERNAL_MESSAGE = "Internal server error. It has been logged; retrying will not help."


def translate_error(error: GraphQLError) -> GraphQLError:
    """Give every error an `extensions.code`; mask anything unexpected."""
    original = error.original_error
    if isinstance(original, NexusError):
        return _with(error, original.message, original.extensions)
    if original is None or isinstance(original, GraphQLError) or error.path is None:
        # Parse, validation and variable-coercion errors: the request itself is wrong.
        code = (error.extensions or {}).get("code", ErrorCode.BAD_USER_INPUT.value)
        return _with(error, error.message, {**(error.extensions or {}), "code": code})
    unavailable = as_unavailable(original)
    if unavailable is not None:
        return _with(error, unavailable.message, unavailable.extensions)
    # Logged, with its traceback, by NexusSchema.process_errors.
    return _with(error, INTERNAL_MESSAGE, {"code": ErrorCode.INTERNAL.value})


def _with(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        # Rewritten in place: for parse and validation failures the response is built from
        # these very lists before this hook resumes.
        for errors in (
            getattr(self.execution_context.result, "errors", None),
            self.execution_context.pre_execution_errors,
        ):
            if errors:
                errors[:] = [translate_error(error) for error in errors]


class OperationContext(SchemaExtension):
    """Gives each operation on a WebSocket a context of its own (`Context.for_operation`),
    and frees an operation's DataLoader caches when it is over (`Context.release`)."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context) and context.is_connection:
            context = context.for_operation()
            self.execution_context.context = context
        try:
            yield
        finally:
            if isinstance(context, Context):
                context.release()


class RoundTripReporter(SchemaExtension):
    """Adds `extensions.roundTrips` ({postgres, neo4j}) to every response when enabled."""

    counter: RoundTrips | None = None

    def on_operation(self) -> Iterator[None]:
        with tracking_round_trips() as counter:
            self.counter = counter
            yield

    def get_results(self) -> dict[str, Any]:
        return {"roundTrips": self.counter.as_dict()} if self.counter is not None else {}
