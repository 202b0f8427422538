"""Per-request DataLoaders for datasets, jobs and runs: one statement per batch, key order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from app.core.models import Dataset, DatasetVersion, Entity, Job, Run
from app.core.scope import Scope
from app.datasets import descriptions as description_records
from app.datasets import jobs as job_records
from app.datasets import records as dataset_records
from app.runtime.state import AppState
from resolvers.loaders import AccessGetter, LoaderBundle

RUNS_PER_JOB = 20


class DatasetByIdLoader(DataLoader[uuid.UUID, Dataset | None]):
    """Datasets as the caller may see them: None when a policy hides one, sensitive
    descriptions masked. Every dataset read by id (lineage included) goes through here."""

    def __init__(self, state: AppState, scope: Scope, access: AccessGetter) -> None:
        self._state, self._scope, self._access = state, scope, access
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[Dataset | None]:
        found = await dataset_records.dataset_records(
            self._state.engine, organization_id=self._scope.organization_id, ids=ids
        )
        return (await self._access()).present_datasets(found)


class ReadableByIdLoader(DataLoader[uuid.UUID, bool]):
    """Whether the caller may read each dataset, without loading it: for what a result
    counts but does not show (a hub's traversal reaches hundreds that one page never shows).
    The same decision as `DatasetByIdLoader`, made in SQL."""

    def __init__(self, state: AppState, access: AccessGetter) -> None:
        self._state, self._access = state, access
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[bool]:
        access = await self._access()
        async with self._state.reads() as session:
            readable = await dataset_records.readable_ids(session, access=access, ids=ids)
        return [key in readable for key in ids]


class VersionsByDatasetLoader(DataLoader[uuid.UUID, list[DatasetVersion]]):
    def __init__(self, state: AppState) -> None:
        self._state = state
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[list[DatasetVersion]]:
        async with self._state.reads() as session:
            return await dataset_records.versions_by_dataset_ids(session, ids=ids)


class JobByIdLoader(DataLoader[uuid.UUID, Job | None]):
    """Jobs as the caller may see them: None when a policy hides one."""

    def __init__(self, state: AppState, scope: Scope, access: AccessGetter) -> None:
        self._state, self._scope, self._access = state, scope, access
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[Job | None]:
        async with self._state.reads() as session:
            found = await job_records.jobs_by_ids(
                session, organization_id=self._scope.organization_id, ids=ids
            )
        return (await self._access()).present_jobs(found)


class RunByIdLoader(DataLoader[uuid.UUID, Run | None]):
    """Runs as the caller may see them: with their job, so None when a policy hides it."""

    def __init__(self, state: AppState, scope: Scope, jobs: JobByIdLoader) -> None:
        self._state, self._scope, self._jobs = state, scope, jobs
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[Run | None]:
        async with self._state.reads() as session:
            found = await job_records.runs_by_ids(
                session, organization_id=self._scope.organization_id, ids=ids
            )
        jobs = await self._jobs.load_many([run.job_id for run in found if run is not None])
        readable = {job.id for job in jobs if job is not None}
        return [run if run is not None and run.job_id in readable else None for run in found]


class RunsByJobLoader(DataLoader[uuid.UUID, list[Run]]):
    """The latest runs of each job, newest first."""

    def __init__(self, state: AppState, scope: Scope) -> None:
        self._state, self._scope = state, scope
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[list[Run]]:
        async with self._state.reads() as session:
            return await job_records.runs_by_job_ids(
                session, organization_id=self._scope.organization_id, ids=ids, limit=RUNS_PER_JOB
            )


class JobsByDatasetLoader(DataLoader[uuid.UUID, list[Job]]):
    """Producers (jobs writing the dataset) or consumers (jobs reading it)."""

    def __init__(
        self, state: AppState, scope: Scope, access: AccessGetter, *, producers: bool
    ) -> None:
        self._state, self._scope, self._producers = state, scope, producers
        self._access = access
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[list[Job]]:
        async with self._state.reads() as session:
            found = await job_records.jobs_touching_datasets(
                session,
                organization_id=self._scope.organization_id,
                ids=ids,
                as_output=self._producers,
            )
        access = await self._access()
        return [[j for j in access.present_jobs(jobs) if j is not None] for jobs in found]


class DatasetsByEntityLoader(DataLoader[uuid.UUID, list[Dataset]]):
    """Datasets an entity describes, as the caller may see them."""

    def __init__(self, state: AppState, scope: Scope, access: AccessGetter) -> None:
        self._state, self._scope, self._access = state, scope, access
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[list[Dataset]]:
        async with self._state.reads() as session:
            found = await description_records.datasets_of_entities(
                session, organization_id=self._scope.organization_id, ids=ids
            )
        access = await self._access()
        return [[d for d in access.present_datasets(items) if d is not None] for items in found]


class EntitiesByDatasetLoader(DataLoader[uuid.UUID, list[Entity]]):
    """Entities that describe a dataset, as the caller may see them."""

    def __init__(self, state: AppState, scope: Scope, access: AccessGetter) -> None:
        self._state, self._scope, self._access = state, scope, access
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[list[Entity]]:
        async with self._state.reads() as session:
            found = await description_records.entities_of_datasets(
                session, organization_id=self._scope.organization_id, ids=ids
            )
        access = await self._access()
        return [[e for e in access.present_entities(items) if e is not None] for items in found]


class DatasetLoaders(LoaderBundle):
    def __init__(self, state: AppState, scope: Scope, access: AccessGetter) -> None:
        super().__init__(state, scope, access)
        self.dataset_by_id = DatasetByIdLoader(state, scope, access)
        self.readable_by_id = ReadableByIdLoader(state, access)
        self.versions_by_dataset = VersionsByDatasetLoader(state)
        self.job_by_id = JobByIdLoader(state, scope, access)
        self.runs_by_job = RunsByJobLoader(state, scope)
        self.run_by_id = RunByIdLoader(state, scope, self.job_by_id)
        self.producers_by_dataset = JobsByDatasetLoader(state, scope, access, producers=True)
        self.consumers_by_dataset = JobsByDatasetLoader(state, scope, access, producers=False)
        self.datasets_by_entity = DatasetsByEntityLoader(state, scope, access)
        self.entities_by_dataset = EntitiesByDatasetLoader(state, scope, access)
