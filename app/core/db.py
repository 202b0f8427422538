"""The SQLAlchemy async engine (asyncpg) and session factory: one engine per process."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import orjson
from sqlalchemy import ARRAY, ColumnElement, any_, cast, event
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute

from app.core.roundtrips import count_postgres
from app.core.settings import Settings

SessionFactory = async_sessionmaker[AsyncSession]
Model = TypeVar("Model", bound=DeclarativeBase)


def create_engine(settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_timeout=settings.database_connect_timeout * 2,
        # JSONB columns (dataset schemas, properties) decode with orjson: several times
        # faster than the standard library on the lineage and page queries' records.
        json_deserializer=orjson.loads,
        connect_args={
            "timeout": settings.database_connect_timeout,
            "server_settings": {
                "application_name": "nexus-graph",
                "statement_timeout": str(settings.database_statement_timeout_ms),
            },
        },
    )
    event.listen(engine.sync_engine, "before_cursor_execute", _count_statement)
    event.listen(engine.sync_engine, "checkin", _note_checkin)
    event.listen(engine.sync_engine, "checkout", _check_on_checkout)
    return engine


# Connections that died while Postgres restarted are replaced before use, not discovered by
# failing a request. SQLAlchemy's pool_pre_ping would ping on every checkout, and its asyncpg
# ping is three round trips (BEGIN, an empty statement, ROLLBACK): about 0.9 ms of a 7.6 ms
# lookup on the benchmark machine. Instead, a checkout costs nothing when the connection is
# known alive or known dead: a server that shuts down or crashes closes its sockets, which
# asyncpg notices at once (`is_closed`). Only a connection idle for longer than this is
# pinged, for deaths the client learns of only by sending (a firewall or proxy on the way
# that dropped an idle connection answers the ping with a reset).
PING_AFTER_IDLE = 10.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _check_on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    driver = record.driver_connection
    if driver is not None and driver.is_closed():
        # Replace this connection and every one opened before it, as pool_pre_ping does.
        raise InvalidatePoolError("the server closed this connection (Postgres restarted?)")
    checked_in_at = record.info.get("checked_in_at")
    if checked_in_at is None or time.monotonic() - checked_in_at < PING_AFTER_IDLE:
        return
    try:
        dbapi_connection.ping()
    except Exception as exc:
        if driver is not None and not driver.is_closed():
            raise  # not a dead connection: a real error, reported as such
        raise InvalidatePoolError(f"connection found dead after being idle: {exc}") from exc


def _count_statement(*_args: Any, **_kwargs: Any) -> None:
    count_postgres()


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


def create_read_session_factory(engine: AsyncEngine) -> SessionFactory:
    """Sessions for reads only (the DataLoaders, the policy cache), on the same pool in
    autocommit: a read then costs one round trip instead of three (BEGIN, the statement,
    and the ROLLBACK when the session closes). Under READ COMMITTED every statement takes
    its own snapshot anyway, so the transaction bought reads no consistency. Never write
    through these: each statement would commit on its own."""
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
    )


def among(column: QueryableAttribute[uuid.UUID], ids: Iterable[uuid.UUID]) -> ColumnElement[bool]:
    """`column = ANY($1::uuid[])`: one array parameter where `IN` would bind one per id.
    The statement's text then stays the same whatever the batch size, so each connection
    prepares it once; with `IN`, every new batch size was a new statement to prepare (a
    round trip) and 20 to 100 bind parameters to render."""
    return column == any_(cast(list(ids), ARRAY(PG_UUID(as_uuid=True))))


async def fetch_records(
    engine: AsyncEngine, model: type[Model], statement: str, *args: Any
) -> list[Model]:
    """Rows of `model`'s table, read by one fixed SQL statement straight through the
    pooled asyncpg connection, as read-only records.

    For the hottest reads (a dataset by id serves lookups, pages and every lineage
    traversal). Through an ORM session the same one-row read cost about 1.9 ms on the
    benchmark machine, against 0.6 ms like this: the session, the statement's compilation
    and cache key, the greenlet hop and the row processing cost more than the round trip.
    The connection comes from the same pool (its checkout checks still run) and asyncpg
    prepares the statement once per connection. `statement` must select the table's
    columns in declaration order (`select_list`). The records are not attached to a session:
    reading them loads nothing more, and they are never written back.
    """
    count_postgres()
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        rows = await raw.driver_connection.fetch(statement, *args)  # type: ignore[union-attr]
    keys = _column_keys(model)
    manager = model.__mapper__.class_manager
    records: list[Model] = []
    for row in rows:
        record = manager.new_instance()
        record.__dict__.update(zip(keys, row, strict=True))
        records.append(record)
    return records


def select_list(model: type[DeclarativeBase]) -> str:
    """The table's columns in declaration order, for `fetch_records`' statements."""
    return ", ".join(column.name for column in model.__table__.columns)


def _column_keys(model: type[DeclarativeBase]) -> Sequence[str]:
    return [column.key for column in model.__table__.columns]
