"""Reading the audit log (`auditLog`, `auditEvents`) through the same policies as every other
read.

An entry is left out when it names an entity, dataset or job the caller may not read as that
object is now (its target, a relationship's two ends, the entity of a DESCRIBES link; a
refusal is recorded with the object refused), so the log never shows what `node(id)` would
not. A job entry lists only the inputs and outputs the caller may read, as `Job.inputs`
does. Snapshots of a sensitive object are masked for a caller without `read_sensitive` on
it, as the object itself is: judged on its tags and namespace now and in the snapshot, so an
entry from before a `pii` tag was set is masked too.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.control import DATASET_COLUMNS, ENTITY_COLUMNS, JOB_COLUMNS, AccessControl, Columns
from app.access.resources import dataset_resource, entity_resource
from app.access.rules import MASK, SENSITIVE_TAG, Resource
from app.core.db import SessionFactory
from app.core.models import AuditLog
from app.datasets import records as dataset_records
from app.entities import records as entity_records


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actions: Sequence[str] = ()
    actor: str | None = None
    target_type: str | None = None
    target_id: uuid.UUID | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def audit_entries(
    sessions: SessionFactory,
    *,
    organization_id: uuid.UUID,
    flt: AuditFilter,
    first: int,
    before_id: int | None,
    access: AccessControl | None = None,
) -> tuple[list[AuditLog], bool]:
    """Newest first, a keyset page; returns the rows and whether more follow. With `access`,
    the entries as that caller may see them (see the module docstring): the hidden ones
    never take a place on a page, and masked ones are detached copies."""
    query = select(AuditLog).where(AuditLog.organization_id == organization_id)
    if access is not None:
        query = query.where(not_(hidden_entries(access)))
    if flt.actions:
        query = query.where(AuditLog.action.in_(list(flt.actions)))
    if flt.actor is not None:
        query = query.where(AuditLog.actor == flt.actor)
    if flt.target_type is not None:
        query = query.where(AuditLog.target_type == flt.target_type)
    if flt.target_id is not None:
        query = query.where(AuditLog.target_id == flt.target_id)
    if flt.outcome is not None:
        query = query.where(AuditLog.outcome == flt.outcome)
    if flt.since is not None:
        query = query.where(AuditLog.created_at >= flt.since)
    if flt.until is not None:
        query = query.where(AuditLog.created_at < flt.until)
    if before_id is not None:
        query = query.where(AuditLog.id < before_id)
    async with sessions() as session:
        rows = list(await session.scalars(query.order_by(AuditLog.id.desc()).limit(first + 1)))
        shown = rows[:first]
        if access is not None:
            shown = await present_entries(session, access, shown)
    return shown, len(rows) > first


# The entries that name entities, datasets or jobs (`hidden_entries`).
NAMING = frozenset({"entity", "relationship", "dataset", "job"})


async def present_entry(
    sessions: SessionFactory, access: AccessControl, entry: AuditLog
) -> AuditLog | None:
    """One entry as `audit_entries` would show it to this caller, or None when hidden: for
    the live feed, which receives entries one by one."""
    if entry.target_type not in NAMING:
        return entry
    async with sessions() as session:
        hidden = await session.scalar(select(hidden_entries(access)).where(AuditLog.id == entry.id))
        if hidden:
            return None
        (shown,) = await present_entries(session, access, [entry])
    return shown


def _named(key: str) -> Any:
    """An id an entry's snapshot names under `key` (after the write, else before it)."""
    snapshot = func.coalesce(AuditLog.after, AuditLog.before)
    return snapshot[key].astext.cast(UUID(as_uuid=True))


def _hidden(access: AccessControl, columns: Columns, ref: Any) -> Any:
    """Whether `ref` names an object of this kind that the caller may not read. A scalar
    subquery, so Postgres looks the object up by its primary key for each entry instead of
    hashing every hidden object of the table first. False outright when the caller may read
    every object of the kind."""
    if access.allows_every("read", columns.kind):
        return false()
    found = select(not_(access.visible_clause(columns))).where(columns.id == ref)
    return found.scalar_subquery().is_(True)


def hidden_entries(access: AccessControl) -> ColumnElement[bool]:
    """The entries naming an object the caller may not read, as SQL over the audit log."""
    kind = AuditLog.target_type
    return or_(
        and_(kind == "entity", _hidden(access, ENTITY_COLUMNS, AuditLog.target_id)),
        and_(
            kind == "relationship",
            or_(
                _hidden(access, ENTITY_COLUMNS, _named("source_id")),
                _hidden(access, ENTITY_COLUMNS, _named("target_id")),
            ),
        ),
        and_(
            kind == "dataset",
            or_(
                _hidden(access, DATASET_COLUMNS, AuditLog.target_id),
                _hidden(access, ENTITY_COLUMNS, _named("entity_id")),
            ),
        ),
        and_(kind == "job", _hidden(access, JOB_COLUMNS, AuditLog.target_id)),
    )


