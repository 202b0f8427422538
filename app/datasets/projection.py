"""What datasets, their column lineage, jobs, runs and describing entities are in the graph:
their events' Cypher, their replay in a rebuild, and what verify compares
(`app.projection.registry`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.models import Dataset, EntityDataset, Job, Run
from app.datasets import descriptions, jobs, records
from app.projection.registry import Check, DomainProjection, Replay, each
from graph import bulk as graph_bulk
from graph import datasets as graph_datasets
from graph.driver import Statement

LIVE_DATASETS = select(func.count()).select_from(Dataset).where(Dataset.deleted_at.is_(None))


async def _datasets(session: AsyncSession, batch_size: int, after: Any) -> Sequence[Dataset]:
    return await records.active_datasets_in_batches(session, batch_size=batch_size, after=after)


async def _jobs(session: AsyncSession, batch_size: int, after: Any) -> Sequence[Job]:
    return await jobs.jobs_in_batches(session, batch_size=batch_size, after=after)


async def _runs(session: AsyncSession, batch_size: int, after: Any) -> Sequence[Run]:
    return await jobs.runs_in_batches(session, batch_size=batch_size, after=after)


async def _descriptions(
    session: AsyncSession, batch_size: int, after: Any
) -> Sequence[EntityDataset]:
    return await descriptions.live_descriptions_in_batches(
        session, batch_size=batch_size, after=after
    )


def _column_lineage(batch: Sequence[Dataset]) -> list[Statement]:
    rows = []
    for dataset in batch:
        payload = records.dataset_graph_payload(dataset)
        rows += [
            link | {"dataset": payload["id"], "org": payload["org"]} for link in payload["lineage"]
        ]
    return [graph_bulk.create_column_lineage(rows)] if rows else []


PROJECTION = DomainProjection(
    name="datasets",
    builders={
        "dataset.upserted": each(graph_datasets.upsert_datasets),
        "dataset.deleted": each(graph_datasets.delete_datasets),
        "job.upserted": each(graph_datasets.upsert_jobs),
        "run.upserted": each(graph_datasets.upsert_runs),
        "description.created": each(graph_datasets.upsert_descriptions),
        "description.deleted": each(graph_datasets.delete_descriptions),
    },
    replays=(
        Replay(
            "datasets",
            count=LIVE_DATASETS,
            fetch=_datasets,
            key=lambda dataset: dataset.id,
            statements=lambda batch: [
                graph_bulk.create_datasets([records.dataset_graph_payload(d) for d in batch])
            ],
        ),
        # Once every dataset is in, so that lineage between any two of them can be drawn.
        Replay(
            "column lineage of datasets",
            count=LIVE_DATASETS,
            fetch=_datasets,
            key=lambda dataset: dataset.id,
            statements=_column_lineage,
        ),
        Replay(
            "jobs",
            count=select(func.count()).select_from(Job),
            fetch=_jobs,
            key=lambda job: job.id,
            statements=lambda batch: [
                graph_bulk.create_jobs([jobs.job_graph_payload(j) for j in batch])
            ],
        ),
        Replay(
            "runs",
            count=select(func.count()).select_from(Run),
            fetch=_runs,
            key=lambda run: run.id,
            statements=lambda batch: [
                graph_bulk.create_runs([jobs.run_graph_payload(r) for r in batch])
            ],
        ),
        Replay(
            "entity descriptions of datasets",
            count=select(func.count()).select_from(EntityDataset),
            fetch=_descriptions,
            key=lambda link: (link.entity_id, link.dataset_id),
            statements=lambda batch: [
                graph_bulk.create_descriptions(
                    [descriptions.description_graph_payload(link) for link in batch]
                )
            ],
        ),
    ),
    checks=(
        Check(
            "datasets",
            graph_state=graph_datasets.dataset_versions,
            fetch=_datasets,
            key=lambda dataset: dataset.id,
            expected=lambda dataset: (str(dataset.id), dataset.version),
        ),
        Check(
            "jobs",
            graph_state=graph_datasets.job_versions,
            fetch=_jobs,
            key=lambda job: job.id,
            expected=lambda job: (str(job.id), job.version),
        ),
        Check(
            "runs",
            graph_state=graph_datasets.run_states,
            fetch=_runs,
            key=lambda run: run.id,
            expected=lambda run: (str(run.id), run.state),
            differs="with a stale state in the graph",
        ),
    ),
)
