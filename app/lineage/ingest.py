"""OpenLineage ingest: one event, one Postgres transaction.

The transaction keeps the raw event (deduplicated by its key), creates or updates the
datasets, schema versions, column lineage, job and run it describes, and appends an outbox
event for each changed dataset and job. When Neo4j is down the event is still accepted; the
projector brings the graph up to date later.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.checks import check_dataset_write, check_job_write
from app.access.control import AccessControl
from app.access.resources import dataset_resource
from app.core.db import SessionFactory
from app.core.errors import BadUserInput, Forbidden, NexusError, as_unavailable, error_body
from app.core.models import Dataset, Job, OpenLineageEvent
from app.core.records import lock_by_name
from app.core.scope import Scope
from app.datasets import jobs
from app.datasets import records as datasets
from app.journal.audit import record_denial
from app.lineage.openlineage import DatasetRef, ParsedEvent, parse_event

# What the audit log calls sending lineage (and a refusal of it).
INGEST_ACTION = "openlineage.ingest"


STATUSES = ("accepted", "duplicate", "invalid", "denied", "failed")
log = logging.getLogger("nexus.openlineage")


@dataclass(frozen=True, slots=True)
class IngestResult:
    event_id: int | None
    duplicate: bool
    seq: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "duplicate" if self.duplicate else "accepted",
            "duplicate": self.duplicate,
            "eventId": self.event_id,
            "seq": self.seq,
        }


@dataclass(frozen=True, slots=True)
class BatchResult:
    """One result per event, in order (`index`, `status` and, when refused, the error)."""

    results: list[dict[str, Any]]

    @property
    def seq(self) -> int:
        """The last sequence number of the batch's graph changes (0: none)."""
        return max((r.get("seq", 0) for r in self.results), default=0)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for r in self.results if r["status"] == s) for s in STATUSES}


async def ingest_raw(
    sessions: SessionFactory, *, scope: Scope, raw: Any, access: AccessControl | None
) -> IngestResult:
    """Parse and validate one event as a pipeline sent it, then ingest it. A refusal by a
    policy is audited in its own transaction; a backend that cannot be reached is
    UNAVAILABLE."""
    event = parse_event(raw)
    try:
        return await ingest_event(sessions, scope=scope, event=event, raw=raw, access=access)
    except Forbidden as exc:
        kind, target = exc.target or ("dataset", None)
        await record_denial(
            sessions,
            scope=scope,
            action=INGEST_ACTION,
            target_type=kind,
            target_id=target,
            reason={"message": exc.message},
        )
        raise
    except Exception as exc:
        unavailable = as_unavailable(exc)
        if unavailable is not None:
            raise unavailable from exc
        raise


async def ingest_batch(
    sessions: SessionFactory, *, scope: Scope, events: list[Any], access: AccessControl | None
) -> BatchResult:
    """Each event validated and committed on its own: a bad event never costs a good one."""
    results: list[dict[str, Any]] = []
    for index, raw in enumerate(events):
        try:
            result = await ingest_raw(sessions, scope=scope, raw=raw, access=access)
            results.append({"index": index, **result.as_dict()})
        except NexusError as exc:
            status = (
                "invalid"
                if isinstance(exc, BadUserInput)
                else "denied"
                if isinstance(exc, Forbidden)
                else "failed"
            )
            results.append({"index": index, "status": status, **error_body(exc)})
        except Exception:
            log.exception("could not ingest an OpenLineage event", extra={"index": index})
            results.append({"index": index, "status": "failed", "error": "Internal error."})
    return BatchResult(results)


async def ingest_event(
    sessions: SessionFactory,
    *,
    scope: Scope,
    event: ParsedEvent,
    raw: dict[str, Any],
    access: AccessControl | None = None,
) -> IngestResult:
    """Record the raw event and apply it, in one transaction. `access` (None for system
    callers) must allow writing every dataset the event creates or changes; otherwise
    FORBIDDEN and nothing, not even the raw event, is kept."""
    async with sessions() as session, session.begin():
        event_id = await session.scalar(
            insert(OpenLineageEvent)
            .values(
                organization_id=scope.organization_id,
                dedupe_key=event.dedupe_key,
                kind=event.kind,
                event_type=event.event_type,
                event_time=event.event_time,
                run_id=event.run_id,
                payload=raw,
            )
            .on_conflict_do_nothing(index_elements=["organization_id", "dedupe_key"])
            .returning(OpenLineageEvent.id)
        )
        if event_id is None:
            return IngestResult(event_id=None, duplicate=True, seq=0)
        seq = await _apply(session, scope, event, access)
    return IngestResult(event_id=event_id, duplicate=False, seq=seq)


