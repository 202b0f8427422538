"""GraphQL types for datasets, their fields and versions, jobs and runs.
Field resolvers only call loaders (or the lineage module, which calls loaders)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from app.access.resources import dataset_resource
from app.core import models
from app.core.errors import NotFound
from app.datasets.records import field_id
from resolvers.context import Info
from resolvers.datasets.loaders import DatasetLoaders
from resolvers.node import Node, to_global_id
from resolvers.node_types import NodeType

if TYPE_CHECKING:
    from resolvers.entities.types import Entity
    from resolvers.lineage.types import ColumnLineage, LineageNodeConnection

LINEAGE_TYPES = "resolvers.lineage.types"


@strawberry.type(description="A column of a dataset, as of the dataset's current schema.")
class DatasetField:
    dataset_id: strawberry.Private[uuid.UUID]
    name: str
    type: str | None
    description: str | None
    tags: list[str] = strawberry.field(description="e.g. `pii`.")
    restricted: bool = strawberry.field(
        default=False,
        description="True for a column of a dataset hidden from you, reached by column "
        "lineage: a placeholder whose name is withheld (`name` is `restricted-<n>`, numbered "
        "within the result) and whose `dataset` is null.",
    )

    @classmethod
    def from_schema(cls, dataset_id: uuid.UUID, item: dict[str, Any]) -> DatasetField:
        return cls(
            dataset_id=dataset_id,
            name=item["name"],
            type=item.get("type"),
            description=item.get("description"),
            tags=list(item.get("tags") or []),
        )

    @classmethod
    def placeholder(cls, dataset_id: uuid.UUID, number: int) -> DatasetField:
        return cls(
            dataset_id=dataset_id,
            name=f"restricted-{number}",
            type=None,
            description=None,
            tags=[],
            restricted=True,
        )

    @strawberry.field
    async def dataset(self, info: Info) -> Dataset | None:
        return await dataset_or_none(info, self.dataset_id)

    @strawberry.field(
        description="Columns this column is computed from, hop by hop, with the transformation "
        "of each hop (depth at most 10)."
    )
    async def upstream(
        self, info: Info, depth: int = 1, per_hop_limit: int = 25
    ) -> Annotated[ColumnLineage, strawberry.lazy(LINEAGE_TYPES)]:
        from resolvers.lineage.types import column_lineage

        return await column_lineage(info, self._root(), "UPSTREAM", depth, per_hop_limit)

    @strawberry.field(description="Columns computed from this column, hop by hop.")
    async def downstream(
        self, info: Info, depth: int = 1, per_hop_limit: int = 25
    ) -> Annotated[ColumnLineage, strawberry.lazy(LINEAGE_TYPES)]:
        from resolvers.lineage.types import column_lineage

        return await column_lineage(info, self._root(), "DOWNSTREAM", depth, per_hop_limit)

    def _root(self) -> str:
        if self.restricted:
            raise NotFound("This column belongs to a dataset hidden from you.")
        return field_id(self.dataset_id, self.name)


@strawberry.type(description="One version of a dataset's schema.")
class DatasetVersion:
    record: strawberry.Private[models.DatasetVersion]

    @strawberry.field
    def version(self) -> int:
        return self.record.version

    @strawberry.field
    def fields(self) -> list[DatasetField]:
        return [DatasetField.from_schema(self.record.dataset_id, f) for f in self.record.fields]

    @strawberry.field
    def created_at(self) -> datetime:
        return self.record.created_at


@strawberry.type(
    description="An active governance policy whose resource selectors cover a dataset."
)
class GoverningPolicy:
    policy_id: strawberry.ID = strawberry.field(description="The policy's global ID.")
    name: str
    effect: str = strawberry.field(description="ALLOW or DENY.")
    actions: list[str]
    reason: str = strawberry.field(description="Which selectors match, e.g. `tagged pii`.")


@strawberry.type(description="A table, file, topic or view, identified by namespace and name.")
class Dataset(Node):
    record: strawberry.Private[models.Dataset]

    @strawberry.field(description="The global ID of this dataset.")
    def id(self) -> strawberry.ID:
        return to_global_id("Dataset", self.record.id)

    @strawberry.field(description="Where the dataset lives, e.g. `postgres://db:5432`.")
    def namespace(self) -> str:
        return self.record.namespace

    @strawberry.field
    def name(self) -> str:
        return self.record.name

    @strawberry.field
    def description(self) -> str | None:
        return self.record.description

    @strawberry.field
    def owners(self) -> list[str]:
        return list(self.record.owners)

    @strawberry.field
    def tags(self) -> list[str]:
        return list(self.record.tags)

    @strawberry.field(description="The current schema.")
    def fields(self) -> list[DatasetField]:
        return [DatasetField.from_schema(self.record.id, f) for f in self.record.fields]

    @strawberry.field(description="One column of the current schema by name.")
    def field(self, name: str) -> DatasetField | None:
        found = [f for f in self.record.fields if f["name"] == name]
        return DatasetField.from_schema(self.record.id, found[0]) if found else None

    @strawberry.field(description="The number of the current schema version (0: no schema).")
    def schema_version(self) -> int:
        return self.record.schema_version

    @strawberry.field(description="Every schema version, oldest first.")
    async def versions(self, info: Info) -> list[DatasetVersion]:
        return [DatasetVersion(record=row) for row in await self._versions(info)]

    @strawberry.field(description="The schema as of a version; null when there is no such one.")
    async def as_of(self, info: Info, version: int) -> DatasetVersion | None:
        found = [row for row in await self._versions(info) if row.version == version]
        return DatasetVersion(record=found[0]) if found else None

    async def _versions(self, info: Info) -> list[models.DatasetVersion]:
        """The schema versions, oldest first, masked as the current schema is."""
        rows = await info.context.loaders(DatasetLoaders).versions_by_dataset.load(self.record.id)
        return (await info.context.access()).present_versions(self.record, rows)

    @strawberry.field(description="Increases on every change of this dataset.")
    def version(self) -> int:
        return self.record.version

    @strawberry.field
    def created_at(self) -> datetime:
        return self.record.created_at

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.record.updated_at

    @strawberry.field(description="Set while the dataset is deleted.")
    def deleted_at(self) -> datetime | None:
        return self.record.deleted_at

    @strawberry.field(
        description="The active policies that govern this dataset (by kind, namespace, tag or "
        "id), highest priority first. Answered from the policies loaded for the request, "
        "without another database round trip."
    )
    async def governed_by(self, info: Info) -> list[GoverningPolicy]:
        access = await info.context.access()
        resource = dataset_resource(self.record)
        found = [(rule, why) for rule in access.rules if (why := rule.governs(resource))]
        found.sort(key=lambda item: (-item[0].priority, item[0].name))
        return [
            GoverningPolicy(
                policy_id=to_global_id("Policy", rule.id),
                name=rule.name,
                effect=rule.effect,
                actions=sorted(rule.actions),
                reason=why,
            )
            for rule, why in found
        ]

    @strawberry.field(description="Jobs that write this dataset.")
    async def producers(self, info: Info) -> list[Job]:
        jobs = await info.context.loaders(DatasetLoaders).producers_by_dataset.load(self.record.id)
        return [Job(record=job) for job in jobs]

    @strawberry.field(description="Jobs that read this dataset.")
    async def consumers(self, info: Info) -> list[Job]:
        jobs = await info.context.loaders(DatasetLoaders).consumers_by_dataset.load(self.record.id)
        return [Job(record=job) for job in jobs]

    @strawberry.field(description="Entities of the knowledge graph that describe this dataset.")
    async def entities(
        self, info: Info
    ) -> list[Annotated[Entity, strawberry.lazy("resolvers.entities.types")]]:
        from resolvers.entities.types import Entity

        records = await info.context.loaders(DatasetLoaders).entities_by_dataset.load(
            self.record.id
        )
        return [Entity(record=record) for record in records]

    @strawberry.field(
        description="Datasets this one is derived from, nearest first (depth at most 10, "
        "at most `perHopLimit` edges followed from each dataset)."
    )
    async def upstream(
        self,
        info: Info,
        depth: int = 1,
        per_hop_limit: int = 25,
        first: int | None = None,
        after: str | None = None,
    ) -> Annotated[LineageNodeConnection, strawberry.lazy(LINEAGE_TYPES)]:
        from resolvers.lineage.types import lineage_connection

        return await lineage_connection(
            info, self.record.id, "UPSTREAM", depth, per_hop_limit, first, after
        )

    @strawberry.field(description="Datasets derived from this one, nearest first.")
    async def downstream(
        self,
        info: Info,
        depth: int = 1,
        per_hop_limit: int = 25,
        first: int | None = None,
        after: str | None = None,
    ) -> Annotated[LineageNodeConnection, strawberry.lazy(LINEAGE_TYPES)]:
        from resolvers.lineage.types import lineage_connection

        return await lineage_connection(
            info, self.record.id, "DOWNSTREAM", depth, per_hop_limit, first, after
        )


@strawberry.type(description="One execution of a job.")
class Run(Node):
    record: strawberry.Private[models.Run]

    @strawberry.field(description="The global ID of this run.")
    def id(self) -> strawberry.ID:
        return to_global_id("Run", self.record.id)

    @strawberry.field(description="The OpenLineage runId.")
    def run_id(self) -> str:
        return str(self.record.id)

    @strawberry.field(description="START, RUNNING, COMPLETE, FAIL, ABORT or OTHER.")
    def state(self) -> str:
        return self.record.state

    @strawberry.field
    def started_at(self) -> datetime | None:
        return self.record.started_at

    @strawberry.field
    def ended_at(self) -> datetime | None:
        return self.record.ended_at

    @strawberry.field(description="Run facets of the OpenLineage events, merged.")
    def facets(self) -> JSON:
        return cast(JSON, self.record.facets)

    @strawberry.field(description="How many events have been merged into this run.")
    def version(self) -> int:
        return self.record.version

    @strawberry.field
    async def job(self, info: Info) -> Job | None:
        return await job_or_none(info, self.record.job_id)


@strawberry.type(description="A process that reads input datasets and writes output datasets.")
class Job(Node):
    record: strawberry.Private[models.Job]

    @strawberry.field(description="The global ID of this job.")
    def id(self) -> strawberry.ID:
        return to_global_id("Job", self.record.id)

    @strawberry.field
    def namespace(self) -> str:
        return self.record.namespace

    @strawberry.field
    def name(self) -> str:
        return self.record.name

    @strawberry.field
    def description(self) -> str | None:
        return self.record.description

    @strawberry.field(description="Datasets the job reads, over all its runs.")
    async def inputs(self, info: Info) -> list[Dataset]:
        return await datasets_in_order(info, self.record.inputs)

    @strawberry.field(description="Datasets the job writes, over all its runs.")
    async def outputs(self, info: Info) -> list[Dataset]:
        return await datasets_in_order(info, self.record.outputs)

    @strawberry.field(description="The latest runs, newest first (at most 20).")
    async def runs(self, info: Info) -> list[Run]:
        rows = await info.context.loaders(DatasetLoaders).runs_by_job.load(self.record.id)
        return [Run(record=row) for row in rows]

    @strawberry.field(description="The most recently started run.")
    async def latest_run(self, info: Info) -> Run | None:
        rows = await info.context.loaders(DatasetLoaders).runs_by_job.load(self.record.id)
        return Run(record=rows[0]) if rows else None


async def dataset_or_none(info: Info, dataset_id: uuid.UUID) -> Dataset | None:
    record = await info.context.loaders(DatasetLoaders).dataset_by_id.load(dataset_id)
    return Dataset(record=record) if record is not None else None


async def job_or_none(info: Info, job_id: uuid.UUID) -> Job | None:
    record = await info.context.loaders(DatasetLoaders).job_by_id.load(job_id)
    return Job(record=record) if record is not None else None


async def datasets_in_order(info: Info, ids: list[uuid.UUID]) -> list[Dataset]:
    records = await info.context.loaders(DatasetLoaders).dataset_by_id.load_many(ids)
    found = [r for r in records if r is not None and r.deleted_at is None]
    return [Dataset(record=r) for r in sorted(found, key=lambda r: (r.namespace, r.name))]


async def _run_node(info: Info, run_id: uuid.UUID) -> Run | None:
    record = await info.context.loaders(DatasetLoaders).run_by_id.load(run_id)
    return Run(record=record) if record is not None else None


NODES = (NodeType(Dataset, dataset_or_none), NodeType(Job, job_or_none), NodeType(Run, _run_node))
