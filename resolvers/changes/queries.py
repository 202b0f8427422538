"""`changes(since:)`: the changes a client missed, from the outbox, in order."""

from __future__ import annotations

import strawberry

from app.changes import records as change_records
from app.core.errors import BadUserInput
from app.core.scope import Role
from resolvers.changes.types import ChangeEvent
from resolvers.changes.visibility import visible_changes
from resolvers.context import Info
from resolvers.pagination import page_size
from resolvers.permissions import requires


@strawberry.type
class ChangeQueries:
    @strawberry.field(
        extensions=requires(Role.VIEWER),
        description="Changes after sequence number `since`, oldest first. To follow changes "
        "without a gap: subscribe first, then catch up from your last seen `seq`, and drop "
        "duplicates by `seq`.",
    )
    async def changes(
        self, info: Info, since: int = 0, first: int | None = None
    ) -> list[ChangeEvent]:
        if since < 0:
            raise BadUserInput("since must be 0 or a seq you have seen.", field="since")
        found = await change_records.changes_since(
            info.context.state.sessions,
            organization_id=info.context.scope.organization_id,
            since=since,
            first=page_size(info, first),
        )
        shown = await visible_changes(info.context, found)
        return [ChangeEvent(change=change) for change in shown]
