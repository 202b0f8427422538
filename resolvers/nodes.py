"""`node` and `nodes`: any object by its global ID, batched through the domain loaders."""

from __future__ import annotations

import asyncio
from typing import cast

import strawberry

from app.core.errors import BadUserInput
from app.core.scope import Role
from resolvers.caching import CACHEABLE
from resolvers.context import Info
from resolvers.node import Node, from_global_id
from resolvers.node_types import WithNodeTypes
from resolvers.permissions import requires

MAX_NODES = 100


async def _resolve(info: Info, global_id: str, field: str) -> Node | None:
    type_name, raw = from_global_id(global_id, field=field)
    schema = cast(WithNodeTypes, info.schema)
    node_type = schema.node_types.get(type_name)
    if node_type is None:
        raise BadUserInput(f"{field} names an unknown type {type_name!r}.", field=field)
    return await node_type.load(info, raw)


@strawberry.type
class NodeQueries:
    @strawberry.field(
        metadata=CACHEABLE,
        extensions=requires(Role.VIEWER),
        description="Any object by its global ID; null when there is none.",
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await _resolve(info, id, "id")

    @strawberry.field(
        metadata=CACHEABLE,
        extensions=requires(Role.VIEWER),
        description="Several objects by global ID, in order; null for misses.",
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise BadUserInput(f"ids may hold at most {MAX_NODES} IDs.", field="ids")
        return list(
            await asyncio.gather(*(_resolve(info, gid, f"ids[{i}]") for i, gid in enumerate(ids)))
        )
