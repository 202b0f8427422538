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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, false, not_, or_, true

from app.core.errors import BadUserInput, Forbidden, NotFound
from app.core.models import Dataset, DatasetVersion, Entity, Job, Policy
from app.core.scope import Role, Scope

ACTIONS = ("read", "write", "delete", "read_sensitive")
RESOURCE_KINDS = ("entity", "dataset", "job")
CONDITIONS = ("OWNER",)
SENSITIVE_TAG = "pii"
MASK = "[masked]"

_BASELINE = {
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
    baseline = subject.role.includes(_BASELINE[action])
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


def entity_resource(entity: Entity) -> Resource:
    """Entities: namespace is their kind (e.g. `service`), owner their creator."""
    return Resource(
        kind="entity",
        id=entity.id,
        namespace=entity.kind,
        tags=tuple(entity.tags),
        owner_id=entity.owner_id,
        name=entity.name,
    )


def masked_entity(entity: Entity) -> Entity:
    """A detached copy with sensitive fields masked; never added to a session."""
    copy = Entity(
        **{column.key: getattr(entity, column.key) for column in Entity.__table__.columns}
    )
    copy.description = MASK if entity.description is not None else None
    copy.properties = {key: MASK for key in entity.properties}
    return copy


def dataset_resource(dataset: Dataset) -> Resource:
    return Resource(
        kind="dataset",
        id=dataset.id,
        namespace=dataset.namespace,
        tags=tuple(dataset.tags),
        name=dataset.name,
    )


def job_resource(job: Job) -> Resource:
    return Resource(kind="job", id=job.id, namespace=job.namespace, name=job.name)


def masked_dataset(dataset: Dataset) -> Dataset:
    """A detached copy with sensitive descriptions masked (see the module docstring)."""
    copy = Dataset(
        **{column.key: getattr(dataset, column.key) for column in Dataset.__table__.columns}
    )
    if SENSITIVE_TAG in dataset.tags and dataset.description is not None:
        copy.description = MASK
    copy.fields = masked_schema(dataset, dataset.fields)
    return copy


def masked_version(dataset: Dataset, version: DatasetVersion) -> DatasetVersion:
    """A detached copy of one of the dataset's schema versions, masked as its current
    schema is."""
    return DatasetVersion(
        dataset_id=version.dataset_id,
        version=version.version,
        fields=masked_schema(dataset, version.fields),
        created_at=version.created_at,
    )


def masked_schema(dataset: Dataset, fields: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A schema of this dataset, current or earlier, with sensitive column descriptions
    masked: every column of a dataset tagged sensitive, else each column tagged sensitive
    in this schema or in the dataset's current one (a version from before the tag was set
    holds the same data)."""
    whole = SENSITIVE_TAG in dataset.tags
    tagged = {item.get("name") for item in dataset.fields if _tagged(item)}
    return [
        {**item, "description": MASK}
        if item.get("description") is not None
        and (whole or _tagged(item) or item.get("name") in tagged)
        else item
        for item in fields
    ]


def _tagged(item: dict[str, Any]) -> bool:
    return SENSITIVE_TAG in (item.get("tags") or ())


def _is_sensitive(dataset: Dataset) -> bool:
    return SENSITIVE_TAG in dataset.tags or any(_tagged(item) for item in dataset.fields)


@dataclass
class AccessControl:
    """One caller's decisions for one request: the active rules are loaded once."""

    scope: Scope
    rules: Sequence[Rule] = field(default_factory=tuple)

    @property
    def subject(self) -> Subject:
        return Subject.of(self.scope)

    def allows(self, action: str, resource: Resource) -> bool:
        return decide(self.subject, action, resource, self.rules).allowed

    def allows_every(self, action: str, kind: str) -> bool:
        """Whether every resource of this kind is allowed to the caller, whatever its
        namespace, tags or owner: the role's baseline grants the action and no DENY that
        applies to the caller could cover the kind. Then nothing needs checking one by one."""
        subject = self.subject
        if not subject.role.includes(_BASELINE[action]):
            return False
        return not any(
            rule.effect == "DENY"
            and action in rule.actions
            and rule.applies_to(subject)
            and (not rule.kinds or kind in rule.kinds)
            for rule in self.rules
        )

    def present_entities(self, records: Sequence[Entity | None]) -> list[Entity | None]:
        """What the caller may see of these entities: None when hidden, masked when the
        entity is sensitive and the caller may not read sensitive fields."""
        shown: list[Entity | None] = []
        for record in records:
            if record is None:
                shown.append(None)
                continue
            resource = entity_resource(record)
            if not self.allows("read", resource):
                shown.append(None)
            elif SENSITIVE_TAG in resource.tags and not self.allows("read_sensitive", resource):
                shown.append(masked_entity(record))
            else:
                shown.append(record)
        return shown

    def present_datasets(self, records: Sequence[Dataset | None]) -> list[Dataset | None]:
        """Datasets as the caller may see them: None when hidden, masked when sensitive."""
        shown: list[Dataset | None] = []
        for record in records:
            resource = dataset_resource(record) if record is not None else None
            if record is None or resource is None or not self.allows("read", resource):
                shown.append(None)
            elif _is_sensitive(record) and not self.allows("read_sensitive", resource):
                shown.append(masked_dataset(record))
            else:
                shown.append(record)
        return shown

    def present_written_entity(self, record: Entity) -> Entity:
        """An entity the caller has just written, as they may see it: masked unless they
        may read its sensitive fields. A write that leaves it hidden from them (a tag that
        a read DENY covers) still answers with it, masked: writes need read access to what
        was there, so it shows only that and what they sent."""
        shown = self.present_entities([record])[0]
        return shown if shown is not None else masked_entity(record)

    def present_written_dataset(self, record: Dataset) -> Dataset:
        """A dataset the caller has just written, as `present_written_entity`."""
        shown = self.present_datasets([record])[0]
        return shown if shown is not None else masked_dataset(record)

    def present_versions(
        self, dataset: Dataset, versions: Sequence[DatasetVersion]
    ) -> list[DatasetVersion]:
        """A dataset's schema versions as the caller may see them: masked like its current
        schema unless the caller may read the dataset's sensitive data."""
        if self.allows("read_sensitive", dataset_resource(dataset)):
            return list(versions)
        return [masked_version(dataset, version) for version in versions]

    def present_jobs(self, records: Sequence[Job | None]) -> list[Job | None]:
        return [
            record if record is not None and self.allows("read", job_resource(record)) else None
            for record in records
        ]

    def hidden_entities_clause(self) -> Any:
        return self.visible_clause(ENTITY_COLUMNS)

    def visible_clause(self, columns: Columns) -> Any:
        """The same `read` decision as SQL over one kind's table, for lists, counts and
        search: every DENY that covers the caller removes the rows its selectors match."""
        if not self.subject.role.includes(_BASELINE["read"]):
            return false()
        clauses = [
            _selector(rule, self.subject, columns)
            for rule in self.rules
            if rule.effect == "DENY" and "read" in rule.actions and rule.applies_to(self.subject)
        ]
        if not clauses:
            return true()
        return and_(*(not_(clause) for clause in clauses))

    def allowed_clause(self, action: str, columns: Columns) -> Any:
        """`decide` for one action as SQL over one kind's table: the role's baseline or a
        matching ALLOW, and no matching DENY."""
        subject = self.subject
        applying = [rule for rule in self.rules if action in rule.actions]
        applying = [rule for rule in applying if rule.applies_to(subject)]
        granted = [_selector(rule, subject, columns) for rule in applying if rule.effect == "ALLOW"]
        denied = [_selector(rule, subject, columns) for rule in applying if rule.effect == "DENY"]
        baseline = true() if subject.role.includes(_BASELINE[action]) else false()
        return and_(or_(baseline, *granted), *(not_(clause) for clause in denied))

    def masked_clause(self, columns: Columns) -> Any:
        """The rows whose sensitive fields are masked for the caller, as SQL: sensitive
        rows without `read_sensitive`. Search uses it so that masked words find nothing."""
        if columns.sensitive is None:
            return false()
        return and_(columns.sensitive, not_(self.allowed_clause("read_sensitive", columns)))


@dataclass(frozen=True, slots=True)
class Columns:
    """Where a kind keeps the attributes of its `Resource`; None when it has no such one."""

    kind: str
    id: Any
    namespace: Any
    tags: Any = None
    owner_id: Any = None
    # Rows whose descriptions are masked without read_sensitive (see `masked_entity`,
    # `masked_dataset`); None when the kind has nothing sensitive.
    sensitive: Any = None


ENTITY_COLUMNS = Columns(
    "entity",
    Entity.id,
    Entity.kind,
    Entity.tags,
    Entity.owner_id,
    sensitive=Entity.tags.overlap([SENSITIVE_TAG]),
)
DATASET_COLUMNS = Columns(
    "dataset",
    Dataset.id,
    Dataset.namespace,
    Dataset.tags,
    # tagged pii, or any field tagged pii (`_is_sensitive`)
    sensitive=or_(
        Dataset.tags.overlap([SENSITIVE_TAG]),
        Dataset.fields.contains([{"tags": [SENSITIVE_TAG]}]),
    ),
)
JOB_COLUMNS = Columns("job", Job.id, Job.namespace)


def _selector(rule: Rule, subject: Subject, columns: Columns) -> Any:
    """The rows a rule's selectors match, as SQL: the same test as `Rule.why_matches`."""
    parts: list[Any] = []
    if rule.kinds and columns.kind not in rule.kinds:
        return false()
    if rule.namespace_pattern is not None:
        parts.append(columns.namespace.like(glob_to_like(rule.namespace_pattern), escape="\\"))
    if rule.tags:
        if columns.tags is None:
            return false()
        parts.append(columns.tags.overlap(sorted(rule.tags)))
    if rule.ids:
        parts.append(columns.id.in_(sorted(rule.ids)))
    if rule.condition == "OWNER":
        if subject.user_id is None or columns.owner_id is None:
            return false()
        parts.append(columns.owner_id == subject.user_id)
    return and_(true(), *parts) if parts else true()


def check_entity_access(
    access: AccessControl | None, entity: Entity, action: str, *, field: str | None = None
) -> None:
    """Policies on writes: an entity the caller may not read does not exist for them; one
    they may read but not change is FORBIDDEN. `access` is None for system callers."""
    if access is None:
        return
    resource = entity_resource(entity)
    if not access.allows("read", resource):
        if field is not None:
            raise BadUserInput(f"{field} does not name an existing entity.", field=field)
        raise NotFound("No entity has this id.", id=str(entity.id))
    if not access.allows(action, resource):
        raise Forbidden(
            f"A policy does not let you {action} this entity.",
            target=("entity", entity.id),
            id=str(entity.id),
        )


def check_entity_write(access: AccessControl | None, entity: Entity) -> None:
    """FORBIDDEN unless `access` (None for system callers) lets the caller write the entity
    as it is about to be: no creating one where a policy forbids writes, no tagging one into
    a denial. `check_entity_access` judges it as it was."""
    if access is None:
        return
    resource = entity_resource(entity)
    if not access.allows("write", resource):
        raise Forbidden(
            f"A policy does not let you write a {entity.kind} entity with these tags.",
            target=("entity", entity.id),
            kind=entity.kind,
            tags=list(resource.tags),
        )


def check_job_write(access: AccessControl | None, job: Job) -> None:
    """FORBIDDEN unless `access` (None for system callers) lets the caller write the job:
    creating it, or changing its inputs, outputs, description or runs."""
    if access is None:
        return
    if not access.allows("write", job_resource(job)):
        raise Forbidden(
            f"A policy does not let you write the job {job.namespace} / {job.name}.",
            target=("job", job.id),
            namespace=job.namespace,
            name=job.name,
        )


def check_dataset_access(
    access: AccessControl | None, dataset: Dataset, action: str, *, field: str | None = None
) -> None:
    """Policies on dataset writes, as `check_entity_access` for entities."""
    if access is None:
        return
    resource = dataset_resource(dataset)
    if not access.allows("read", resource):
        if field is not None:
            raise BadUserInput(f"{field} does not name an existing dataset.", field=field)
        raise NotFound("No dataset matches.", id=str(dataset.id))
    if not access.allows(action, resource):
        raise Forbidden(
            f"A policy does not let you {action} this dataset.",
            target=("dataset", dataset.id),
            id=str(dataset.id),
        )


def check_dataset_write(
    access: AccessControl | None, dataset: Dataset, resource: Resource | None = None
) -> None:
    """FORBIDDEN unless `access` (None for system callers) lets the caller write the dataset,
    judged as `resource` when given (what it was before a change), else as it is now. A write
    must be allowed on what it produces too: no creating a dataset where a policy forbids
    writes, no tagging one into a denial."""
    if access is None:
        return
    resource = resource or dataset_resource(dataset)
    if not access.allows("write", resource):
        raise Forbidden(
            f"A policy does not let you write the dataset {dataset.namespace} / "
            f"{dataset.name} with this namespace and these tags.",
            target=("dataset", dataset.id),
            namespace=dataset.namespace,
            name=dataset.name,
            tags=list(resource.tags),
        )


def glob_to_like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")
