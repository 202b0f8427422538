"""`AccessControl`: the caller's decisions over the organisation's active rules, in memory
for records and as SQL for lists and search (`visible_clause`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, false, not_, or_, true

from app.access.resources import (
    dataset_resource,
    entity_resource,
    is_sensitive,
    job_resource,
    masked_dataset,
    masked_entity,
    masked_version,
)
from app.access.rules import BASELINE, SENSITIVE_TAG, Resource, Rule, Subject, decide, glob_to_like
from app.core.models import Dataset, DatasetVersion, Entity, Job
from app.core.scope import Scope


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
        if not subject.role.includes(BASELINE[action]):
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
            elif is_sensitive(record) and not self.allows("read_sensitive", resource):
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
        if not self.subject.role.includes(BASELINE["read"]):
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
        baseline = true() if subject.role.includes(BASELINE[action]) else false()
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
    # tagged pii, or any field tagged pii (`is_sensitive`)
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
