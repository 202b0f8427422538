"""The per-request context: who is asking, the process's resources, fresh loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry

from app.scope import Scope
from app.state import AppState
from resolvers.datasets.loaders import DatasetLoaders
from resolvers.entities.loaders import EntityLoaders
from resolvers.lineage.loaders import LineageLoaders


@dataclass
class Context:
    state: AppState
    scope: Scope
    request: Any = None
    response: Any = None
    entities: EntityLoaders = field(init=False)
    datasets: DatasetLoaders = field(init=False)
    lineage: LineageLoaders = field(init=False)

    def __post_init__(self) -> None:
        # Built per request (and per event for subscriptions): a loader's cache must never
        # outlive the read it serves.
        self.entities = EntityLoaders(self.state, self.scope)
        self.datasets = DatasetLoaders(self.state, self.scope)
        self.lineage = LineageLoaders(self.state, self.scope)


Info = strawberry.Info[Context, None]
