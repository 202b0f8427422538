"""Lineage queries: `lineage`, `impact` and `path`."""

from __future__ import annotations

import uuid

import strawberry

from app.core.errors import BadUserInput, NotFound
from app.core.scope import Role
from app.lineage import traversal
from app.lineage.traversal import MAX_DEPTH
from resolvers.caching import CACHEABLE
from resolvers.context import Info
from resolvers.datasets.loaders import DatasetLoaders
from resolvers.datasets.types import Dataset
from resolvers.lineage.types import (
    MAX_PER_HOP_LIMIT,
    LineageDirectionInput,
    LineageEdge,
    LineageGraph,
    check_bounds,
    lineage_graph,
    traverse,
)
from resolvers.node import expect_global_id
from resolvers.pagination import PartialReason
from resolvers.permissions import requires


@strawberry.type(description="A dataset that a change would reach.")
class ImpactedDataset:
    dataset: Dataset
    distance: int = strawberry.field(description="Hops downstream of the changed dataset.")

    @strawberry.field(description="Who to tell.")
    def owners(self) -> list[str]:
        return list(self.dataset.record.owners)


@strawberry.type(description="Everything downstream of a dataset, nearest first.")
class Impact:
    datasets: list[ImpactedDataset]
    partial_reasons: list[PartialReason]

    @strawberry.field(description="True when a cap cut the traversal short.")
    def partial(self) -> bool:
        return bool(self.partial_reasons)

    @strawberry.field(description="Every distinct owner of an impacted dataset.")
    def owners(self) -> list[str]:
        return sorted({o for item in self.datasets for o in item.dataset.record.owners})


@strawberry.type(description="One directed lineage path.")
class LineagePath:
    nodes: list[Dataset]
    edges: list[LineageEdge]

    @strawberry.field(description="Number of hops.")
    def length(self) -> int:
        return len(self.edges)


@strawberry.type(description="The shortest directed lineage paths between two datasets.")
class LineagePaths:
    paths: list[LineagePath]
    truncated: bool = strawberry.field(description="More shortest paths exist than returned.")

    @strawberry.field(
        description="Hops of the shortest path; null when none exists.",
    )
    def length(self) -> int | None:
        return self.paths[0].length() if self.paths else None


async def _existing_dataset(info: Info, global_id: str, field: str) -> uuid.UUID:
    raw = expect_global_id(global_id, "Dataset", field=field)
    record = await info.context.loaders(DatasetLoaders).dataset_by_id.load(raw)
    if record is None or record.deleted_at is not None:
        raise NotFound(f"{field} names no dataset.", id=global_id, field=field)
    return raw


@strawberry.type
class LineageQueries:
    @strawberry.field(
        metadata=CACHEABLE,
        extensions=requires(Role.VIEWER),
        description="Every dataset and distinct edge within `depth` hops (at most 10) of a "
        "dataset, with the job on each edge and the degree of each dataset.",
    )
    async def lineage(
        self,
        info: Info,
        node_id: strawberry.ID,
        direction: LineageDirectionInput = LineageDirectionInput.BOTH,
        depth: int = 3,
        per_hop_limit: int = 25,
    ) -> LineageGraph:
        check_bounds(depth, per_hop_limit)
        root = await _existing_dataset(info, node_id, "nodeId")
        return await lineage_graph(info, root, direction, depth, per_hop_limit)

    @strawberry.field(
        metadata=CACHEABLE,
        extensions=requires(Role.VIEWER),
        description="The datasets downstream of a dataset, with their owners.",
    )
    async def impact(self, info: Info, dataset_id: strawberry.ID, depth: int = 5) -> Impact:
        check_bounds(depth, MAX_PER_HOP_LIMIT)
        root = await _existing_dataset(info, dataset_id, "datasetId")
        result = await traverse(info, str(root), ("DOWNSTREAM",), depth, MAX_PER_HOP_LIMIT)
        ids = [uuid.UUID(node) for node in result.nodes]
        records = await info.context.loaders(DatasetLoaders).dataset_by_id.load_many(ids)
        distances = [distance for distance, _ in result.nodes.values()]
        return Impact(
            datasets=[
                ImpactedDataset(dataset=Dataset(record=r), distance=d)
                for r, d in zip(records, distances, strict=True)
                if r is not None
            ],
            partial_reasons=sorted(
                (PartialReason(r) for r in result.partial_reasons), key=lambda r: r.value
            ),
        )

    @strawberry.field(
        metadata=CACHEABLE,
        extensions=requires(Role.VIEWER),
        description="The shortest directed lineage paths from one dataset to another "
        "(at most 25 of them, `maxDepth` at most 10).",
    )
    async def path(
        self, info: Info, from_id: strawberry.ID, to_id: strawberry.ID, max_depth: int = MAX_DEPTH
    ) -> LineagePaths:
        check_bounds(max_depth, 1, depth_field="maxDepth")
        source = await _existing_dataset(info, from_id, "fromId")
        target = await _existing_dataset(info, to_id, "toId")
        if source == target:
            raise BadUserInput("fromId and toId name the same dataset.", field="toId")
        paths, truncated = await traversal.shortest_paths(
            info.context.state.graph,
            info.context.scope,
            source=str(source),
            target=str(target),
            max_depth=max_depth,
        )
        ids = sorted({uuid.UUID(n) for p in paths for n in p.nodes})
        records = dict(
            zip(
                ids,
                await info.context.loaders(DatasetLoaders).dataset_by_id.load_many(ids),
                strict=True,
            )
        )
        # A path through a dataset the caller may not see is not shown at all.
        paths = [p for p in paths if all(records[uuid.UUID(n)] for n in p.nodes)]
        return LineagePaths(
            paths=[
                LineagePath(
                    nodes=[Dataset(record=r) for n in p.nodes if (r := records[uuid.UUID(n)])],
                    edges=[LineageEdge(edge=e) for e in p.edges],
                )
                for p in paths
            ],
            truncated=truncated,
        )
