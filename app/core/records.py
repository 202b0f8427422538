"""Building blocks every domain's records share: rows locked by id or by name, and results
of a batch in the order of its keys."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.core.scope import Scope

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class OrganizationRecord(Protocol):
    """A record that belongs to one organisation and has a UUID key."""

    id: Any
    organization_id: Any


class NamedRecord(OrganizationRecord, Protocol):
    """A record found by its (organisation, namespace, name), as OpenLineage names things."""

    namespace: Any
    name: Any


R = TypeVar("R", bound=OrganizationRecord)
N = TypeVar("N", bound=NamedRecord)


def _id(row: Any) -> Any:
    return row.id


def in_key_order(
    rows: Iterable[V], keys: Sequence[K], *, key: Callable[[V], Any] = _id
) -> list[V | None]:
    """One result per key, in key order, None for a miss: what a DataLoader's batch
    function must return."""
    found = {key(row): row for row in rows}
    return [found.get(k) for k in keys]


def grouped_in_key_order(
    rows: Iterable[V], keys: Sequence[K], *, key: Callable[[V], Any]
) -> list[list[V]]:
    """The rows of each key, in key order (rows keep their own order), [] for a miss."""
    grouped: dict[K, list[V]] = {k: [] for k in keys}
    for row in rows:
        grouped.setdefault(key(row), []).append(row)
    return [grouped[k] for k in keys]


async def lock_in_organization(
    session: AsyncSession,
    model: type[R],
    scope: Scope,
    record_id: uuid.UUID,
    *conditions: Any,
    noun: str,
) -> R:
    """The caller's organisation's row, locked for this transaction, or NOT_FOUND (a row of
    another organisation is not found either, nor one that fails `conditions`)."""
    record = await session.scalar(
        select(model)
        .where(
            model.id == record_id,
            model.organization_id == scope.organization_id,
            *conditions,
        )
        .with_for_update()
    )
    if record is None:
        raise NotFound(f"No {noun} has this id.", id=str(record_id))
    return record


async def lock_by_name(
    session: AsyncSession, model: type[N], scope: Scope, namespace: str, name: str
) -> tuple[N, bool]:
    """The row named (namespace, name) in the caller's organisation, locked for this
    transaction; created, at version 0, when it is new (then True). Concurrent writers of
    the same name wait for each other instead of failing on the unique key."""
    inserted = await session.scalar(
        insert(model)
        .values(
            id=uuid.uuid4(),
            organization_id=scope.organization_id,
            namespace=namespace,
            name=name,
            version=0,
        )
        .on_conflict_do_nothing(index_elements=["organization_id", "namespace", "name"])
        .returning(model.id)
    )
    record = await session.scalar(
        select(model)
        .where(
            model.organization_id == scope.organization_id,
            model.namespace == namespace,
            model.name == name,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert record is not None  # inserted above or already there
    return record, inserted is not None
