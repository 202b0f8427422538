"""The policy engine: one decision function for every read and write path.

A resource is described by a small value (`Resource`: kind, id, namespace, tags, owner), so
every kind of object (`entity`, `dataset`, `job`) is decided the same way: a kind only needs
a function that turns its record into a `Resource`, and, for lists and search filtered in
SQL, a mapping of those attributes to its columns (`Columns`, used by `visible_clause`).
Datasets: namespace is the dataset's namespace (e.g. `postgres://prod:5432`), no owner.
Jobs: namespace is the job's namespace, no tags, no owner. A dataset's fields are not
resources of their own: a field is shown exactly when its dataset is.

Rules, in order:
1. The role gives a baseline: everyone may `read`; editors and above `write` and `delete`;
   stewards and admins `read_sensitive`.
2. An ACTIVE ALLOW policy that matches grants its actions on top of the baseline.
3. An ACTIVE DENY policy that matches takes them away. Deny wins over any allow, whatever
   the priorities; priority orders the policies in explanations.

A policy matches a caller when the caller has one of its roles or is one of its users (no
subject: everyone), and a resource when every selector given matches: kind, namespace glob
(`*` and `?`), any of its tags, one of its ids, and the OWNER condition (the caller owns it).

Fields are masked for callers without `read_sensitive` on a resource tagged `pii` (for
entities: `description` and every value of `properties`). For datasets, a dataset tagged
`pii` has its `description` masked and every field's `description` masked; a field tagged
`pii` has its `description` masked. Field names, types and tags stay, so lineage (which
joins on names) keeps working.
"""

from __future__ import annotations

import fnmatch
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from app.core.models import Policy
from app.core.scope import Role, Scope

ACTIONS = ("read", "write", "delete", "read_sensitive")
RESOURCE_KINDS = ("entity", "dataset", "job")
CONDITIONS = ("OWNER",)
SENSITIVE_TAG = "pii"
MASK = "[masked]"

BASELINE = {
    "read": Role.VIEWER,
    "write": Role.EDITOR,
    "delete": Role.EDITOR,
    "read_sensitive": Role.STEWARD,
}


@dataclass(frozen=True, slots=True)
class Resource:
    kind: str
    id: uuid.UUID
    namespace: str | None = None
    tags: tuple[str, ...] = ()
    owner_id: uuid.UUID | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Subject:
    """Who a decision is for: the caller, or another user in `explainAccess`."""

    role: Role
    user_id: uuid.UUID | None = None

    @classmethod
    def of(cls, scope: Scope) -> Subject:
        return cls(role=scope.role, user_id=scope.policy_user_id)


@dataclass(frozen=True, slots=True)
class Rule:
    """A policy as the engine sees it."""

    id: uuid.UUID
    name: str
    effect: str
    actions: frozenset[str]
    roles: frozenset[str] = frozenset()
    user_ids: frozenset[uuid.UUID] = frozenset()
    kinds: frozenset[str] = frozenset()
    namespace_pattern: str | None = None
    tags: frozenset[str] = frozenset()
    ids: frozenset[uuid.UUID] = frozenset()
    condition: str | None = None
    priority: int = 0

    @classmethod
    def of(cls, policy: Policy) -> Rule:
        return cls(
            id=policy.id,
            name=policy.name,
            effect=policy.effect,
            actions=frozenset(policy.actions),
            roles=frozenset(policy.subject_roles),
            user_ids=frozenset(policy.subject_user_ids),
            kinds=frozenset(policy.resource_kinds),
            namespace_pattern=policy.namespace_pattern,
            tags=frozenset(policy.resource_tags),
            ids=frozenset(policy.resource_ids),
            condition=policy.condition,
            priority=policy.priority,
        )

    def applies_to(self, subject: Subject) -> bool:
        if not self.roles and not self.user_ids:
            return True
        return subject.role.value in self.roles or subject.user_id in self.user_ids

    def governs(self, resource: Resource) -> str | None:
        """Why this rule's resource selectors cover the resource, whoever asks, or None.

        This is what a catalogue shows next to a resource ("governed by"): the OWNER
        condition depends on the caller, so it is left out here."""
        reasons = self._resource_reasons(resource, None)
        if reasons is None:
            return None
        if self.condition == "OWNER":
            reasons.append("for its owner")
        return "; ".join(reasons) if reasons else "every resource"

    def why_matches(self, subject: Subject, resource: Resource) -> str | None:
        """Why this rule covers the resource for the subject, or None when it does not."""
        reasons = self._resource_reasons(resource, subject)
        if reasons is None:
            return None
        who = "everyone" if not self.roles and not self.user_ids else "the subject"
        return f"applies to {who}; " + ("; ".join(reasons) if reasons else "every resource")

    def _resource_reasons(self, resource: Resource, subject: Subject | None) -> list[str] | None:
        """The selectors that match, or None when one does not; the OWNER condition is
        checked only for a subject."""
        reasons: list[str] = []
        if self.kinds:
            if resource.kind not in self.kinds:
                return None
            reasons.append(f"kind {resource.kind}")
        if self.namespace_pattern is not None:
            if resource.namespace is None or not fnmatch.fnmatchcase(
                resource.namespace, self.namespace_pattern
            ):
                return None
            reasons.append(f"namespace {resource.namespace} matches {self.namespace_pattern}")
        if self.tags:
            shared = sorted(self.tags.intersection(resource.tags))
            if not shared:
                return None
            reasons.append(f"tagged {', '.join(shared)}")
        if self.ids:
            if resource.id not in self.ids:
                return None
            reasons.append("named by id")
        if subject is not None and self.condition == "OWNER":
            if subject.user_id is None or resource.owner_id != subject.user_id:
                return None
            reasons.append("the caller owns it")
        return reasons


@dataclass(frozen=True, slots=True)
class Match:
    rule: Rule
    reason: str


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    baseline: bool
    matches: tuple[Match, ...] = ()

    @property
    def reason(self) -> str:
        denies = [m for m in self.matches if m.rule.effect == "DENY"]
        allows = [m for m in self.matches if m.rule.effect == "ALLOW"]
        if denies:
            return f"denied by policy {denies[0].rule.name!r} (deny wins)"
        if allows and not self.baseline:
            return f"allowed by policy {allows[0].rule.name!r}"
        if self.baseline:
            return "allowed by role"
        return "not allowed by role, and no policy allows it"


def decide(subject: Subject, action: str, resource: Resource, rules: Iterable[Rule]) -> Decision:
    baseline = subject.role.includes(BASELINE[action])
    matches: list[Match] = []
    for rule in rules:
        if action not in rule.actions or not rule.applies_to(subject):
            continue
        reason = rule.why_matches(subject, resource)
        if reason is not None:
            matches.append(Match(rule, reason))
    matches.sort(key=lambda m: (-m.rule.priority, m.rule.effect != "DENY", m.rule.name))
    denied = any(m.rule.effect == "DENY" for m in matches)
    allowed = any(m.rule.effect == "ALLOW" for m in matches)
    return Decision(
        allowed=(baseline or allowed) and not denied, baseline=baseline, matches=tuple(matches)
    )


def glob_to_like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")
