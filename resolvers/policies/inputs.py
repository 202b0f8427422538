"""Inputs for writing, simulating and explaining policies."""

from __future__ import annotations

import strawberry

from app.policies.records import PolicyDraft
from resolvers.node import expect_global_id


@strawberry.input(description="Who the policy applies to; leave both empty for everyone.")
class PolicySubjectsInput:
    roles: list[str] = strawberry.field(
        default_factory=list, description="viewer, editor, steward, admin."
    )
    user_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input(description="Which resources it covers; every selector given must match.")
class PolicyResourcesInput:
    kinds: list[str] = strawberry.field(
        default_factory=list, description="entity, dataset or job; empty: all of them."
    )
    namespace_pattern: str | None = strawberry.field(
        default=None,
        description="Glob over the namespace (for entities, their kind), e.g. `serv*`.",
    )
    tags: list[str] = strawberry.field(
        default_factory=list, description="Resources with any of these tags."
    )
    ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="These resources; not combined with other selectors."
    )


@strawberry.input
class PolicyInput:
    name: str
    effect: str = strawberry.field(description="ALLOW or DENY.")
    actions: list[str] = strawberry.field(description="read, write, delete, read_sensitive.")
    description: str | None = None
    subjects: PolicySubjectsInput = strawberry.field(default_factory=PolicySubjectsInput)
    resources: PolicyResourcesInput = strawberry.field(default_factory=PolicyResourcesInput)
    condition: str | None = strawberry.field(
        default=None, description="OWNER: only resources the caller owns."
    )
    priority: int = 0

    def to_draft(self) -> PolicyDraft:
        return PolicyDraft(
            name=self.name,
            effect=self.effect,
            actions=self.actions,
            description=self.description,
            subject_roles=self.subjects.roles,
            subject_user_ids=[
                expect_global_id(u, "User", field="subjects.userIds")
                for u in self.subjects.user_ids
            ],
            resource_kinds=self.resources.kinds,
            namespace_pattern=self.resources.namespace_pattern,
            resource_tags=self.resources.tags,
            resource_ids=[
                expect_global_id(i, "Entity", field="resources.ids") for i in self.resources.ids
            ],
            condition=self.condition,
            priority=self.priority,
        )
