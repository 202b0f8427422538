"""`policyChanged`: policies created, edited, activated, disabled or deleted, live."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from app.changes.records import Change
from app.core.scope import Role
from resolvers.changes.live import live_changes
from resolvers.changes.types import ChangeAction, change_action, change_object_id
from resolvers.context import Info
from resolvers.permissions import requires
from resolvers.policies.loaders import PolicyLoaders
from resolvers.policies.types import Policy


@strawberry.type(description="A change to a governance policy.")
class PolicyChange:
    change: strawberry.Private[Change]

    @strawberry.field(description="Sequence number; resume from it with changes(since:).")
    def seq(self) -> int:
        return self.change.seq

    @strawberry.field(description="e.g. `policy.activated`.")
    def type(self) -> str:
        return self.change.event_type

    @strawberry.field
    def action(self) -> ChangeAction:
        return change_action(self.change)

    @strawberry.field
    def version(self) -> int:
        return self.change.version

    @strawberry.field
    def object_id(self) -> strawberry.ID:
        return change_object_id(self.change)

    @strawberry.field(description="The policy as it is now; null once deleted.")
    async def policy(self, info: Info) -> Policy | None:
        record = await info.context.loaders(PolicyLoaders).policy_by_id.load(
            self.change.aggregate_id
        )
        return Policy(record=record) if record is not None else None


@strawberry.type
class PolicySubscriptions:
    @strawberry.subscription(
        extensions=requires(Role.STEWARD),
        description="Every change to your organisation's governance policies.",
    )
    async def policy_changed(self, info: Info) -> AsyncGenerator[PolicyChange, None]:
        async for change in live_changes(info):
            if change.aggregate_type == "policy":
                yield PolicyChange(change=change)
