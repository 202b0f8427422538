"""Jobs and their runs: records and reads. They are written by OpenLineage ingest.

A job's inputs and outputs accumulate over its runs, so events can arrive in any order and
twice and still describe the same job. A run's state follows its events by precedence: a
terminal state (COMPLETE, FAIL, ABORT) beats a running one, and among equals the later event
time wins, so a late START never overwrites COMPLETE.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import among
from app.core.errors import BadUserInput
from app.core.models import Job, Run
from app.core.records import grouped_in_key_order, in_key_order
from app.core.scope import Scope
from app.journal.outbox import append_event
from app.journal.record import record_change

TERMINAL_STATES = frozenset({"COMPLETE", "FAIL", "ABORT"})
MAX_RUNS_PER_JOB = 100


async def jobs_by_ids(
    session: AsyncSession, *, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Job | None]:
    rows = await session.scalars(
        select(Job).where(Job.organization_id == organization_id, among(Job.id, ids))
    )
    return in_key_order(rows, ids)


async def runs_by_ids(
    session: AsyncSession, *, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Run | None]:
    rows = await session.scalars(
        select(Run).where(Run.organization_id == organization_id, among(Run.id, ids))
    )
    return in_key_order(rows, ids)


async def job_by_name(
    session: AsyncSession, *, organization_id: uuid.UUID, namespace: str, name: str
) -> Job | None:
    return await session.scalar(
        select(Job).where(
            Job.organization_id == organization_id,
            Job.namespace == namespace.strip(),
            Job.name == name.strip(),
        )
    )


async def runs_by_job_ids(
    session: AsyncSession, *, organization_id: uuid.UUID, ids: Sequence[uuid.UUID], limit: int
) -> list[list[Run]]:
    """The latest `limit` runs of each job, newest first: one statement for all jobs."""
    ranked = (
        select(
            Run.id,
            func.row_number()
            .over(
                partition_by=Run.job_id,
                order_by=(Run.started_at.desc().nulls_last(), Run.id.desc()),
            )
            .label("rank"),
        )
        .where(Run.organization_id == organization_id, among(Run.job_id, ids))
        .subquery()
    )
    rows = await session.scalars(
        select(Run)
        .join(ranked, ranked.c.id == Run.id)
        .where(ranked.c.rank <= limit)
        .order_by(Run.job_id, ranked.c.rank)
    )
    return grouped_in_key_order(rows, ids, key=lambda row: row.job_id)


async def jobs_touching_datasets(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    as_output: bool,
) -> list[list[Job]]:
    """Producers (as_output) or consumers of each dataset, ordered by namespace and name."""
    column = Job.outputs if as_output else Job.inputs
    rows = await session.scalars(
        select(Job)
        .where(Job.organization_id == organization_id, column.overlap(list(ids)))
        .order_by(Job.namespace, Job.name)
    )
    grouped: dict[uuid.UUID, list[Job]] = {key: [] for key in ids}
    for job in rows:
        for dataset_id in job.outputs if as_output else job.inputs:
            if dataset_id in grouped:
                grouped[dataset_id].append(job)
    return [grouped[key] for key in ids]


async def jobs_in_batches(
    session: AsyncSession, *, batch_size: int, after: uuid.UUID | None = None
) -> list[Job]:
    query = select(Job).order_by(Job.id)
    if after is not None:
        query = query.where(Job.id > after)
    return list(await session.scalars(query.limit(batch_size)))


def job_graph_payload(job: Job) -> dict[str, Any]:
    return {
        "id": str(job.id),
        "org": str(job.organization_id),
        "namespace": job.namespace,
        "name": job.name,
        "version": job.version,
        "inputs": sorted({str(i) for i in job.inputs}),
        "outputs": sorted({str(o) for o in job.outputs}),
    }


def add_io(job: Job, *, inputs: Sequence[uuid.UUID], outputs: Sequence[uuid.UUID]) -> bool:
    """Accumulate inputs and outputs; True when either grew."""
    new_inputs = sorted(set(job.inputs) | set(inputs))
    new_outputs = sorted(set(job.outputs) | set(outputs))
    if new_inputs == sorted(job.inputs) and new_outputs == sorted(job.outputs):
        return False
    job.inputs, job.outputs = new_inputs, new_outputs
    return True


async def record_job_change(session: AsyncSession, scope: Scope, job: Job) -> int:
    job.version += 1
    job.updated_at = func.now()
    await session.flush()
    await session.refresh(job)
    payload = job_graph_payload(job)
    seq = await record_change(
        session,
        scope=scope,
        aggregate_type="job",
        aggregate_id=job.id,
        event_type="job.upserted",
        version=job.version,
        payload=payload,
        action="job.create" if job.version == 1 else "job.upsert",
        after=payload,
    )
    return seq


def run_graph_payload(run: Run) -> dict[str, Any]:
    return {
        "id": str(run.id),
        "org": str(run.organization_id),
        "job_id": str(run.job_id),
        "state": run.state,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "ended_at": run.ended_at.isoformat() if run.ended_at else None,
    }


async def runs_in_batches(
    session: AsyncSession, *, batch_size: int, after: uuid.UUID | None = None
) -> list[Run]:
    query = select(Run).order_by(Run.id)
    if after is not None:
        query = query.where(Run.id > after)
    return list(await session.scalars(query.limit(batch_size)))


async def record_run_change(session: AsyncSession, scope: Scope, run: Run) -> int:
    await session.flush()
    return await append_event(
        session,
        scope=scope,
        aggregate_type="run",
        aggregate_id=run.id,
        event_type="run.upserted",
        version=run.version,
        payload=run_graph_payload(run),
    )


def _precedence(state: str, at: datetime) -> tuple[bool, datetime]:
    return state in TERMINAL_STATES, at


async def apply_run_event(
    session: AsyncSession,
    scope: Scope,
    *,
    run_id: uuid.UUID,
    job: Job,
    state: str,
    event_time: datetime,
    facets: dict[str, Any],
) -> Run:
    """Merge one run event into the run: insensitive to order and repetition."""
    run = await session.scalar(
        select(Run)
        .where(Run.id == run_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if run is None:
        run = Run(
            id=run_id,
            organization_id=scope.organization_id,
            job_id=job.id,
            state=state,
            state_time=event_time,
            facets=facets,
            version=1,
        )
        session.add(run)
    elif run.organization_id != scope.organization_id:
        # Run ids are the senders' own UUIDs: one that names another organisation's run is
        # refused, never merged into it (nor told whose it is).
        raise BadUserInput(
            "run.runId is already in use; each run needs its own UUID.", field="run.runId"
        )
    elif run.job_id != job.id:
        # A run belongs to one job: merging it into another would change that job's run
        # under a write check made on this one.
        raise BadUserInput(
            "run.runId is a run of another job; each run needs its own UUID.", field="run.runId"
        )
    else:
        if _precedence(state, event_time) > _precedence(run.state, run.state_time):
            run.state, run.state_time = state, event_time
            run.facets = {**run.facets, **facets}
        else:
            run.facets = {**facets, **run.facets}
        run.version += 1
        run.updated_at = func.now()
    if state not in TERMINAL_STATES and (run.started_at is None or event_time < run.started_at):
        run.started_at = event_time
    if state in TERMINAL_STATES and (run.ended_at is None or event_time > run.ended_at):
        run.ended_at = event_time
    return run
