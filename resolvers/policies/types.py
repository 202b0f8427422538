"""GraphQL types for policies, approvals, explanations and simulations."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import strawberry

from app.access.rules import Decision, Match
from app.core import models
from app.core.scope import Role
from resolvers.context import Info
from resolvers.entities.loaders import EntityLoaders
from resolvers.entities.types import Entity
from resolvers.node import Node, to_global_id
from resolvers.node_types import NodeType
from resolvers.permissions import RoleType
from resolvers.policies.loaders import PolicyLoaders


@strawberry.enum(description="DRAFT while written, ACTIVE while enforced, DISABLED after.")
class PolicyState(enum.Enum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


@strawberry.type(description="Who a policy applies to; nobody listed means everyone.")
class PolicySubjects:
    roles: list[RoleType]  # type: ignore[valid-type]
    user_ids: list[strawberry.ID]


@strawberry.type(description="Which resources a policy covers; every selector given must match.")
class PolicyResources:
    kinds: list[str]
    namespace_pattern: str | None
    tags: list[str]
    ids: list[strawberry.ID]


@strawberry.type(description="Something a policy governs: an entity (by id) or a tag.")
class Governed:
    kind: str
    tag: str | None
    entity_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def entity(self, info: Info) -> Entity | None:
        if self.entity_id is None:
            return None
        record = await info.context.loaders(EntityLoaders).entity_by_id.load(self.entity_id)
        return Entity(record=record) if record is not None else None


@strawberry.type(description="A request to activate one version of a policy.")
class Approval(Node):
    record: strawberry.Private[models.Approval]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("Approval", self.record.id)

    @strawberry.field
    def policy_id(self) -> strawberry.ID:
        return to_global_id("Policy", self.record.policy_id)

    @strawberry.field
    def policy_version(self) -> int:
        return self.record.policy_version

    @strawberry.field(description="PENDING, APPROVED or REJECTED.")
    def status(self) -> str:
        return self.record.status

    @strawberry.field
    def comment(self) -> str | None:
        return self.record.comment

    @strawberry.field
    def requested_by(self) -> strawberry.ID | None:
        return to_global_id("User", self.record.requested_by) if self.record.requested_by else None

    @strawberry.field
    def decided_by(self) -> strawberry.ID | None:
        return to_global_id("User", self.record.decided_by) if self.record.decided_by else None

    @strawberry.field
    def created_at(self) -> datetime:
        return self.record.created_at

    @strawberry.field
    def decided_at(self) -> datetime | None:
        return self.record.decided_at


@strawberry.type(description="A governance policy: allow or deny actions on resources.")
class Policy(Node):
    record: strawberry.Private[models.Policy]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("Policy", self.record.id)

    @strawberry.field
    def name(self) -> str:
        return self.record.name

    @strawberry.field
    def description(self) -> str | None:
        return self.record.description

    @strawberry.field(description="ALLOW or DENY. Deny wins.")
    def effect(self) -> str:
        return self.record.effect

    @strawberry.field(description="Any of read, write, delete, read_sensitive.")
    def actions(self) -> list[str]:
        return list(self.record.actions)

    @strawberry.field
    def subjects(self) -> PolicySubjects:
        return PolicySubjects(
            roles=[Role(r) for r in self.record.subject_roles],
            user_ids=[to_global_id("User", u) for u in self.record.subject_user_ids],
        )

    @strawberry.field
    def resources(self) -> PolicyResources:
        return PolicyResources(
            kinds=list(self.record.resource_kinds),
            namespace_pattern=self.record.namespace_pattern,
            tags=list(self.record.resource_tags),
            ids=[to_global_id("Entity", i) for i in self.record.resource_ids],
        )

    @strawberry.field(description="OWNER: only resources the caller owns.")
    def condition(self) -> str | None:
        return self.record.condition

    @strawberry.field(description="Orders policies in explanations; deny wins regardless.")
    def priority(self) -> int:
        return self.record.priority

    @strawberry.field
    def state(self) -> PolicyState:
        return PolicyState(self.record.state)

    @strawberry.field(description="Increases with every edit; each version is kept.")
    def version(self) -> int:
        return self.record.version

    @strawberry.field
    def author_id(self) -> strawberry.ID | None:
        return to_global_id("User", self.record.author_id) if self.record.author_id else None

    @strawberry.field
    def created_at(self) -> datetime:
        return self.record.created_at

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.record.updated_at

    @strawberry.field(description="What the policy names directly (GOVERNS edges in the graph).")
    async def governs(self, info: Info) -> list[Governed]:
        found = await info.context.loaders(PolicyLoaders).governed_by_policy.load(self.record.id)
        return [
            Governed(kind="ENTITY", tag=None, entity_id=uuid.UUID(g.id))
            if g.kind == "Entity"
            else Governed(kind="TAG", tag=g.id, entity_id=None)
            for g in found
        ]

    @strawberry.field
    async def approvals(self, info: Info) -> list[Approval]:
        rows = await info.context.loaders(PolicyLoaders).approvals_by_policy.load(self.record.id)
        return [Approval(record=row) for row in rows]


@strawberry.type
class PolicyPayload:
    seq: int
    graph_synced: bool
    policy: Policy


@strawberry.type(description="A policy that took part in a decision, and why it matched.")
class PolicyMatch:
    policy_id: strawberry.ID
    name: str
    effect: str
    priority: int
    reason: str

    @classmethod
    def of(cls, match: Match) -> PolicyMatch:
        return cls(
            policy_id=to_global_id("Policy", match.rule.id),
            name=match.rule.name,
            effect=match.rule.effect,
            priority=match.rule.priority,
            reason=match.reason,
        )


@strawberry.type(description="A decision, and how it was reached.")
class AccessExplanation:
    allowed: bool
    action: str
    resource_id: strawberry.ID
    user_id: strawberry.ID | None
    role: RoleType  # type: ignore[valid-type]
    by_role: bool = strawberry.field(description="Whether the role alone allows the action.")
    reason: str
    matched_policies: list[PolicyMatch]

    @staticmethod
    def decided(decision: Decision) -> tuple[bool, bool, str, list[PolicyMatch]]:
        return (
            decision.allowed,
            decision.baseline,
            decision.reason,
            [PolicyMatch.of(m) for m in decision.matches],
        )


@strawberry.type(description="Someone who would gain or lose an action on a resource.")
class AccessChange:
    user_id: strawberry.ID
    role: RoleType  # type: ignore[valid-type]
    resource_id: strawberry.ID
    action: str
    before: bool
    after: bool


@strawberry.type
class PolicySimulation:
    gained: list[AccessChange]
    lost: list[AccessChange]
    users_checked: int
    resources_checked: int
    truncated: bool = strawberry.field(description="True when not every resource was checked.")


async def _policy_node(info: Info, policy_id: uuid.UUID) -> Policy | None:
    record = await info.context.loaders(PolicyLoaders).policy_by_id.load(policy_id)
    return Policy(record=record) if record is not None else None


NODES = (NodeType(Policy, _policy_node),)
