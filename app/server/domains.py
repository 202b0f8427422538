"""The domains the process is built from, as each layer below needs them listed: this is
where a new domain is registered with the projection (its `PROJECTION`)."""

from __future__ import annotations

from app.datasets.projection import PROJECTION as DATASETS
from app.entities.projection import PROJECTION as ENTITIES
from app.policies.projection import PROJECTION as POLICIES
from app.projection.registry import Projections

# In replay order: policies govern entities and datasets, so they come after them.
PROJECTIONS = Projections([ENTITIES, DATASETS, POLICIES])
