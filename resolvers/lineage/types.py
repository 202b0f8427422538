"""GraphQL types of lineage results, and the one place where traversal results are assembled.

`traverse` is the only path from a traversal in the graph to what a client sees: it decides,
in one batch through `DatasetByIdLoader`, which datasets reached are hidden by policy, and
marks the result partial (RESTRICTED). A hidden dataset stays in the result as a placeholder
(`restricted: true`, `dataset: null`) so the shape of the graph stays honest without leaking
its name or namespace.
"""

from __future__ import annotations

import base64
import binascii
import enum
import uuid

import strawberry

from app.core.errors import BadUserInput
from app.lineage.manual import MANUAL_NAMESPACE
from app.lineage.traversal import (
    MAX_DEPTH,
    Degree,
    LineageDirection,
    LineageKey,
    LineageKind,
    Traversal,
)
from app.lineage.traversal import LineageEdge as GraphEdge
from resolvers.context import Info
from resolvers.datasets.loaders import DatasetLoaders
from resolvers.datasets.types import Dataset, DatasetField, Job, dataset_or_none, job_or_none
from resolvers.lineage.loaders import LineageLoaders
from resolvers.node import PageInfo, to_global_id
from resolvers.pagination import PartialReason, page_size

MAX_PER_HOP_LIMIT = 100
MAX_NODES = 1_000


@strawberry.enum(description="Which way to follow lineage from a node.")
class LineageDirectionInput(enum.Enum):
    UPSTREAM = "UPSTREAM"
    DOWNSTREAM = "DOWNSTREAM"
    BOTH = "BOTH"


def check_bounds(depth: int, per_hop_limit: int, *, depth_field: str = "depth") -> None:
    if not 1 <= depth <= MAX_DEPTH:
        raise BadUserInput(
            f"{depth_field} must be between 1 and {MAX_DEPTH} (got {depth}).", field=depth_field
        )
    if not 1 <= per_hop_limit <= MAX_PER_HOP_LIMIT:
        raise BadUserInput(
            f"perHopLimit must be between 1 and {MAX_PER_HOP_LIMIT} (got {per_hop_limit}).",
            field="perHopLimit",
        )


async def traverse(
    info: Info,
    root: str,
    directions: tuple[LineageDirection, ...],
    depth: int,
    per_hop_limit: int,
    kind: LineageKind = "dataset",
    *,
    shown: slice | None = None,
) -> Traversal:
    """Run the traversal(s) through the loader and merge them into one result. `shown` is
    the slice of the reached nodes a page shows (None: all of them): only those are loaded
    as records; the rest are only checked for RESTRICTED, by id."""
    keys = [
        LineageKey(
            root=root,
            direction=direction,
            kind=kind,
            depth=depth,
            per_hop_limit=per_hop_limit,
            max_nodes=MAX_NODES,
        )
        for direction in directions
    ]
    parts = await info.context.loaders(LineageLoaders).traversal_by_key.load_many(keys)
    merged = Traversal()
    for part in parts:
        merged.found = merged.found or part.found
        merged.root_degree = part.root_degree if part.found else merged.root_degree
        for node, (distance, degree) in part.nodes.items():
            known = merged.nodes.get(node)
            if node != root and (known is None or distance < known[0]):
                merged.nodes[node] = (distance, degree)
        merged.edges.update(part.edges)
        merged.partial_reasons |= part.partial_reasons
    merged.nodes = dict(sorted(merged.nodes.items(), key=lambda item: (item[1][0], item[0])))
    merged.edges = dict(sorted(merged.edges.items(), key=lambda item: _edge_order(item[0])))
    if await _hides_any(info, root, merged, kind, shown):
        merged.partial_reasons.add("RESTRICTED")
    return merged


async def _hides_any(
    info: Info, root: str, traversal: Traversal, kind: LineageKind, shown: slice | None
) -> bool:
    """Whether a policy hides a dataset the traversal reached. The datasets shown are
    loaded in one batch (the loader keeps the records, so their fields cost nothing more);
    those a page leaves out are only checked in SQL, since a hub's traversal reaches
    hundreds of datasets that a page never shows. Both batch across every traversal of the
    request."""
    reached = {
        *traversal.nodes,
        *(n for e in traversal.edges.values() for n in (e.source, e.target)),
    }
    page = reached if shown is None else {root, *list(traversal.nodes)[shown]}
    if kind == "field":
        reached = {n.partition(":")[0] for n in reached}
        page = {n.partition(":")[0] for n in page}
    loaders = info.context.loaders(DatasetLoaders)
    records = await loaders.dataset_by_id.load_many(sorted(map(uuid.UUID, page & reached)))
    if any(record is None for record in records):
        return True
    rest = reached - page
    if not rest or (await info.context.access()).allows_every("read", "dataset"):
        # Datasets are never removed from Postgres (deletion is a mark, and a deleted one
        # still counts as reached), so with no policy able to deny the caller a read,
        # nothing beyond the page can be hidden: no need to ask Postgres about each.
        return False
    return not all(await loaders.readable_by_id.load_many(sorted(map(uuid.UUID, rest))))