async def present_entries(
    session: AsyncSession, access: AccessControl, rows: Sequence[AuditLog]
) -> list[AuditLog]:
    """The entries with the snapshots of sensitive entities and datasets masked for a caller
    without `read_sensitive` on them; detached copies where anything is masked."""
    wanted = {
        kind: {row.target_id for row in rows if row.target_type == kind and row.target_id}
        for kind in ("entity", "dataset")
    }
    readable = await _readable_datasets(session, access, rows)
    org = access.scope.organization_id
    current: dict[uuid.UUID, Resource] = {}
    if wanted["entity"]:
        for entity in await entity_records.entities_by_ids(
            session, organization_id=org, ids=sorted(wanted["entity"])
        ):
            if entity is not None:
                current[entity.id] = entity_resource(entity)
    if wanted["dataset"]:
        for dataset in await dataset_records.datasets_by_ids(
            session, organization_id=org, ids=sorted(wanted["dataset"])
        ):
            if dataset is not None:
                current[dataset.id] = dataset_resource(dataset)
    return [
        _without_hidden_datasets(row, readable)
        if row.target_type == "job" and readable is not None
        else _present(access, row, current)
        for row in rows
    ]


async def _readable_datasets(
    session: AsyncSession, access: AccessControl, rows: Sequence[AuditLog]
) -> set[str] | None:
    """Of the datasets the job entries name as inputs and outputs, those the caller may
    read; None when they may read every dataset."""
    if access.allows_every("read", "dataset"):
        return None
    # Job payloads hold the ids as strings (`app.jobs.job_graph_payload`).
    named = {
        uuid.UUID(str(item)) for row in rows if row.target_type == "job" for item in _job_io(row)
    }
    if not named:
        return set()
    found = await dataset_records.readable_ids(session, access=access, ids=sorted(named))
    return {str(key) for key in found}


def _job_io(row: AuditLog) -> list[Any]:
    return [
        item
        for snapshot in (row.before, row.after)
        if isinstance(snapshot, dict)
        for key in ("inputs", "outputs")
        if isinstance(snapshot.get(key), list)
        for item in snapshot[key]
    ]


def _without_hidden_datasets(row: AuditLog, readable: set[str]) -> AuditLog:
    """A job entry without the inputs and outputs the caller may not read, as `Job.inputs`
    and `Job.outputs` leave them out."""
    if all(str(item) in readable for item in _job_io(row)):
        return row
    copy = _copy(row)

    def keep(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
        if not isinstance(snapshot, dict):
            return snapshot
        kept = dict(snapshot)
        for key in ("inputs", "outputs"):
            if isinstance(kept.get(key), list):
                kept[key] = [item for item in kept[key] if str(item) in readable]
        return kept

    copy.before, copy.after = keep(row.before), keep(row.after)
    return copy


def _copy(row: AuditLog) -> AuditLog:
    """A detached copy, never added to a session."""
    return AuditLog(
        **{column.key: getattr(row, column.key) for column in AuditLog.__table__.columns}
    )


def _present(access: AccessControl, row: AuditLog, current: dict[uuid.UUID, Resource]) -> AuditLog:
    if row.target_type not in ("entity", "dataset") or row.target_id is None:
        return row
    now = current.get(row.target_id)
    tags = set(now.tags if now is not None else ())
    for snapshot in (row.before, row.after):
        if isinstance(snapshot, dict) and isinstance(snapshot.get("tags"), list):
            tags.update(str(tag) for tag in snapshot["tags"])
    # Snapshots hold descriptions and properties, never a dataset's fields: only a
    # `pii` tag on the object itself masks anything in them.
    if SENSITIVE_TAG not in tags:
        return row
    # Judged as the object is now and as each snapshot shows it (an entity's namespace is
    # its kind): masked unless every one of them may be read in full.
    namespaces = {now.namespace if now is not None else None}
    for snapshot in (row.before, row.after):
        if isinstance(snapshot, dict):
            named = snapshot.get("kind" if row.target_type == "entity" else "namespace")
            if isinstance(named, str):
                namespaces.add(named)
    for namespace in namespaces:
        resource = Resource(
            kind=row.target_type,
            id=row.target_id,
            namespace=namespace,
            tags=tuple(sorted(tags)),
            owner_id=now.owner_id if now is not None else None,
        )
        if not access.allows("read_sensitive", resource):
            break
    else:
        return row
    copy = _copy(row)
    copy.before = _masked(row.before)
    copy.after = _masked(row.after)
    return copy


def _masked(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    masked = dict(snapshot)
    if masked.get("description") is not None:
        masked["description"] = MASK
    if isinstance(masked.get("properties"), dict):
        masked["properties"] = {key: MASK for key in masked["properties"]}
    return masked
