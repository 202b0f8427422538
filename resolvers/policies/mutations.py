"""Policy mutations: write, activate, delete, and the approvals that gate activation."""

from __future__ import annotations

import strawberry

from app.core import models
from app.core.scope import Role
from app.policies import approvals, records
from resolvers.context import Info
from resolvers.identity.types import Organization
from resolvers.node import expect_global_id
from resolvers.permissions import requires
from resolvers.policies.inputs import PolicyInput
from resolvers.policies.types import Approval, Policy, PolicyPayload


async def _payload(info: Info, policy: models.Policy, seq: int) -> PolicyPayload:
    state = info.context.state
    await state.policy_cache.changed(info.context.scope.organization_id)
    synced = await state.projector.ensure_projected(
        seq, within=state.settings.projection_wait_timeout
    )
    return PolicyPayload(seq=seq, graph_synced=synced, policy=Policy(record=policy))


@strawberry.type
class PolicyMutations:
    @strawberry.mutation(extensions=requires(Role.STEWARD), description="Write a DRAFT policy.")
    async def create_policy(self, info: Info, input: PolicyInput) -> PolicyPayload:
        policy, seq = await records.create_policy(
            info.context.state.sessions, scope=info.context.scope, draft=input.to_draft()
        )
        return await _payload(info, policy, seq)

    @strawberry.mutation(
        extensions=requires(Role.STEWARD),
        description="Replace a policy's content: a new version, back to DRAFT. Active "
        "policies must be disabled first.",
    )
    async def update_policy(
        self,
        info: Info,
        id: strawberry.ID,
        input: PolicyInput,
        expected_version: int | None = None,
    ) -> PolicyPayload:
        policy, seq = await records.update_policy(
            info.context.state.sessions,
            scope=info.context.scope,
            policy_id=expect_global_id(id, "Policy"),
            draft=input.to_draft(),
            expected_version=expected_version,
        )
        return await _payload(info, policy, seq)

    @strawberry.mutation(
        extensions=requires(Role.STEWARD),
        description="Start enforcing a policy (`active: false` disables it). Where the "
        "organisation requires it, the current version needs an approved approval.",
    )
    async def activate_policy(
        self, info: Info, id: strawberry.ID, active: bool = True
    ) -> PolicyPayload:
        policy, seq = await approvals.set_policy_active(
            info.context.state.sessions,
            scope=info.context.scope,
            policy_id=expect_global_id(id, "Policy"),
            active=active,
        )
        return await _payload(info, policy, seq)

    @strawberry.mutation(extensions=requires(Role.STEWARD), description="Delete a policy.")
    async def delete_policy(self, info: Info, id: strawberry.ID) -> PolicyPayload:
        policy, seq = await records.delete_policy(
            info.context.state.sessions,
            scope=info.context.scope,
            policy_id=expect_global_id(id, "Policy"),
        )
        return await _payload(info, policy, seq)

    @strawberry.mutation(
        extensions=requires(Role.STEWARD),
        description="Ask another steward to approve the policy's current version.",
    )
    async def request_approval(
        self, info: Info, policy_id: strawberry.ID, comment: str | None = None
    ) -> Approval:
        approval = await approvals.request_approval(
            info.context.state.sessions,
            scope=info.context.scope,
            policy_id=expect_global_id(policy_id, "Policy", field="policyId"),
            comment=comment,
        )
        return Approval(record=approval)

    @strawberry.mutation(
        extensions=requires(Role.STEWARD),
        description="Approve or reject; not by the policy's author or the requester.",
    )
    async def decide_approval(
        self, info: Info, approval_id: strawberry.ID, approve: bool, comment: str | None = None
    ) -> Approval:
        approval = await approvals.decide_approval(
            info.context.state.sessions,
            scope=info.context.scope,
            approval_id=expect_global_id(approval_id, "Approval", field="approvalId"),
            approve=approve,
            comment=comment,
        )
        return Approval(record=approval)

    @strawberry.mutation(
        extensions=requires(Role.ADMIN),
        description="Whether activating a policy needs another steward's approval.",
    )
    async def set_policy_approval_required(self, info: Info, required: bool) -> Organization:
        org = await approvals.set_approval_required(
            info.context.state.sessions, scope=info.context.scope, required=required
        )
        return Organization(record=org)
