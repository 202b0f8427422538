"""Manual lineage edges (`recordLineage`), for flows no pipeline reports.

A manual edge is a job of its own in the `nexus.manual` namespace, reading the source and
writing the target. It therefore travels the same way as ingested lineage (record, outbox,
projection, rebuild, verify), shows up as the job of its edge, and is removed by emptying
that job's inputs and outputs.
"""

from __future__ import annotations

import uuid

from app.access.checks import check_dataset_write, check_job_write
from app.access.control import AccessControl
from app.access.resources import dataset_resource
from app.core.db import SessionFactory
from app.core.errors import BadUserInput, NotFound
from app.core.models import Job
from app.core.records import lock_by_name
from app.core.scope import Scope
from app.datasets import jobs
from app.datasets.records import datasets_by_ids
from app.journal.record import WriteResult

MANUAL_NAMESPACE = "nexus.manual"


def manual_job_name(source_id: uuid.UUID, target_id: uuid.UUID) -> str:
    return f"{source_id}->{target_id}"


async def record_lineage(
    sessions: SessionFactory,
    *,
    scope: Scope,
    source_id: uuid.UUID,
    target_id: uuid.UUID,
    remove: bool = False,
    access: AccessControl | None = None,
) -> WriteResult[Job]:
    """Add (or remove) the manual edge source -> target; seq 0 when nothing changed.

    The edge changes the target's lineage, so `access` (None for system callers) must let
    the caller write the target; the source need only be readable. A dataset the caller
    may not read is reported like one that does not exist."""
    if source_id == target_id:
        raise BadUserInput("A dataset cannot feed itself.", field="targetId")
    async with sessions() as session, session.begin():
        found = await datasets_by_ids(
            session, organization_id=scope.organization_id, ids=[source_id, target_id]
        )
        for dataset, field in zip(found, ("sourceId", "targetId"), strict=True):
            if (
                dataset is None
                or dataset.deleted_at is not None
                or (access is not None and not access.allows("read", dataset_resource(dataset)))
            ):
                raise BadUserInput(f"{field} does not name an existing dataset.", field=field)
        target = found[1]
        if target is not None:
            check_dataset_write(access, target)
        job, created = await lock_by_name(
            session, Job, scope, MANUAL_NAMESPACE, manual_job_name(source_id, target_id)
        )
        check_job_write(access, job)
        wanted: tuple[list[uuid.UUID], list[uuid.UUID]] = (
            ([], []) if remove else ([source_id], [target_id])
        )
        if remove and (created or not job.outputs):
            raise NotFound("There is no manual lineage edge between these datasets.")
        if (list(job.inputs), list(job.outputs)) == wanted:
            return WriteResult(job, 0)
        job.inputs, job.outputs = wanted
        job.description = "Lineage recorded by hand."
        seq = await jobs.record_job_change(session, scope, job)
    return WriteResult(job, seq)
