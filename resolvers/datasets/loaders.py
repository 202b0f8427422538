"""Per-request DataLoaders for datasets, jobs and runs: one statement per batch, key order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from app import datasets as dataset_records
from app import descriptions as description_records
from app import jobs as job_records
from app.models import Dataset, DatasetVersion, Entity, Job, Run
from app.scope import Scope
from app.state import AppState

RUNS_PER_JOB = 20


class DatasetByIdLoader(DataLoader[uuid.UUID, Dataset | None]):
    def __init__(self, state: AppState, scope: Scope) -> None:
        self._state, self._scope = state, scope
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[Dataset | None]:
        async with self._state.sessions() as session:
            return await dataset_records.datasets_by_ids(
                session, organization_id=self._scope.organization_id, ids=ids
            )


class VersionsByDatasetLoader(DataLoader[uuid.UUID, list[DatasetVersion]]):
    def __init__(self, state: AppState) -> None:
        self._state = state
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[list[DatasetVersion]]:
        async with self._state.sessions() as session:
            return await dataset_records.versions_by_dataset_ids(session, ids=ids)


class JobByIdLoader(DataLoader[uuid.UUID, Job | None]):
    def __init__(self, state: AppState, scope: Scope) -> None:
        self._state, self._scope = state, scope
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[Job | None]:
        async with self._state.sessions() as session:
            return await job_records.jobs_by_ids(
                session, organization_id=self._scope.organization_id, ids=ids
            )


class RunsByJobLoader(DataLoader[uuid.UUID, list[Run]]):
    """The latest runs of each job, newest first."""

    def __init__(self, state: AppState, scope: Scope) -> None:
        self._state, self._scope = state, scope
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[list[Run]]:
        async with self._state.sessions() as session:
            return await job_records.runs_by_job_ids(
                session, organization_id=self._scope.organization_id, ids=ids, limit=RUNS_PER_JOB
            )


class JobsByDatasetLoader(DataLoader[uuid.UUID, list[Job]]):
    """Producers (jobs writing the dataset) or consumers (jobs reading it)."""

    def __init__(self, state: AppState, scope: Scope, *, producers: bool) -> None:
        self._state, self._scope, self._producers = state, scope, producers
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[list[Job]]:
        async with self._state.sessions() as session:
            return await job_records.jobs_touching_datasets(
                session,
                organization_id=self._scope.organization_id,
                ids=ids,
                as_output=self._producers,
            )


class DatasetsByEntityLoader(DataLoader[uuid.UUID, list[Dataset]]):
    """Datasets an entity describes."""

    def __init__(self, state: AppState, scope: Scope) -> None:
        self._state, self._scope = state, scope
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[list[Dataset]]:
        async with self._state.sessions() as session:
            return await description_records.datasets_of_entities(
                session, organization_id=self._scope.organization_id, ids=ids
            )


class EntitiesByDatasetLoader(DataLoader[uuid.UUID, list[Entity]]):
    """Entities that describe a dataset."""

    def __init__(self, state: AppState, scope: Scope) -> None:
        self._state, self._scope = state, scope
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[list[Entity]]:
        async with self._state.sessions() as session:
            return await description_records.entities_of_datasets(
                session, organization_id=self._scope.organization_id, ids=ids
            )


class DatasetLoaders:
    def __init__(self, state: AppState, scope: Scope) -> None:
        self.dataset_by_id = DatasetByIdLoader(state, scope)
        self.versions_by_dataset = VersionsByDatasetLoader(state)
        self.job_by_id = JobByIdLoader(state, scope)
        self.runs_by_job = RunsByJobLoader(state, scope)
        self.producers_by_dataset = JobsByDatasetLoader(state, scope, producers=True)
        self.consumers_by_dataset = JobsByDatasetLoader(state, scope, producers=False)
        self.datasets_by_entity = DatasetsByEntityLoader(state, scope)
        self.entities_by_dataset = EntitiesByDatasetLoader(state, scope)
