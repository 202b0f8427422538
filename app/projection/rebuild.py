"""`nexus graph rebuild` and `nexus graph verify`: Postgres is the truth, Neo4j the index."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import SessionFactory
from app.core.models import Dataset, Entity, EntityDataset, Job, Policy, Relationship, Run
from app.datasets import descriptions as description_records
from app.datasets import jobs as job_records
from app.datasets import records as dataset_records
from app.entities import records
from app.journal import outbox
from app.policies import records as policies
from app.server import result_cache
from graph import bulk as graph_bulk
from graph import datasets as graph_datasets
from graph import entities as graph_entities
from graph import policies as graph_policies
from graph.driver import Graph, Statement

Progress = Callable[[str], None]
# label, rows done, rows expected (0: unknown), seconds since the phase began
Ticker = Callable[[str, int, int, float], None]


@dataclass
class RebuildReport:
    """What a rebuild wrote: rows per phase and seconds per phase, in order."""

    phases: dict[str, tuple[int, float]] = field(default_factory=dict)
    graph_nodes: int = 0
    graph_relationships: int = 0

    @property
    def rows(self) -> int:
        return sum(rows for rows, _ in self.phases.values())

    def count(self, phase: str) -> int:
        return self.phases.get(phase, (0, 0.0))[0]


class Meter:
    """Progress of one phase: a line that rewrites itself on a terminal, a line every few
    seconds otherwise, and a final line with the rate."""

    def __init__(self, label: str, total: int, progress: Progress, ticker: Ticker | None) -> None:
        self.label, self.total, self.progress, self.ticker = label, total, progress, ticker
        self.done = 0
        self.started = time.perf_counter()

    def advance(self, rows: int) -> None:
        self.done += rows
        if self.ticker is not None:
            self.ticker(self.label, self.done, self.total, self.elapsed)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def finish(self, report: RebuildReport) -> None:
        elapsed = self.elapsed
        rate = self.done / elapsed if elapsed > 0 else 0.0
        report.phases[self.label] = (self.done, elapsed)
        self.progress(f"{self.label}: {self.done:,} in {elapsed:.1f}s ({rate:,.0f}/s)")


async def rebuild_graph(
    sessions: SessionFactory,
    graph: Graph,
    *,
    batch_size: int,
    progress: Progress,
    ticker: Ticker | None = None,
) -> RebuildReport:
    """Empty Neo4j and replay every live record into it, in `UNWIND` batches of CREATEs.

    Holds the projection lock throughout, so no projector writes meanwhile; events committed
    before the snapshot are then marked projected, later ones are projected as usual. Reading
    the next batch from Postgres overlaps writing the current one to Neo4j.
    """
    report = RebuildReport()
    async with sessions() as lock_session:
        await lock_session.execute(
            select(text("pg_advisory_lock(:key)")).params(key=outbox.PROJECTOR_LOCK_KEY)
        )
        try:
            gone = await graph_entities.delete_everything(graph)
            progress(f"emptied the graph ({gone[0]:,} nodes, {gone[1]:,} relationships)")
            # Answers kept from the graph as it was are retired now, and again at the end.
            await result_cache.advance(await lock_session.connection())
            await lock_session.commit()
            async with sessions() as session, session.begin():
                await session.execute(
                    text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                )
                covered = await outbox.pending_ids_in_snapshot(await session.connection())
                loader = _Loader(session, graph, batch_size, progress, ticker, report)
                await loader.run()
            if covered:
                async with sessions() as session, session.begin():
                    await outbox.mark_projected(await session.connection(), covered)
        finally:
            # Answers kept while the graph was being rebuilt are retired, even after a
            # failure.
            await result_cache.advance(await lock_session.connection())
            await lock_session.commit()
            await lock_session.execute(
                select(text("pg_advisory_unlock(:key)")).params(key=outbox.PROJECTOR_LOCK_KEY)
            )
    # Both counts come from Neo4j's count store: constant time whatever the size.
    nodes = await graph.read("MATCH (n) RETURN count(n) AS c")
    edges = await graph.read("MATCH ()-[r]->() RETURN count(r) AS c")
    report.graph_nodes, report.graph_relationships = nodes[0]["c"], edges[0]["c"]
    return report


Fetch = Callable[[AsyncSession, int, Any], Awaitable[Sequence[Any]]]


class _Loader:
    def __init__(
        self,
        session: AsyncSession,
        graph: Graph,
        batch_size: int,
        progress: Progress,
        ticker: Ticker | None,
        report: RebuildReport,
    ) -> None:
        self.session, self.graph, self.batch_size = session, graph, batch_size
        self.progress, self.ticker, self.report = progress, ticker, report

    async def run(self) -> None:
        live_entities = Entity.deleted_at.is_(None)
        live_datasets = Dataset.deleted_at.is_(None)
        await self.phase(
            "entities",
            await self.count(select(func.count()).select_from(Entity).where(live_entities)),
            lambda s, n, after: records.active_entities_in_batches(s, batch_size=n, after=after),
            lambda e: e.id,
            lambda batch: [
                graph_bulk.create_entities([records.entity_graph_payload(e) for e in batch])
            ],
        )
        await self.phase(
            "relationships",
            await self.count(select(func.count()).select_from(Relationship)),
            lambda s, n, after: records.active_relationships_in_batches(
                s, batch_size=n, after=after
            ),
            lambda r: r.id,
            lambda batch: [
                graph_bulk.create_relationships(
                    [records.relationship_graph_payload(r) for r in batch]
                )
            ],
        )
        datasets = await self.count(select(func.count()).select_from(Dataset).where(live_datasets))
        await self.phase(
            "datasets",
            datasets,
            lambda s, n, after: dataset_records.active_datasets_in_batches(
                s, batch_size=n, after=after
            ),
            lambda d: d.id,
            lambda batch: [
                graph_bulk.create_datasets(
                    [dataset_records.dataset_graph_payload(d) for d in batch]
                )
            ],
        )
        await self.phase(
            "column lineage of datasets",
            datasets,
            lambda s, n, after: dataset_records.active_datasets_in_batches(
                s, batch_size=n, after=after
            ),
            lambda d: d.id,
            _column_lineage,
        )
        await self.phase(
            "jobs",
            await self.count(select(func.count()).select_from(Job)),
            lambda s, n, after: job_records.jobs_in_batches(s, batch_size=n, after=after),
            lambda j: j.id,
            lambda batch: [
                graph_bulk.create_jobs([job_records.job_graph_payload(j) for j in batch])
            ],
        )
        await self.phase(
            "runs",
            await self.count(select(func.count()).select_from(Run)),
            lambda s, n, after: job_records.runs_in_batches(s, batch_size=n, after=after),
            lambda r: r.id,
            lambda batch: [
                graph_bulk.create_runs([job_records.run_graph_payload(r) for r in batch])
            ],
        )
        await self.phase(
            "entity descriptions of datasets",
            await self.count(select(func.count()).select_from(EntityDataset)),
            lambda s, n, after: description_records.live_descriptions_in_batches(
                s, batch_size=n, after=after
            ),
            lambda link: (link.entity_id, link.dataset_id),
            lambda batch: [
                graph_bulk.create_descriptions(
                    [description_records.description_graph_payload(link) for link in batch]
                )
            ],
        )
        meter = Meter("policies", 0, self.progress, self.ticker)
        live = list(await self.session.scalars(select(Policy).where(Policy.deleted_at.is_(None))))
        if live:
            await self.graph.write_batch(
                [graph_policies.upsert_policies([policies.policy_graph_payload(p) for p in live])]
            )
        meter.advance(len(live))
        meter.finish(self.report)

    async def count(self, query: Any) -> int:
        return int(await self.session.scalar(query) or 0)

    async def phase(
        self,
        label: str,
        total: int,
        fetch: Fetch,
        key: Callable[[Any], Any],
        statements: Callable[[Sequence[Any]], list[Statement]],
    ) -> None:
        """Read batches in key order and write each one as it comes; the next read runs
        while the current write is under way (a queue of two batches)."""
        meter = Meter(label, total, self.progress, self.ticker)
        queue: asyncio.Queue[tuple[int, list[Statement]] | None] = asyncio.Queue(maxsize=2)

        async def read() -> None:
            after: Any = None
            while batch := await fetch(self.session, self.batch_size, after):
                after = key(batch[-1])
                await queue.put((len(batch), statements(batch)))
            await queue.put(None)

        reader = asyncio.create_task(read())
        try:
            while (item := await queue.get()) is not None:
                rows, work = item
                if work:
                    await self.graph.write_batch(work)
                meter.advance(rows)
            await reader
        finally:
            if not reader.done():
                reader.cancel()
        meter.finish(self.report)


def _column_lineage(batch: Sequence[Dataset]) -> list[Statement]:
    rows = []
    for dataset in batch:
        payload = dataset_records.dataset_graph_payload(dataset)
        rows += [
            link | {"dataset": payload["id"], "org": payload["org"]} for link in payload["lineage"]
        ]
    return [graph_bulk.create_column_lineage(rows)] if rows else []


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
    missing_policies: list[str] = field(default_factory=list)
    extra_policies: list[str] = field(default_factory=list)
    stale_policies: list[str] = field(default_factory=list)
    checked_datasets: int = 0
    checked_policies: int = 0
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
                self.missing_policies,
                self.extra_policies,
                self.stale_policies,
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
    graph_policy_versions = await graph_policies.policy_versions(graph)
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
        await _verify_policies(session, diff, graph_policy_versions)
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


async def _verify_policies(
    session: AsyncSession, diff: Differences, graph_versions: dict[str, int]
) -> None:
    """Every policy not deleted (drafts included) is a node; what it governs hangs off it."""
    rows = await session.execute(
        select(Policy.id, Policy.version).where(Policy.deleted_at.is_(None)).order_by(Policy.id)
    )
    for policy_id, version in rows:
        found = graph_versions.pop(str(policy_id), None)
        if found is None:
            diff.missing_policies.append(str(policy_id))
        elif found != version:
            diff.stale_policies.append(str(policy_id))
        diff.checked_policies += 1
    diff.extra_policies = sorted(graph_versions)


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