def _edge_order(key: tuple[str, str, str | None]) -> tuple[str, str, str]:
    return key[0], key[1], key[2] or ""


def _reasons(traversal: Traversal) -> list[PartialReason]:
    return sorted((PartialReason(r) for r in traversal.partial_reasons), key=lambda r: r.value)


# --- dataset lineage ---------------------------------------------------------------------


@strawberry.type(description="A dataset reached by a lineage traversal.")
class LineageNode:
    distance: int = strawberry.field(description="Hops from the start (0 for the start).")
    in_degree: int = strawberry.field(description="Lineage edges into this dataset.")
    out_degree: int = strawberry.field(description="Lineage edges out of this dataset.")
    id: strawberry.ID = strawberry.field(description="The global ID of the dataset.")
    # Set from the records the traversal already loaded (`_nodes`): plain values, so a
    # page of nodes costs graphql-core no resolver call and no awaitable per node.
    dataset: Dataset | None = strawberry.field(
        description="Null when the dataset is hidden by policy."
    )
    restricted: bool = strawberry.field(
        description="True when a policy hides this dataset from the caller: a placeholder "
        "that keeps the shape of the graph."
    )


async def _nodes(info: Info, reached: list[tuple[str, int, Degree]]) -> list[LineageNode]:
    """Nodes with their datasets, as the caller may see them. `traverse` has loaded these
    records already, so this is one pass over the loader's cache, not a round trip."""
    loader = info.context.loaders(DatasetLoaders).dataset_by_id
    records = await loader.load_many([uuid.UUID(n) for n, _, _ in reached])
    return [
        LineageNode(
            id=strawberry.ID(to_global_id("Dataset", n)),
            distance=distance,
            in_degree=degree.inputs,
            out_degree=degree.outputs,
            dataset=Dataset(record=record) if record is not None else None,
            restricted=record is None,
        )
        for (n, distance, degree), record in zip(reached, records, strict=True)
    ]


@strawberry.type(description="Data flows from `source` to `target` through `job`.")
class LineageEdge:
    edge: strawberry.Private[GraphEdge]

    @strawberry.field
    def source_id(self) -> strawberry.ID:
        return to_global_id("Dataset", self.edge.source)

    @strawberry.field
    def target_id(self) -> strawberry.ID:
        return to_global_id("Dataset", self.edge.target)

    @strawberry.field
    async def source(self, info: Info) -> Dataset | None:
        return await dataset_or_none(info, uuid.UUID(self.edge.source))

    @strawberry.field
    async def target(self, info: Info) -> Dataset | None:
        return await dataset_or_none(info, uuid.UUID(self.edge.target))

    @strawberry.field(description="The job that moves the data.")
    async def job(self, info: Info) -> Job | None:
        return await job_or_none(info, uuid.UUID(self.edge.via)) if self.edge.via else None

    @strawberry.field(description="True when the edge was recorded by hand (`recordLineage`).")
    async def manual(self, info: Info) -> bool:
        job = await self.job(info)
        return job is not None and job.record.namespace == MANUAL_NAMESPACE


@strawberry.type(description="Every dataset and every distinct edge within the bounds.")
class LineageGraph:
    nodes: list[LineageNode] = strawberry.field(description="The start first, then by distance.")
    edges: list[LineageEdge]
    partial_reasons: list[PartialReason]

    @strawberry.field(
        description="True when a cap cut the traversal short or a dataset was hidden."
    )
    def partial(self) -> bool:
        return bool(self.partial_reasons)


async def lineage_graph(
    info: Info, root: uuid.UUID, direction: LineageDirectionInput, depth: int, per_hop_limit: int
) -> LineageGraph:
    check_bounds(depth, per_hop_limit)
    directions: tuple[LineageDirection, ...] = (
        ("UPSTREAM", "DOWNSTREAM")
        if direction is LineageDirectionInput.BOTH
        else (direction.value,)
    )
    result = await traverse(info, str(root), directions, depth, per_hop_limit)
    reached = [(str(root), 0, result.root_degree)]
    reached += [(n, distance, degree) for n, (distance, degree) in result.nodes.items()]
    return LineageGraph(
        nodes=await _nodes(info, reached),
        edges=[LineageEdge(edge=e) for e in result.edges.values()],
        partial_reasons=_reasons(result),
    )


