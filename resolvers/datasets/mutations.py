"""Dataset mutations. Each is one use case in `app.datasets.records` (one transaction), then a
bounded wait for its graph projection so the caller can read its own write."""

from __future__ import annotations

import strawberry

from app.core import models
from app.core.scope import Role
from app.datasets import descriptions, records
from app.journal.record import WriteResult
from resolvers.context import Info
from resolvers.datasets.types import Dataset
from resolvers.node import expect_global_id
from resolvers.permissions import requires


@strawberry.input(description="A column of a dataset schema.")
class DatasetFieldInput:
    name: str
    type: str | None = None
    description: str | None = None
    tags: list[str] = strawberry.field(default_factory=list, description="e.g. `pii`.")

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.type,
            "description": self.description,
            "tags": self.tags,
        }


@strawberry.input(description="Null leaves an attribute of an existing dataset as it is.")
class UpsertDatasetInput:
    namespace: str
    name: str
    description: str | None = None
    owners: list[str] | None = None
    tags: list[str] | None = None
    fields: list[DatasetFieldInput] | None = strawberry.field(
        default=None, description="The schema; a new version when it differs from the current."
    )


@strawberry.input
class UpdateDatasetSchemaInput:
    id: strawberry.ID
    fields: list[DatasetFieldInput]


@strawberry.type
class DatasetPayload:
    seq: int = strawberry.field(description="Sequence number of the change (0: nothing changed).")
    graph_synced: bool = strawberry.field(description="Whether the graph already has the change.")
    dataset: Dataset


async def _synced(info: Info, seq: int) -> bool:
    state = info.context.state
    return await state.projector.ensure_projected(
        seq, within=state.settings.projection_wait_timeout
    )


async def _payload(info: Info, result: WriteResult[models.Dataset]) -> DatasetPayload:
    synced = await _synced(info, result.seq)
    shown = (await info.context.access()).present_written_dataset(result.record)
    return DatasetPayload(seq=result.seq, graph_synced=synced, dataset=Dataset(record=shown))


@strawberry.input(description="An entity and a dataset it describes.")
class DescribeDatasetInput:
    entity_id: strawberry.ID
    dataset_id: strawberry.ID


@strawberry.type
class DescribePayload:
    seq: int = strawberry.field(description="Sequence number of the change (0: nothing changed).")
    graph_synced: bool


@strawberry.type
class DatasetMutations:
    @strawberry.mutation(
        extensions=requires(Role.EDITOR),
        description="Say that an entity describes a dataset (idempotent).",
    )
    async def describe_dataset(self, info: Info, input: DescribeDatasetInput) -> DescribePayload:
        seq = await descriptions.describe_dataset(
            info.context.state.sessions,
            scope=info.context.scope,
            entity_id=expect_global_id(input.entity_id, "Entity", field="entityId"),
            dataset_id=expect_global_id(input.dataset_id, "Dataset", field="datasetId"),
            access=await info.context.access(),
        )
        return DescribePayload(seq=seq, graph_synced=await _synced(info, seq))

    @strawberry.mutation(
        extensions=requires(Role.EDITOR),
        description="Remove the link between an entity and a dataset.",
    )
    async def undescribe_dataset(self, info: Info, input: DescribeDatasetInput) -> DescribePayload:
        seq = await descriptions.undescribe_dataset(
            info.context.state.sessions,
            scope=info.context.scope,
            entity_id=expect_global_id(input.entity_id, "Entity", field="entityId"),
            dataset_id=expect_global_id(input.dataset_id, "Dataset", field="datasetId"),
            access=await info.context.access(),
        )
        return DescribePayload(seq=seq, graph_synced=await _synced(info, seq))

    @strawberry.mutation(
        extensions=requires(Role.EDITOR),
        description="Create a dataset, or update the one with this namespace+name.",
    )
    async def upsert_dataset(self, info: Info, input: UpsertDatasetInput) -> DatasetPayload:
        result = await records.upsert_dataset(
            info.context.state.sessions,
            scope=info.context.scope,
            namespace=input.namespace,
            name=input.name,
            description=input.description,
            owners=input.owners,
            tags=input.tags,
            fields=[f.as_dict() for f in input.fields] if input.fields is not None else None,
            access=await info.context.access(),
        )
        return await _payload(info, result)

    @strawberry.mutation(
        extensions=requires(Role.EDITOR),
        description="Replace the schema; adds a version when it changed.",
    )
    async def update_dataset_schema(
        self, info: Info, input: UpdateDatasetSchemaInput
    ) -> DatasetPayload:
        result = await records.update_dataset_schema(
            info.context.state.sessions,
            scope=info.context.scope,
            dataset_id=expect_global_id(input.id, "Dataset"),
            fields=[f.as_dict() for f in input.fields],
            access=await info.context.access(),
        )
        return await _payload(info, result)

    @strawberry.mutation(
        extensions=requires(Role.EDITOR),
        description="Soft-delete a dataset: it leaves the lineage graph.",
    )
    async def delete_dataset(self, info: Info, id: strawberry.ID) -> DatasetPayload:
        result = await records.delete_dataset(
            info.context.state.sessions,
            scope=info.context.scope,
            dataset_id=expect_global_id(id, "Dataset"),
            access=await info.context.access(),
        )
        return await _payload(info, result)
