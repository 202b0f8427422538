"""Governance policies: validation, records, versions, states and approvals.

States: DRAFT (being written) -> ACTIVE (takes part in decisions) -> DISABLED. An ACTIVE
policy cannot be edited in place: disable it (or write a new one) first, so what is enforced
is always a version someone activated (activation and approvals: `app.policies.approvals`). Every
change is one transaction: rows, version snapshot, outbox event (projected
as `(:Policy)-[:GOVERNS]->(:Entity|:Tag)`), audit row.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.rules import ACTIONS, CONDITIONS, RESOURCE_KINDS, Rule
from app.core import validation
from app.core.db import SessionFactory, among
from app.core.errors import BadUserInput, Conflict
from app.core.models import Entity, Membership, Policy, PolicyVersion
from app.core.records import in_key_order, lock_in_organization
from app.core.scope import Role, Scope
from app.journal.audit import record_audit
from app.journal.outbox import append_event

NAMESPACE_PATTERN = re.compile(r"^[A-Za-z0-9_.:/*?-]{1,200}$")
EFFECTS = ("ALLOW", "DENY")

# Users or resources one policy may name; more belong in a tag or a namespace pattern.
MAX_NAMED = 1_000


@dataclass(frozen=True, slots=True)
class PolicyDraft:
    name: str
    effect: str
    actions: Sequence[str]
    description: str | None = None
    subject_roles: Sequence[str] = ()
    subject_user_ids: Sequence[uuid.UUID] = ()
    resource_kinds: Sequence[str] = ()
    namespace_pattern: str | None = None
    resource_tags: Sequence[str] = ()
    resource_ids: Sequence[uuid.UUID] = ()
    condition: str | None = None
    priority: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def clean_draft(draft: PolicyDraft) -> dict[str, Any]:
    """The policy's columns, or BAD_USER_INPUT naming the first bad field."""
    effect = draft.effect.upper()
    if effect not in EFFECTS:
        raise BadUserInput("effect must be ALLOW or DENY.", field="effect")
    actions = sorted({a.strip().lower() for a in draft.actions})
    if not actions:
        raise BadUserInput("actions must name at least one action.", field="actions")
    for action in actions:
        if action not in ACTIONS:
            raise BadUserInput(
                f"actions: unknown action {action!r}; use {', '.join(ACTIONS)}.", field="actions"
            )
    roles = sorted({r.strip().lower() for r in draft.subject_roles})
    for role in roles:
        if role not in {r.value for r in Role}:
            raise BadUserInput(f"subjects.roles: unknown role {role!r}.", field="subjects.roles")
    kinds = sorted({k.strip().lower() for k in draft.resource_kinds})
    for kind in kinds:
        if kind not in RESOURCE_KINDS:
            raise BadUserInput(
                f"resources.kinds: unknown kind {kind!r}; use {', '.join(RESOURCE_KINDS)}.",
                field="resources.kinds",
            )
    pattern = draft.namespace_pattern
    if pattern is not None and not NAMESPACE_PATTERN.fullmatch(pattern):
        raise BadUserInput(
            "resources.namespacePattern must be 1-200 letters, digits or `_.:/-`, with `*` "
            "and `?` as wildcards.",
            field="resources.namespacePattern",
        )
    if draft.resource_ids and (pattern is not None or draft.resource_tags or kinds):
        raise BadUserInput(
            "resources.ids already names the resources; do not combine it with kinds, "
            "namespacePattern or tags.",
            field="resources.ids",
        )
    condition = draft.condition.upper() if draft.condition else None
    if condition is not None and condition not in CONDITIONS:
        raise BadUserInput("condition must be OWNER.", field="condition")
    if not -1000 <= draft.priority <= 1000:
        raise BadUserInput("priority must be between -1000 and 1000.", field="priority")
    for listed, path in (
        (draft.subject_user_ids, "subjects.userIds"),
        (draft.resource_ids, "resources.ids"),
    ):
        if len(listed) > MAX_NAMED:
            raise BadUserInput(
                f"{path} names {len(listed)}; a policy names at most {MAX_NAMED}: select "
                "many resources by tag or namespace instead.",
                field=path,
            )
    return {
        "name": validation.name(draft.name, field="name"),
        "description": validation.description(draft.description, field="description"),
        "effect": effect,
        "actions": actions,
        "subject_roles": roles,
        "subject_user_ids": sorted(set(draft.subject_user_ids)),
        "resource_kinds": kinds,
        "namespace_pattern": pattern,
        "resource_tags": validation.tags(list(draft.resource_tags), field="resources.tags"),
        "resource_ids": sorted(set(draft.resource_ids)),
        "condition": condition,
        "priority": draft.priority,
    }


