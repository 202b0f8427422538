"""`changes(types, ids)`: live change events, from whichever replica made them."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from app.core.scope import Role
from resolvers.changes.live import live_changes
from resolvers.changes.types import ChangeEvent
from resolvers.context import Info
from resolvers.node import from_global_id
from resolvers.permissions import requires


@strawberry.type
class ChangeSubscriptions:
    @strawberry.subscription(
        extensions=requires(Role.VIEWER),
        description="Every change in your organisation as it reaches the graph, optionally "
        "only of some event types (`entity.updated`, or a prefix like `entity`) or objects. "
        "After a disconnect, resubscribe and catch up with `changes(since:)`.",
    )
    async def changes(
        self,
        info: Info,
        types: list[str] | None = None,
        ids: list[strawberry.ID] | None = None,
    ) -> AsyncGenerator[ChangeEvent, None]:
        wanted_ids = {from_global_id(gid, field="ids")[1] for gid in ids} if ids else None
        prefixes = tuple(types) if types else None
        async for change in live_changes(info):
            if prefixes is not None and not change.event_type.startswith(prefixes):
                continue
            if wanted_ids is not None and change.aggregate_id not in wanted_ids:
                continue
            yield ChangeEvent(change=change)
