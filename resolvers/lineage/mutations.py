"""`recordLineage`: add or remove a manual lineage edge between two datasets."""

from __future__ import annotations

import strawberry

from app.core.scope import Role
from app.lineage import manual as manual_lineage
from resolvers.context import Info
from resolvers.datasets.types import Job
from resolvers.node import expect_global_id
from resolvers.permissions import requires


@strawberry.input(description="A manual edge: data flows from `sourceId` to `targetId`.")
class RecordLineageInput:
    source_id: strawberry.ID
    target_id: strawberry.ID
    remove: bool = strawberry.field(default=False, description="Remove the edge instead.")


@strawberry.type
class RecordLineagePayload:
    seq: int = strawberry.field(description="Sequence number of the change (0: nothing changed).")
    graph_synced: bool
    job: Job = strawberry.field(description="The manual job that carries the edge.")


@strawberry.type
class LineageMutations:
    @strawberry.mutation(
        extensions=requires(Role.EDITOR),
        description="Add (or, with `remove`, delete) a manual lineage edge between datasets.",
    )
    async def record_lineage(self, info: Info, input: RecordLineageInput) -> RecordLineagePayload:
        state = info.context.state
        result = await manual_lineage.record_lineage(
            state.sessions,
            scope=info.context.scope,
            source_id=expect_global_id(input.source_id, "Dataset", field="sourceId"),
            target_id=expect_global_id(input.target_id, "Dataset", field="targetId"),
            remove=input.remove,
            access=await info.context.access(),
        )
        synced = await state.projector.ensure_projected(
            result.seq, within=state.settings.projection_wait_timeout
        )
        return RecordLineagePayload(
            seq=result.seq, graph_synced=synced, job=Job(record=result.record)
        )