def draft_rule(draft: PolicyDraft, policy_id: uuid.UUID | None = None) -> Rule:
    columns = clean_draft(draft)
    return Rule.of(Policy(id=policy_id or uuid.uuid4(), **columns))


async def _check_references(session: AsyncSession, scope: Scope, columns: dict[str, Any]) -> None:
    """Named users and resources must exist in the caller's organisation."""
    if columns["subject_user_ids"]:
        found = set(
            await session.scalars(
                select(Membership.user_id).where(
                    Membership.organization_id == scope.organization_id,
                    Membership.user_id.in_(columns["subject_user_ids"]),
                )
            )
        )
        if len(found) != len(columns["subject_user_ids"]):
            raise BadUserInput(
                "subjects.userIds names someone outside your organisation.",
                field="subjects.userIds",
            )
    if columns["resource_ids"]:
        found = set(
            await session.scalars(
                select(Entity.id).where(
                    Entity.organization_id == scope.organization_id,
                    Entity.id.in_(columns["resource_ids"]),
                )
            )
        )
        if len(found) != len(columns["resource_ids"]):
            raise BadUserInput(
                "resources.ids names something that does not exist.", field="resources.ids"
            )


# --- reads -------------------------------------------------------------------------------


async def active_rules(sessions: SessionFactory, *, organization_id: uuid.UUID) -> list[Rule]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Policy).where(
                Policy.organization_id == organization_id,
                Policy.state == "ACTIVE",
                Policy.deleted_at.is_(None),
            )
        )
        return [Rule.of(row) for row in rows]


async def policies_by_ids(
    session: AsyncSession, *, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Policy | None]:
    rows = await session.scalars(
        select(Policy).where(
            Policy.organization_id == organization_id,
            among(Policy.id, ids),
            Policy.deleted_at.is_(None),
        )
    )
    return in_key_order(rows, ids)


async def policies_in_batches(
    session: AsyncSession, *, batch_size: int, after: uuid.UUID | None = None
) -> list[Policy]:
    """Every policy not deleted (drafts included), in id order."""
    query = select(Policy).where(Policy.deleted_at.is_(None)).order_by(Policy.id)
    if after is not None:
        query = query.where(Policy.id > after)
    return list(await session.scalars(query.limit(batch_size)))


async def list_policies(
    sessions: SessionFactory, *, organization_id: uuid.UUID, states: Sequence[str] = ()
) -> list[Policy]:
    query = select(Policy).where(
        Policy.organization_id == organization_id, Policy.deleted_at.is_(None)
    )
    if states:
        query = query.where(Policy.state.in_(list(states)))
    async with sessions() as session:
        return list(await session.scalars(query.order_by(Policy.priority.desc(), Policy.name)))


# --- writes ------------------------------------------------------------------------------


def policy_snapshot(policy: Policy) -> dict[str, Any]:
    return {
        "id": str(policy.id),
        "name": policy.name,
        "description": policy.description,
        "effect": policy.effect,
        "actions": list(policy.actions),
        "subjectRoles": list(policy.subject_roles),
        "subjectUserIds": [str(u) for u in policy.subject_user_ids],
        "resourceKinds": list(policy.resource_kinds),
        "namespacePattern": policy.namespace_pattern,
        "resourceTags": list(policy.resource_tags),
        "resourceIds": [str(i) for i in policy.resource_ids],
        "condition": policy.condition,
        "priority": policy.priority,
        "state": policy.state,
        "version": policy.version,
    }


