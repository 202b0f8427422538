"""The checks write use cases make before they change a record: FORBIDDEN when a policy
denies it, NOT_FOUND (or BAD_USER_INPUT naming the field) when the caller may not even see it."""

from __future__ import annotations

from app.access.control import AccessControl
from app.access.resources import dataset_resource, entity_resource, job_resource
from app.access.rules import Resource
from app.core.errors import BadUserInput, Forbidden, NotFound
from app.core.models import Dataset, Entity, Job


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
