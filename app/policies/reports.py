"""`explainAccess` and `simulatePolicy`: the engine's decisions, told and compared.

Both decide with exactly the function every read path uses (`app.access.decide`), so an
explanation or a simulation cannot disagree with what the caller really sees.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.access.resources import dataset_resource, entity_resource, job_resource
from app.access.rules import ACTIONS, Decision, Resource, Rule, Subject, decide
from app.core.db import SessionFactory
from app.core.errors import BadUserInput, NotFound
from app.core.models import Dataset, Entity, Job, Membership
from app.core.scope import Role, Scope
from app.policies import records as policies

MAX_SIMULATED_RESOURCES = 5_000
SIMULATED_KINDS: tuple[tuple[str, Any, Callable[[Any], Resource]], ...] = (
    ("entity", Entity, entity_resource),
    ("dataset", Dataset, dataset_resource),
    ("job", Job, job_resource),
)


@dataclass(frozen=True, slots=True)
class Explanation:
    decision: Decision
    subject: Subject
    resource: Resource
    action: str


@dataclass(frozen=True, slots=True)
class AccessChange:
    user_id: uuid.UUID
    role: Role
    resource: Resource
    action: str
    before: bool
    after: bool


@dataclass(frozen=True, slots=True)
class Simulation:
    changes: list[AccessChange]
    users: int
    resources: int
    truncated: bool


def _action(value: str) -> str:
    action = value.strip().lower()
    if action not in ACTIONS:
        raise BadUserInput(f"action must be one of {', '.join(ACTIONS)}.", field="action")
    return action


async def explain(
    sessions: SessionFactory,
    *,
    scope: Scope,
    kind: str,
    resource_id: uuid.UUID,
    action: str,
    user_id: uuid.UUID | None,
) -> Explanation:
    """`kind` is `entity`, `dataset` or `job`."""
    checked = _action(action)
    async with sessions() as session:
        resource: Resource | None = None
        if kind == "entity":
            entity = await session.scalar(
                select(Entity).where(
                    Entity.id == resource_id, Entity.organization_id == scope.organization_id
                )
            )
            resource = entity_resource(entity) if entity is not None else None
        elif kind == "dataset":
            dataset = await session.scalar(
                select(Dataset).where(
                    Dataset.id == resource_id, Dataset.organization_id == scope.organization_id
                )
            )
            resource = dataset_resource(dataset) if dataset is not None else None
        elif kind == "job":
            job = await session.scalar(
                select(Job).where(
                    Job.id == resource_id, Job.organization_id == scope.organization_id
                )
            )
            resource = job_resource(job) if job is not None else None
        if resource is None:
            raise NotFound("No resource has this id.", field="resourceId")
        subject = Subject.of(scope)
        if user_id is not None:
            membership = await session.get(Membership, (user_id, scope.organization_id))
            if membership is None:
                raise NotFound("No user of your organisation has this id.", field="userId")
            subject = Subject(role=Role(membership.role), user_id=user_id)
    rules = await policies.active_rules(sessions, organization_id=scope.organization_id)
    return Explanation(decide(subject, checked, resource, rules), subject, resource, checked)


async def simulate(
    sessions: SessionFactory,
    *,
    scope: Scope,
    draft: Rule,
    replacing: uuid.UUID | None,
) -> Simulation:
    """Who gains or loses which action on which resource if `draft` became active (in place
    of policy `replacing`, when given)."""
    current = await policies.active_rules(sessions, organization_id=scope.organization_id)
    proposed = [rule for rule in current if rule.id not in (replacing, draft.id)] + [draft]
    async with sessions() as session:
        members = list(
            await session.execute(
                select(Membership.user_id, Membership.role).where(
                    Membership.organization_id == scope.organization_id
                )
            )
        )
        # Every kind the draft can select (all of them when it names none), up to the cap.
        resources: list[Resource] = []
        truncated = False
        for kind, model, as_resource in SIMULATED_KINDS:
            if draft.kinds and kind not in draft.kinds:
                continue
            room = MAX_SIMULATED_RESOURCES - len(resources)
            query = select(model).where(model.organization_id == scope.organization_id)
            if hasattr(model, "deleted_at"):  # jobs are never deleted
                query = query.where(model.deleted_at.is_(None))
            rows = list(await session.scalars(query.order_by(model.id).limit(room + 1)))
            truncated = truncated or len(rows) > room
            resources.extend(as_resource(row) for row in rows[:room])
    changes: list[AccessChange] = []
    for user_id, role in members:
        subject = Subject(role=Role(role), user_id=user_id)
        for action in sorted(draft.actions):
            for resource in resources:
                before = decide(subject, action, resource, current).allowed
                after = decide(subject, action, resource, proposed).allowed
                if before != after:
                    changes.append(
                        AccessChange(user_id, subject.role, resource, action, before, after)
                    )
    return Simulation(changes, len(members), len(resources), truncated)