def policy_graph_payload(policy: Policy) -> dict[str, Any]:
    return {
        "id": str(policy.id),
        "org": str(policy.organization_id),
        "name": policy.name,
        "effect": policy.effect,
        "state": policy.state,
        "version": policy.version,
        "entity_ids": [str(i) for i in policy.resource_ids],
        "tags": list(policy.resource_tags),
    }


async def announce(
    session: AsyncSession, scope: Scope, policy: Policy, event_type: str = "policy.updated"
) -> int:
    """Send the policy to the graph as it stands (an outbox event); returns its sequence.
    Alone, without a version or an audit row, it re-sends an unchanged policy: after a
    restore brought back an entity it names."""
    return await append_event(
        session,
        scope=scope,
        aggregate_type="policy",
        aggregate_id=policy.id,
        event_type=event_type,
        version=policy.version,
        payload=policy_graph_payload(policy),
    )


async def record_policy_change(
    session: AsyncSession,
    scope: Scope,
    policy: Policy,
    event_type: str,
    *,
    before: dict[str, Any] | None,
    new_version: bool,
) -> int:
    snapshot = policy_snapshot(policy)
    if new_version:
        session.add(PolicyVersion(policy_id=policy.id, version=policy.version, snapshot=snapshot))
    seq = await announce(session, scope, policy, event_type)
    record_audit(
        session,
        scope=scope,
        action=event_type,
        target_type="policy",
        target_id=policy.id,
        before=before,
        after=snapshot if event_type != "policy.deleted" else None,
    )
    return seq


async def locked_policy(session: AsyncSession, scope: Scope, policy_id: uuid.UUID) -> Policy:
    return await lock_in_organization(
        session, Policy, scope, policy_id, Policy.deleted_at.is_(None), noun="policy"
    )


async def create_policy(
    sessions: SessionFactory, *, scope: Scope, draft: PolicyDraft
) -> tuple[Policy, int]:
    columns = clean_draft(draft)
    policy = Policy(
        id=uuid.uuid4(),
        organization_id=scope.organization_id,
        state="DRAFT",
        version=1,
        author_id=scope.policy_user_id,
        **columns,
    )
    async with sessions() as session, session.begin():
        await _check_references(session, scope, columns)
        session.add(policy)
        await session.flush()
        await session.refresh(policy)
        seq = await record_policy_change(
            session, scope, policy, "policy.created", before=None, new_version=True
        )
    return policy, seq


async def update_policy(
    sessions: SessionFactory,
    *,
    scope: Scope,
    policy_id: uuid.UUID,
    draft: PolicyDraft,
    expected_version: int | None,
) -> tuple[Policy, int]:
    columns = clean_draft(draft)
    async with sessions() as session, session.begin():
        policy = await locked_policy(session, scope, policy_id)
        if expected_version is not None and expected_version != policy.version:
            raise Conflict(
                f"The policy is at version {policy.version}, not {expected_version}.",
                currentVersion=policy.version,
            )
        if policy.state == "ACTIVE":
            raise Conflict("An active policy cannot be edited; disable it first.")
        await _check_references(session, scope, columns)
        before = policy_snapshot(policy)
        for key, value in columns.items():
            setattr(policy, key, value)
        policy.version += 1
        policy.state = "DRAFT"
        policy.updated_at = func.now()
        await session.flush()
        await session.refresh(policy)
        seq = await record_policy_change(
            session, scope, policy, "policy.updated", before=before, new_version=True
        )
    return policy, seq


async def delete_policy(
    sessions: SessionFactory, *, scope: Scope, policy_id: uuid.UUID
) -> tuple[Policy, int]:
    async with sessions() as session, session.begin():
        policy = await locked_policy(session, scope, policy_id)
        before = policy_snapshot(policy)
        policy.deleted_at = func.now()
        policy.state = "DISABLED"
        policy.version += 1
        await session.flush()
        await session.refresh(policy)
        seq = await record_policy_change(
            session, scope, policy, "policy.deleted", before=before, new_version=False
        )
    return policy, seq
