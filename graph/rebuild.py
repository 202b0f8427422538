"""`nexus graph rebuild` and `nexus graph verify`: Postgres is the truth, Neo4j the index."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app import datasets as dataset_records
from app import descriptions as description_records
from app import entities as records
from app import jobs as job_records
from app import outbox, policies
from app.db import SessionFactory
from app.models import Policy
from graph import datasets as graph_datasets
from graph import entities as graph_entities
from graph import policies as graph_policies
from graph.driver import Graph

Progress = Callable[[str], None]


async def rebuild_graph(
    sessions: SessionFactory, graph: Graph, *, batch_size: int, progress: Progress
) -> tuple[int, int]:
    """Empty Neo4j and replay every live record into it, in `UNWIND` batches.

    Holds the projection lock throughout, so no projector writes meanwhile; events committed
    before the snapshot are then marked projected, later ones are projected as usual.
    """
    async with sessions() as lock_session:
        await lock_session.execute(
            select(text("pg_advisory_lock(:key)")).params(key=outbox.PROJECTOR_LOCK_KEY)
        )
        try:
            deleted = await graph_entities.delete_everything(graph)
            progress(f"emptied the graph ({deleted} nodes)")
            async with sessions() as session, session.begin():
                await session.execute(
                    text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                )
                covered = await outbox.pending_ids_in_snapshot(await session.connection())
                entities = await _replay_entities(session, graph, batch_size, progress)
                relationships = await _replay_relationships(session, graph, batch_size, progress)
                await _replay_lineage(session, graph, batch_size, progress)
                await _replay_policies(session, graph, progress)
            if covered:
                async with sessions() as session, session.begin():
                    await outbox.mark_projected(await session.connection(), covered)
        finally:
            await lock_session.execute(
                select(text("pg_advisory_unlock(:key)")).params(key=outbox.PROJECTOR_LOCK_KEY)
            )
    return entities, relationships


async def _replay_policies(session: AsyncSession, graph: Graph, progress: Progress) -> None:
    live = list(await session.scalars(select(Policy).where(Policy.deleted_at.is_(None))))
    if live:
        await graph.write_batch(
            [graph_policies.upsert_policies([policies.policy_graph_payload(p) for p in live])]
        )
    progress(f"policies: {len(live)}")


async def _replay_entities(
    session: AsyncSession, graph: Graph, batch_size: int, progress: Progress
) -> int:
    total = 0
    after_id: uuid.UUID | None = None
    while True:
        batch = await records.active_entities_in_batches(
            session, batch_size=batch_size, after=after_id
        )
        if not batch:
            return total
        await graph.write_batch(
            [graph_entities.upsert_entities([records.entity_graph_payload(e) for e in batch])]
        )
        total += len(batch)
        after_id = batch[-1].id
        progress(f"entities: {total}")


async def _replay_relationships(
    session: AsyncSession, graph: Graph, batch_size: int, progress: Progress
) -> int:
    total = 0
    after_id: uuid.UUID | None = None
    while True:
        batch = await records.active_relationships_in_batches(
            session, batch_size=batch_size, after=after_id
        )
        if not batch:
            return total
        await graph.write_batch(
            [
                graph_entities.upsert_relationships(
                    [records.relationship_graph_payload(r) for r in batch]
                )
            ]
        )
        total += len(batch)
        after_id = batch[-1].id
        progress(f"relationships: {total}")


async def _replay_lineage(
    session: AsyncSession, graph: Graph, batch_size: int, progress: Progress
) -> None:
    """Datasets twice (nodes and fields first, then the column lineage that links fields of
    different datasets), then jobs with their inputs, outputs and FEEDS shortcuts."""
    for with_lineage in (False, True):
        total, after_id = 0, None
        while batch := await dataset_records.active_datasets_in_batches(
            session, batch_size=batch_size, after=after_id
        ):
            rows = [dataset_records.dataset_graph_payload(d) for d in batch]
            if not with_lineage:
                rows = [row | {"lineage": []} for row in rows]
            await graph.write_batch([graph_datasets.upsert_datasets(rows)])
            total += len(batch)
            after_id = batch[-1].id
        progress(f"datasets: {total}" + (" (column lineage)" if with_lineage else ""))
    total, after_id = 0, None
    while jobs := await job_records.jobs_in_batches(session, batch_size=batch_size, after=after_id):
        await graph.write_batch(
            [graph_datasets.upsert_jobs([job_records.job_graph_payload(j) for j in jobs])]
        )
        total += len(jobs)
        after_id = jobs[-1].id
    progress(f"jobs: {total}")
    total, after_id = 0, None
    while runs := await job_records.runs_in_batches(session, batch_size=batch_size, after=after_id):
        await graph.write_batch(
            [graph_datasets.upsert_runs([job_records.run_graph_payload(r) for r in runs])]
        )
        total += len(runs)
        after_id = runs[-1].id
    progress(f"runs: {total}")
    total, after_link = 0, None
    while links := await description_records.live_descriptions_in_batches(
        session, batch_size=batch_size, after=after_link
    ):
        rows = [description_records.description_graph_payload(link) for link in links]
        await graph.write_batch([graph_datasets.upsert_descriptions(rows)])
        total += len(links)
        after_link = (links[-1].entity_id, links[-1].dataset_id)
    progress(f"entity descriptions of datasets: {total}")


@dataclass
class Differences:
    missing_entities: list[str] = field(default_factory=list)
    extra_entities: list[str] = field(default_factory=list)
    stale_entities: list[str] = field(default_factory=list)
    missing_relationships: list[str] = field(default_factory=list)
    extra_relationships: list[str] = field(default_factory=list)
    wrong_relationships: list[str] = field(default_factory=list)
    missing_datasets: list[str] = field(default_factory=list)
    extra_datasets: list[str] = field(default_factory=list)
    stale_datasets: list[str] = field(default_factory=list)
    missing_jobs: list[str] = field(default_factory=list)
    extra_jobs: list[str] = field(default_factory=list)
    stale_jobs: list[str] = field(default_factory=list)
    missing_runs: list[str] = field(default_factory=list)
    extra_runs: list[str] = field(default_factory=list)
    stale_runs: list[str] = field(default_factory=list)
    checked_datasets: int = 0
    checked_jobs: int = 0
    pending_events: int = 0
    checked_entities: int = 0
    checked_relationships: int = 0

    @property
    def clean(self) -> bool:
        return not any(
            (
                self.missing_entities,
                self.extra_entities,
                self.stale_entities,
                self.missing_relationships,
                self.extra_relationships,
                self.wrong_relationships,
                self.missing_datasets,
                self.extra_datasets,
                self.stale_datasets,
                self.missing_jobs,
                self.extra_jobs,
                self.stale_jobs,
                self.missing_runs,
                self.extra_runs,
                self.stale_runs,
            )
        )


async def verify_graph(
    sessions: SessionFactory, graph: Graph, *, batch_size: int = 5_000
) -> Differences:
    """Compare every live record with the graph. Events still pending show up as
    differences, so report their count too."""
    diff = Differences()
    graph_versions = await graph_entities.entity_versions(graph)
    graph_edges = await graph_entities.relationship_endpoints(graph)
    graph_datasets_versions = await graph_datasets.dataset_versions(graph)
    graph_job_versions = await graph_datasets.job_versions(graph)
    graph_run_states = await graph_datasets.run_states(graph)
    async with sessions() as session, session.begin():
        await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        diff.pending_events, _ = await outbox.projection_lag(await session.connection())
        after: uuid.UUID | None = None
        while batch := await records.active_entities_in_batches(
            session, batch_size=batch_size, after=after
        ):
            for entity in batch:
                key = str(entity.id)
                version = graph_versions.pop(key, None)
                if version is None:
                    diff.missing_entities.append(key)
                elif version != entity.version:
                    diff.stale_entities.append(key)
            diff.checked_entities += len(batch)
            after = batch[-1].id
        after = None
        while batch_r := await records.active_relationships_in_batches(
            session, batch_size=batch_size, after=after
        ):
            for rel in batch_r:
                key = str(rel.id)
                edge = graph_edges.pop(key, None)
                if edge is None:
                    diff.missing_relationships.append(key)
                elif edge != (str(rel.source_id), str(rel.target_id), rel.type):
                    diff.wrong_relationships.append(key)
            diff.checked_relationships += len(batch_r)
            after = batch_r[-1].id
        await _verify_lineage(session, diff, graph_datasets_versions, graph_job_versions)
        await _verify_runs(session, diff, graph_run_states)
    diff.extra_entities = sorted(graph_versions)
    diff.extra_relationships = sorted(graph_edges)
    return diff


async def _verify_lineage(
    session: AsyncSession,
    diff: Differences,
    graph_datasets_versions: dict[str, int],
    graph_job_versions: dict[str, int],
) -> None:
    after: uuid.UUID | None = None
    while datasets := await dataset_records.active_datasets_in_batches(
        session, batch_size=5_000, after=after
    ):
        for dataset in datasets:
            version = graph_datasets_versions.pop(str(dataset.id), None)
            if version is None:
                diff.missing_datasets.append(str(dataset.id))
            elif version != dataset.version:
                diff.stale_datasets.append(str(dataset.id))
        diff.checked_datasets += len(datasets)
        after = datasets[-1].id
    after = None
    while jobs := await job_records.jobs_in_batches(session, batch_size=5_000, after=after):
        for job in jobs:
            version = graph_job_versions.pop(str(job.id), None)
            if version is None:
                diff.missing_jobs.append(str(job.id))
            elif version != job.version:
                diff.stale_jobs.append(str(job.id))
        diff.checked_jobs += len(jobs)
        after = jobs[-1].id
    diff.extra_datasets = sorted(graph_datasets_versions)
    diff.extra_jobs = sorted(graph_job_versions)


async def _verify_runs(
    session: AsyncSession, diff: Differences, graph_states: dict[str, str]
) -> None:
    after: uuid.UUID | None = None
    while runs := await job_records.runs_in_batches(session, batch_size=5_000, after=after):
        for run in runs:
            state = graph_states.pop(str(run.id), None)
            if state is None:
                diff.missing_runs.append(str(run.id))
            elif state != run.state:
                diff.stale_runs.append(str(run.id))
        after = runs[-1].id
    diff.extra_runs = sorted(graph_states)
