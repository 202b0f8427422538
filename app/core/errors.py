"""One enum of error codes, the domain exceptions that carry them, and the translation of
backend failures into `UNAVAILABLE`.

Resolvers and services raise `NexusError` subclasses; `resolvers.extensions.ErrorCodes` turns
them into GraphQL errors with `extensions.code` and masks everything else.
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from typing import Any

import asyncpg
import neo4j.exceptions
import redis.exceptions
import sqlalchemy.exc


class ErrorCode(enum.StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    UNAVAILABLE = "UNAVAILABLE"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL = "INTERNAL"

    @property
    def http_status(self) -> int:
        """The status an HTTP edge outside GraphQL answers with (OpenLineage)."""
        return HTTP_STATUSES[self]


HTTP_STATUSES: dict[ErrorCode, int] = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.BAD_USER_INPUT: 400,
    ErrorCode.CONFLICT: 409,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL: 500,
}


class NexusError(Exception):
    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = {k: v for k, v in details.items() if v is not None}

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code.value, **self.details}


def error_body(exc: NexusError) -> dict[str, Any]:
    """An error as the HTTP edges outside GraphQL answer it: the message, the code, the path
    of the offending field ("" when none) and the other details."""
    details = dict(exc.details)
    path = details.pop("field", None)
    return {"error": exc.message, "code": exc.code.value, "path": path or "", **details}


class BadUserInput(NexusError):
    code = ErrorCode.BAD_USER_INPUT

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message, field=field, **details)


class NotFound(NexusError):
    code = ErrorCode.NOT_FOUND


class Conflict(NexusError):
    code = ErrorCode.CONFLICT


class Unavailable(NexusError):
    code = ErrorCode.UNAVAILABLE


class Forbidden(NexusError):
    code = ErrorCode.FORBIDDEN

    def __init__(
        self, message: str, *, target: tuple[str, uuid.UUID] | None = None, **details: Any
    ) -> None:
        super().__init__(message, **details)
        # The object refused (kind, id), for the audit log: a refusal naming it is shown only
        # to those who may read it (`app.audit.reads`).
        self.target = target


class Unauthenticated(NexusError):
    code = ErrorCode.UNAUTHENTICATED


class RateLimited(NexusError):
    code = ErrorCode.RATE_LIMITED


_NEO4J_DOWN = (
    neo4j.exceptions.ServiceUnavailable,
    neo4j.exceptions.SessionExpired,
)


def unavailable_backend(exc: BaseException) -> str | None:
    """Name the backend when `exc` means a backend cannot be reached, else None."""
    if isinstance(exc, _NEO4J_DOWN):
        return "neo4j"
    if isinstance(exc, neo4j.exceptions.DriverError) and "connect" in str(exc).lower():
        return "neo4j"
    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return "redis"
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return "postgres"
    if isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError):
        return "postgres"
    if isinstance(
        exc,
        OSError
        | asyncpg.exceptions.PostgresConnectionError
        | asyncpg.exceptions.ConnectionDoesNotExistError
        | asyncpg.exceptions.TooManyConnectionsError,
    ):
        return "postgres"
    if isinstance(exc, sqlalchemy.exc.TimeoutError):
        return "postgres"
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return "backend"
    return None


def at_capacity(backend: str) -> Unavailable:
    """A pool had no free connection in time: the backend is up, this process is at
    capacity. Said so, so that clients back off and operators add capacity."""
    return Unavailable(
        "The service is at capacity (every database connection is busy); retry shortly.",
        backend=backend,
        reason="AT_CAPACITY",
    )


def as_unavailable(exc: BaseException) -> Unavailable | None:
    backend = unavailable_backend(exc)
    if backend is None:
        return None
    if isinstance(
        exc, sqlalchemy.exc.TimeoutError | neo4j.exceptions.ConnectionAcquisitionTimeoutError
    ):
        return at_capacity(backend)
    return Unavailable(
        f"The {backend} backend is unavailable; retry shortly.",
        backend=backend,
    )
