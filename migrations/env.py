"""Alembic environment: runs revisions on the async engine built from `app.core.settings`."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.models import Base
from app.core.settings import Settings

target_metadata = Base.metadata


# Expression indexes (full-text search) are written by hand in their revision: autogenerate
# cannot compare expressions, and would otherwise propose to drop them.
HAND_WRITTEN_INDEXES = frozenset({"ix_entities_search", "ix_datasets_search", "ix_jobs_search"})


def _include(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return not (type_ == "index" and name in HAND_WRITTEN_INDEXES)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=False,
        include_object=_include,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    url = context.config.attributes.get("database_url") or (
        Settings().database_url.get_secret_value()
    )
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `nexus migrate`.")

existing = context.config.attributes.get("connection")
if existing is not None:
    _run(existing)
else:
    asyncio.run(_run_online())