async def _apply(
    session: AsyncSession, scope: Scope, event: ParsedEvent, access: AccessControl | None
) -> int:
    refs = _merged_refs(event)
    # Lock in a fixed order so that concurrent events touching the same datasets never deadlock.
    locked: dict[tuple[str, str], tuple[Dataset, bool, bool]] = {}
    for key in sorted(refs):
        dataset, created = await lock_by_name(session, Dataset, scope, *key)
        locked[key] = (dataset, created, dataset.deleted_at is not None)
    # What each existing dataset was, for the policies: a write must be allowed on what a
    # dataset was and on what it becomes.
    was = {key: dataset_resource(d) for key, (d, created, _) in locked.items() if not created}
    changed: dict[tuple[str, str], dict[str, Any] | None] = {}
    for key, (dataset, created, restored) in locked.items():
        before = None if created else datasets.dataset_snapshot(dataset)
        if _merge_dataset(session, dataset, refs[key], event, locked) or created or restored:
            dataset.deleted_at = None
            changed[key] = before
    for key in changed:
        if key in was:
            check_dataset_write(access, locked[key][0], was[key])
        check_dataset_write(access, locked[key][0])
    seq = 0
    # Sources of column lineage first: the graph links fields of datasets already projected.
    for key in sorted(changed, key=lambda k: (bool(locked[k][0].column_lineage), k)):
        dataset, created, _ = locked[key]
        seq = await datasets.record_dataset_change(
            session, scope, dataset, "dataset.upserted", before=changed[key], created=created
        )
    for dataset, _, restored in locked.values():
        if restored:
            seq = await datasets.reproject_links_of(session, scope, dataset.id) or seq
    if event.job_namespace is None or event.job_name is None:
        return seq
    job, job_created = await lock_by_name(session, Job, scope, event.job_namespace, event.job_name)
    check_job_write(access, job)
    grew = jobs.add_io(
        job,
        inputs=[locked[(d.namespace, d.name)][0].id for d in event.inputs],
        outputs=[locked[(d.namespace, d.name)][0].id for d in event.outputs],
    )
    described = event.job_description is not None and job.description != event.job_description
    if described:
        job.description = event.job_description
    if grew or job_created or described:
        seq = await jobs.record_job_change(session, scope, job)
    if event.run_id is not None and event.event_type is not None:
        run = await jobs.apply_run_event(
            session,
            scope,
            run_id=event.run_id,
            job=job,
            state=event.event_type,
            event_time=event.event_time,
            facets=event.run_facets,
        )
        seq = await jobs.record_run_change(session, scope, run)
    return seq


def _merged_refs(event: ParsedEvent) -> dict[tuple[str, str], list[DatasetRef]]:
    """Every dataset the event names (inputs, outputs, column-lineage sources), by key."""
    refs: dict[tuple[str, str], list[DatasetRef]] = {}
    for ref in event.datasets:
        refs.setdefault((ref.namespace, ref.name), []).append(ref)
        for link in ref.column_lineage:
            refs.setdefault((link.source_namespace, link.source_name), [])
    return refs


def _merge_dataset(
    session: AsyncSession,
    dataset: Dataset,
    refs: list[DatasetRef],
    event: ParsedEvent,
    locked: dict[tuple[str, str], tuple[Dataset, bool, bool]],
) -> bool:
    """Fold what the event says about one dataset into its record; True if anything changed.

    Owners, tags and column lineage accumulate; the schema and description follow the newest
    event that carried a schema, so facets arriving late never roll a dataset back.
    """
    changed = False
    newest = dataset.schema_event_time is None or event.event_time >= dataset.schema_event_time
    for ref in refs:
        owners = sorted({*dataset.owners, *ref.owners})
        tags = sorted({*dataset.tags, *ref.tags})
        if owners != sorted(dataset.owners) or tags != sorted(dataset.tags):
            dataset.owners, dataset.tags, changed = owners, tags, True
        if ref.description is not None and newest and ref.description != dataset.description:
            dataset.description, changed = ref.description, True
        if ref.fields is not None and newest:
            changed = datasets.add_schema_version(session, dataset, ref.fields) or changed
            dataset.schema_event_time = event.event_time
        if ref.column_lineage:
            links = {
                (link["field"], link["source_dataset"], link["source_field"]): link
                for link in dataset.column_lineage
            }
            for new in ref.column_lineage:
                source = locked[(new.source_namespace, new.source_name)][0].id
                key = (new.field, str(source), new.source_field)
                old = links.get(key)
                # Keep the larger transformation name, so arrival order cannot matter.
                transformation = max(
                    (t for t in (new.transformation, old and old["transformation"]) if t),
                    default=None,
                )
                links[key] = {
                    "field": new.field,
                    "source_dataset": str(source),
                    "source_field": new.source_field,
                    "transformation": transformation,
                }
            merged = [links[k] for k in sorted(links)]
            if merged != dataset.column_lineage:
                dataset.column_lineage, changed = merged, True
    return changed
