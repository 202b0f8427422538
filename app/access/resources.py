"""What a record is to the policy engine (`Resource`), and how its sensitive fields are
masked for callers without `read_sensitive`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.access.rules import MASK, SENSITIVE_TAG, Resource
from app.core.models import Dataset, DatasetVersion, Entity, Job


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
    tagged = {item.get("name") for item in dataset.fields if is_tagged(item)}
    return [
        {**item, "description": MASK}
        if item.get("description") is not None
        and (whole or is_tagged(item) or item.get("name") in tagged)
        else item
        for item in fields
    ]


def is_tagged(item: dict[str, Any]) -> bool:
    return SENSITIVE_TAG in (item.get("tags") or ())


def is_sensitive(dataset: Dataset) -> bool:
    return SENSITIVE_TAG in dataset.tags or any(is_tagged(item) for item in dataset.fields)
