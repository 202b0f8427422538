"""Search hits become typed objects through the domain loaders: one batch per kind."""

from __future__ import annotations

import asyncio
import uuid

from app.search.records import SearchHit
from resolvers.context import Info
from resolvers.datasets.loaders import DatasetLoaders
from resolvers.datasets.types import Dataset, Job
from resolvers.entities.loaders import EntityLoaders
from resolvers.entities.types import Entity


async def load_hits(info: Info, hits: list[SearchHit]) -> list[Entity | Dataset | Job | None]:
    """The object of each hit, in hit order; None when it vanished since the search."""
    ids = {kind: [h.id for h in hits if h.kind == kind] for kind in ("entity", "dataset", "job")}
    entities, datasets, jobs = await asyncio.gather(
        info.context.loaders(EntityLoaders).entity_by_id.load_many(ids["entity"]),
        info.context.loaders(DatasetLoaders).dataset_by_id.load_many(ids["dataset"]),
        info.context.loaders(DatasetLoaders).job_by_id.load_many(ids["job"]),
    )
    found: dict[tuple[str, uuid.UUID], Entity | Dataset | Job] = {}
    found.update({("entity", e.id): Entity(record=e) for e in entities if e is not None})
    found.update({("dataset", d.id): Dataset(record=d) for d in datasets if d is not None})
    found.update({("job", j.id): Job(record=j) for j in jobs if j is not None})
    return [found.get((hit.kind, hit.id)) for hit in hits]
