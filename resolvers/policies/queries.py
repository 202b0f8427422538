"""`policies`, `explainAccess` and `simulatePolicy`, for stewards and admins."""

from __future__ import annotations

import strawberry

from app.core.errors import BadUserInput
from app.core.scope import Role
from app.policies import records as policies
from app.policies import reports as access_reports
from app.policies.records import draft_rule
from resolvers.context import Info
from resolvers.node import expect_global_id, from_global_id, to_global_id
from resolvers.permissions import requires
from resolvers.policies.inputs import PolicyInput
from resolvers.policies.types import (
    AccessChange,
    AccessExplanation,
    Policy,
    PolicySimulation,
    PolicyState,
)

EXPLAINED_TYPES = ("Entity", "Dataset", "Job")
TYPE_OF_KIND = {name.lower(): name for name in EXPLAINED_TYPES}


@strawberry.type
class PolicyQueries:
    @strawberry.field(
        extensions=requires(Role.STEWARD),
        description="Your organisation's policies, highest priority first.",
    )
    async def policies(self, info: Info, states: list[PolicyState] | None = None) -> list[Policy]:
        rows = await policies.list_policies(
            info.context.state.sessions,
            organization_id=info.context.scope.organization_id,
            states=[s.value for s in states or []],
        )
        return [Policy(record=row) for row in rows]

    @strawberry.field(
        extensions=requires(Role.STEWARD),
        description="Whether a user (default: you) may take an action on a resource, and "
        "which policies decided it.",
    )
    async def explain_access(
        self,
        info: Info,
        resource_id: strawberry.ID,
        action: str,
        user_id: strawberry.ID | None = None,
    ) -> AccessExplanation:
        type_name, raw = from_global_id(resource_id, field="resourceId")
        if type_name not in EXPLAINED_TYPES:
            raise BadUserInput(
                f"resourceId must name an Entity, a Dataset or a Job, not a {type_name}.",
                field="resourceId",
            )
        found = await access_reports.explain(
            info.context.state.sessions,
            scope=info.context.scope,
            kind=type_name.lower(),
            resource_id=raw,
            action=action,
            user_id=expect_global_id(user_id, "User", field="userId") if user_id else None,
        )
        allowed, by_role, reason, matched = AccessExplanation.decided(found.decision)
        subject = found.subject
        return AccessExplanation(
            allowed=allowed,
            action=found.action,
            resource_id=resource_id,
            user_id=to_global_id("User", subject.user_id) if subject.user_id else None,
            role=subject.role,
            by_role=by_role,
            reason=reason,
            matched_policies=matched,
        )

    @strawberry.field(
        extensions=requires(Role.STEWARD),
        description="Before activating: who would gain or lose which action on which "
        "resource if this draft were active (replacing `policyId`, when given).",
    )
    async def simulate_policy(
        self, info: Info, draft: PolicyInput, policy_id: strawberry.ID | None = None
    ) -> PolicySimulation:
        replacing = expect_global_id(policy_id, "Policy", field="policyId") if policy_id else None
        result = await access_reports.simulate(
            info.context.state.sessions,
            scope=info.context.scope,
            draft=draft_rule(draft.to_draft(), replacing),
            replacing=replacing,
        )
        changes = [
            AccessChange(
                user_id=to_global_id("User", c.user_id),
                role=c.role,
                resource_id=to_global_id(TYPE_OF_KIND[c.resource.kind], c.resource.id),
                action=c.action,
                before=c.before,
                after=c.after,
            )
            for c in result.changes
        ]
        return PolicySimulation(
            gained=[c for c in changes if c.after],
            lost=[c for c in changes if not c.after],
            users_checked=result.users,
            resources_checked=result.resources,
            truncated=result.truncated,
        )
