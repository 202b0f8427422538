"""`node` and `nodes`: any object by its global ID, batched through the domain loaders."""

from __future__ import annotations

import asyncio

import strawberry

from app.core.errors import BadUserInput
from app.core.scope import Role
from resolvers.context import Info
from resolvers.datasets.types import Dataset, Job, Run
from resolvers.entities.types import Entity, relationship_from_id
from resolvers.node import Node, from_global_id
from resolvers.permissions import requires
from resolvers.policies.types import Policy

MAX_NODES = 100


async def _resolve(info: Info, global_id: str, field: str) -> Node | None:
    type_name, raw = from_global_id(global_id, field=field)
    loaders = info.context.entities
    if type_name == "Entity":
        entity = await loaders.entity_by_id.load(raw)
        return Entity(record=entity) if entity is not None else None
    if type_name == "Relationship":
        return await relationship_from_id(info, raw)
    if type_name == "Dataset":
        dataset = await info.context.datasets.dataset_by_id.load(raw)
        return Dataset(record=dataset) if dataset is not None else None
    if type_name == "Job":
        job = await info.context.datasets.job_by_id.load(raw)
        return Job(record=job) if job is not None else None
    if type_name == "Run":
        run = await info.context.datasets.run_by_id.load(raw)
        return Run(record=run) if run is not None else None
    if type_name == "Policy":
        policy = await info.context.policies.policy_by_id.load(raw)
        return Policy(record=policy) if policy is not None else None
    raise BadUserInput(f"{field} names an unknown type {type_name!r}.", field=field)


@strawberry.type
class NodeQueries:
    @strawberry.field(
        extensions=requires(Role.VIEWER),
        description="Any object by its global ID; null when there is none.",
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await _resolve(info, id, "id")

    @strawberry.field(
        extensions=requires(Role.VIEWER),
        description="Several objects by global ID, in order; null for misses.",
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise BadUserInput(f"ids may hold at most {MAX_NODES} IDs.", field="ids")
        return list(
            await asyncio.gather(*(_resolve(info, gid, f"ids[{i}]") for i, gid in enumerate(ids)))
        )
