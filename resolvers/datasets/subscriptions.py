"""`datasetChanged` and `lineageChanged`: live changes to datasets and to the lineage around
one, from whichever replica made them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

import strawberry

from app.changes.records import Change
from app.core.errors import BadUserInput
from app.core.scope import Role
from app.lineage.traversal import MAX_DEPTH, LineageKey, traversals
from resolvers.changes.live import live_changes, live_stream
from resolvers.changes.types import ChangeAction, change_action, change_object_id
from resolvers.context import Info
from resolvers.datasets.loaders import DatasetLoaders
from resolvers.datasets.types import Dataset, Job
from resolvers.node import expect_global_id, to_global_id
from resolvers.permissions import requires

# Changes that can move lineage: a job's inputs and outputs, a dataset and its columns.
_LINEAGE_AGGREGATES = frozenset({"dataset", "job"})
NEIGHBOURHOOD_PER_HOP = 100


@strawberry.type(
    description="A change to a dataset, to the jobs that read or write it, or to "
    "the entities that describe it."
)
class DatasetChange:
    change: strawberry.Private[Change]

    @strawberry.field(description="Sequence number; resume from it with changes(since:).")
    def seq(self) -> int:
        return self.change.seq

    @strawberry.field(description="The event name, e.g. `dataset.upserted` or `job.upserted`.")
    def type(self) -> str:
        return self.change.event_type

    @strawberry.field
    def action(self) -> ChangeAction:
        return change_action(self.change)

    @strawberry.field(description="The new version of the changed object.")
    def version(self) -> int:
        return self.change.version

    @strawberry.field(description="The global ID of the changed object.")
    def object_id(self) -> strawberry.ID:
        return change_object_id(self.change)

    @strawberry.field(description="The global IDs of the datasets (and entity) a link touches.")
    def linked_ids(self) -> list[strawberry.ID]:
        if self.change.is_description:
            # A link's endpoints are its entity, then its dataset (`app.changes.records`).
            kinds = ("Entity", "Dataset")
            return [to_global_id(k, e) for k, e in zip(kinds, self.change.endpoints, strict=True)]
        return [to_global_id("Dataset", e) for e in self.change.endpoints]

    @strawberry.field(description="The dataset as it is now (null for job and link changes).")
    async def dataset(self, info: Info) -> Dataset | None:
        if self.change.aggregate_type != "dataset":
            return None
        record = await info.context.loaders(DatasetLoaders).dataset_by_id.load(
            self.change.aggregate_id
        )
        return Dataset(record=record) if record is not None else None

    @strawberry.field(description="The job as it is now (null unless a job changed).")
    async def job(self, info: Info) -> Job | None:
        if self.change.aggregate_type != "job":
            return None
        record = await info.context.loaders(DatasetLoaders).job_by_id.load(self.change.aggregate_id)
        return Job(record=record) if record is not None else None


async def _neighbourhood(info: Info, dataset_id: uuid.UUID, depth: int) -> set[uuid.UUID]:
    """The dataset and every dataset within `depth` hops up- or downstream of it."""
    keys = [
        LineageKey(
            root=str(dataset_id),
            direction=direction,
            depth=depth,
            per_hop_limit=NEIGHBOURHOOD_PER_HOP,
        )
        for direction in ("UPSTREAM", "DOWNSTREAM")
    ]
    found = await traversals(info.context.state.graph, info.context.scope, keys)
    return {dataset_id} | {uuid.UUID(node) for result in found for node in result.nodes}


@strawberry.type
class DatasetSubscriptions:
    @strawberry.subscription(
        extensions=requires(Role.VIEWER),
        description="Changes to one dataset (`id`: the dataset, the jobs that read or write "
        "it, the entities that describe it) or to every dataset of a `namespace`. Give exactly "
        "one of them.",
    )
    async def dataset_changed(
        self, info: Info, id: strawberry.ID | None = None, namespace: str | None = None
    ) -> AsyncGenerator[DatasetChange, None]:
        if (id is None) == (namespace is None):
            raise BadUserInput("Give exactly one of id or namespace.", field="id")
        dataset_id = expect_global_id(id, "Dataset") if id is not None else None
        async for change in live_changes(info):
            if dataset_id is not None:
                if change.aggregate_type not in ("dataset", "job"):
                    continue
                if not change.touches(dataset_id):
                    continue
            elif change.aggregate_type != "dataset" or change.namespace != namespace:
                continue
            yield DatasetChange(change=change)

    @strawberry.subscription(
        extensions=requires(Role.VIEWER),
        description="Any dataset or job change within `depth` hops of a dataset, up- or "
        f"downstream (depth 1 to {MAX_DEPTH}). The neighbourhood is recomputed whenever "
        "lineage changes, so datasets that join it are followed too.",
    )
    async def lineage_changed(
        self, info: Info, dataset_id: strawberry.ID, depth: int = 1
    ) -> AsyncGenerator[DatasetChange, None]:
        if not 1 <= depth <= MAX_DEPTH:
            raise BadUserInput(
                f"depth must be between 1 and {MAX_DEPTH} (got {depth}).", field="depth"
            )
        root = expect_global_id(dataset_id, "Dataset", field="datasetId")
        async with live_stream(info) as changes:
            watched = await _neighbourhood(info, root, depth)
            async for change in changes:
                if change.aggregate_type not in _LINEAGE_AGGREGATES:
                    continue
                if change.aggregate_id not in watched and watched.isdisjoint(change.endpoints):
                    continue
                yield DatasetChange(change=change)
                if change.aggregate_type == "job" or change.event_type == "dataset.deleted":
                    # The lineage moved: what is within reach may have changed with it.
                    watched = await _neighbourhood(info, root, depth)