@strawberry.type
class LineageNodeEdge:
    cursor: str
    node: LineageNode


@strawberry.type(description="Datasets reached by a traversal, nearest first, a page at a time.")
class LineageNodeConnection:
    edges: list[LineageNodeEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Datasets reached, over all pages.")
    partial_reasons: list[PartialReason]

    @strawberry.field(
        description="True when a cap cut the traversal short or a dataset was hidden."
    )
    def partial(self) -> bool:
        return bool(self.partial_reasons)


async def lineage_connection(
    info: Info,
    root: uuid.UUID,
    direction: LineageDirection,
    depth: int,
    per_hop_limit: int,
    first: int | None,
    after: str | None,
) -> LineageNodeConnection:
    check_bounds(depth, per_hop_limit)
    size = page_size(info, first)
    start = _offset(after) + 1 if after is not None else 0
    result = await traverse(
        info, str(root), (direction,), depth, per_hop_limit, shown=slice(start, start + size)
    )
    reached = list(result.nodes.items())
    page = reached[start : start + size]
    nodes = await _nodes(info, [(n, distance, degree) for n, (distance, degree) in page])
    edges = [LineageNodeEdge(cursor=_cursor(start + i), node=node) for i, node in enumerate(nodes)]
    return LineageNodeConnection(
        edges=edges,
        page_info=PageInfo.of(edges, has_next=start + size < len(reached), has_previous=start > 0),
        total_count=len(reached),
        partial_reasons=_reasons(result),
    )


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"lineage:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    try:
        kind, _, raw = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "lineage":
            raise ValueError(kind)
        return int(raw)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise BadUserInput(
            "after is not a cursor of this list; pass an endCursor from a previous page.",
            field="after",
        ) from exc


# --- column lineage ----------------------------------------------------------------------


@strawberry.type(description="A column reached by a column-lineage traversal.")
class ColumnLineageNode:
    distance: int
    field: DatasetField


@strawberry.type(description="One hop of column lineage and how the data is transformed.")
class ColumnLineageEdge:
    source: DatasetField
    target: DatasetField
    transformation: str | None = strawberry.field(
        description="OpenLineage transformation type/subtype, e.g. `DIRECT/AGGREGATION`."
    )


@strawberry.type
class ColumnLineage:
    nodes: list[ColumnLineageNode]
    edges: list[ColumnLineageEdge]
    partial_reasons: list[PartialReason]

    @strawberry.field(
        description="True when a cap cut the traversal short or a dataset was hidden."
    )
    def partial(self) -> bool:
        return bool(self.partial_reasons)


async def column_lineage(
    info: Info, root: str, direction: LineageDirection, depth: int, per_hop_limit: int
) -> ColumnLineage:
    check_bounds(depth, per_hop_limit)
    result = await traverse(info, root, (direction,), depth, per_hop_limit, kind="field")
    ids = {root, *result.nodes, *(n for e in result.edges.values() for n in (e.source, e.target))}
    fields = dict(zip(sorted(ids), await _fields(info, sorted(ids)), strict=True))
    return ColumnLineage(
        nodes=[
            ColumnLineageNode(distance=distance, field=fields[n])
            for n, (distance, _) in result.nodes.items()
        ],
        edges=[
            ColumnLineageEdge(
                source=fields[e.source], target=fields[e.target], transformation=e.via
            )
            for e in result.edges.values()
        ],
        partial_reasons=_reasons(result),
    )


async def _fields(info: Info, ids: list[str]) -> list[DatasetField]:
    """Columns by graph id (`<dataset uuid>:<name>`), described by their dataset's schema.
    A column of a dataset hidden from the caller becomes a numbered placeholder: the edges
    keep their shape, and the column's name is not shown."""
    keys = [(uuid.UUID(raw.partition(":")[0]), raw.partition(":")[2]) for raw in ids]
    records = await info.context.loaders(DatasetLoaders).dataset_by_id.load_many(
        [k[0] for k in keys]
    )
    fields: list[DatasetField] = []
    hidden = 0
    for (dataset_id, name), record in zip(keys, records, strict=True):
        if record is None:
            hidden += 1
            fields.append(DatasetField.placeholder(dataset_id, hidden))
            continue
        schema = [f for f in record.fields if f["name"] == name]
        fields.append(DatasetField.from_schema(dataset_id, schema[0] if schema else {"name": name}))
    return fields
