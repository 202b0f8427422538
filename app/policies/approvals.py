"""Activating policies, and the approvals that gate it.

Where the organisation requires it (the default), activating a policy needs an APPROVED
approval of its current version, decided by a steward other than its author and requester.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import validation
from app.core.db import SessionFactory
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.models import Approval, Organization, Policy
from app.core.records import lock_in_organization
from app.core.scope import Scope
from app.journal.audit import record_audit
from app.policies.records import locked_policy, policy_snapshot, record_policy_change


async def approvals_of(
    sessions: SessionFactory, *, organization_id: uuid.UUID, policy_ids: Sequence[uuid.UUID]
) -> list[list[Approval]]:
    async with sessions() as session:
        rows = list(
            await session.scalars(
                select(Approval)
                .where(
                    Approval.organization_id == organization_id,
                    Approval.policy_id.in_(policy_ids),
                )
                .order_by(Approval.created_at.desc())
            )
        )
    return [[row for row in rows if row.policy_id == key] for key in policy_ids]


async def set_policy_active(
    sessions: SessionFactory, *, scope: Scope, policy_id: uuid.UUID, active: bool
) -> tuple[Policy, int]:
    async with sessions() as session, session.begin():
        policy = await locked_policy(session, scope, policy_id)
        wanted = "ACTIVE" if active else "DISABLED"
        if policy.state == wanted:
            return policy, 0
        if active:
            await _check_approved(session, scope, policy)
        before = policy_snapshot(policy)
        policy.state = wanted
        policy.updated_at = func.now()
        await session.flush()
        await session.refresh(policy)
        event = "policy.activated" if active else "policy.disabled"
        seq = await record_policy_change(
            session, scope, policy, event, before=before, new_version=False
        )
    return policy, seq


async def _check_approved(session: AsyncSession, scope: Scope, policy: Policy) -> None:
    org = await session.get(Organization, scope.organization_id)
    if org is None or not org.require_policy_approval:
        return
    approved = await session.scalar(
        select(Approval.id).where(
            Approval.policy_id == policy.id,
            Approval.policy_version == policy.version,
            Approval.status == "APPROVED",
        )
    )
    if approved is None:
        raise Forbidden(
            f"Activating needs an approved approval of version {policy.version} "
            "(requestApproval, then another steward's decideApproval).",
            policyVersion=policy.version,
        )


async def request_approval(
    sessions: SessionFactory, *, scope: Scope, policy_id: uuid.UUID, comment: str | None
) -> Approval:
    async with sessions() as session, session.begin():
        policy = await locked_policy(session, scope, policy_id)
        if policy.state == "ACTIVE":
            raise Conflict("The policy is already active.")
        approval = Approval(
            id=uuid.uuid4(),
            organization_id=scope.organization_id,
            policy_id=policy.id,
            policy_version=policy.version,
            requested_by=scope.policy_user_id,
            status="PENDING",
            comment=validation.description(comment, field="comment"),
        )
        session.add(approval)
        await session.flush()
        await session.refresh(approval)
        record_audit(
            session,
            scope=scope,
            action="approval.request",
            target_type="policy",
            target_id=policy.id,
            after={"approvalId": str(approval.id), "policyVersion": policy.version},
        )
    return approval


async def decide_approval(
    sessions: SessionFactory,
    *,
    scope: Scope,
    approval_id: uuid.UUID,
    approve: bool,
    comment: str | None,
) -> Approval:
    async with sessions() as session, session.begin():
        approval = await lock_in_organization(
            session, Approval, scope, approval_id, noun="approval"
        )
        if approval.status != "PENDING":
            raise Conflict(f"The approval is already {approval.status}.")
        policy = await locked_policy(session, scope, approval.policy_id)
        if scope.user_id is None or scope.user_id in (policy.author_id, approval.requested_by):
            raise Forbidden("A policy is approved by a steward other than its author.")
        approval.status = "APPROVED" if approve else "REJECTED"
        approval.decided_by = scope.user_id
        approval.decided_at = func.now()
        if comment is not None:
            approval.comment = validation.description(comment, field="comment")
        await session.flush()
        await session.refresh(approval)
        record_audit(
            session,
            scope=scope,
            action="approval.decide",
            target_type="policy",
            target_id=policy.id,
            after={"approvalId": str(approval.id), "status": approval.status},
        )
    return approval


async def set_approval_required(
    sessions: SessionFactory, *, scope: Scope, required: bool
) -> Organization:
    async with sessions() as session, session.begin():
        org = await session.get(Organization, scope.organization_id, with_for_update=True)
        if org is None:
            raise NotFound("No organisation has this id.")
        before = {"requirePolicyApproval": org.require_policy_approval}
        org.require_policy_approval = required
        record_audit(
            session,
            scope=scope,
            action="organization.update",
            target_type="organization",
            target_id=org.id,
            before=before,
            after={"requirePolicyApproval": required},
        )
    return org
