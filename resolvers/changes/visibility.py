"""Which change events a caller may see: those of objects the policies let them read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from app.changes.records import Change
from app.core.scope import Role
from resolvers.context import Context
from resolvers.datasets.loaders import DatasetLoaders
from resolvers.entities.loaders import EntityLoaders


async def visible_changes(context: Context, changes: Sequence[Change]) -> list[Change]:
    """Batched: one load of the entities and one of the relationships, whatever the count."""
    loaders = context.loaders(EntityLoaders)
    rel_ids = [c.aggregate_id for c in changes if c.aggregate_type == "relationship"]
    rels = dict(zip(rel_ids, await loaders.relationship_by_id.load_many(rel_ids), strict=True))
    entity_ids = {c.aggregate_id for c in changes if c.aggregate_type == "entity"}
    for rel in rels.values():
        if rel is not None:
            entity_ids.update((rel.source_id, rel.target_id))
    entity_ids.update(e for c in changes if c.is_description for e in c.endpoints)
    dataset_ids = sorted(
        {c.aggregate_id for c in changes if c.aggregate_type == "dataset"}
        | {e for c in changes if c.is_description for e in c.endpoints}
    )
    job_ids = sorted(
        {c.aggregate_id for c in changes if c.aggregate_type == "job"}
        | {e for c in changes if c.aggregate_type == "run" for e in c.endpoints}
    )
    found_jobs = await context.loaders(DatasetLoaders).job_by_id.load_many(job_ids)
    readable_jobs = {key for key, j in zip(job_ids, found_jobs, strict=True) if j is not None}
    found_datasets = await context.loaders(DatasetLoaders).dataset_by_id.load_many(dataset_ids)
    readable_datasets: set[uuid.UUID] = {
        key for key, d in zip(dataset_ids, found_datasets, strict=True) if d is not None
    }
    ordered = sorted(entity_ids)
    seen = await loaders.entity_by_id.load_many(ordered)
    readable: set[uuid.UUID] = {key for key, e in zip(ordered, seen, strict=True) if e}
    shown: list[Change] = []
    for change in changes:
        if change.aggregate_type == "entity":
            keep = change.aggregate_id in readable
        elif change.aggregate_type == "relationship":
            rel = rels.get(change.aggregate_id)
            # A removed relationship has no row left; its event tells only its id.
            keep = rel is None or {rel.source_id, rel.target_id} <= readable
        elif change.aggregate_type == "policy":
            keep = context.scope.may(Role.STEWARD)
        elif change.is_description:
            # Like a relationship: shown only when the caller may read both ends, since the
            # event names them.
            keep = set(change.endpoints) <= (readable | readable_datasets)
        elif change.aggregate_type == "dataset":
            keep = change.aggregate_id in readable_datasets
        elif change.aggregate_type == "job":
            keep = change.aggregate_id in readable_jobs
        elif change.aggregate_type == "run":
            # A run is shown with its job: the event names the job.
            keep = bool(change.endpoints) and set(change.endpoints) <= readable_jobs
        else:
            keep = False
        if keep:
            shown.append(change)
    return shown
