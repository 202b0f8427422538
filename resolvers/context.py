"""The per-request context: who is asking, the process's resources, fresh loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry

from app.scope import Scope
from app.state import AppState
from resolvers.entities.loaders import EntityLoaders


@dataclass
class Context:
    state: AppState
    scope: Scope
    request: Any = None
    response: Any = None
    entities: EntityLoaders = field(init=False)

    def __post_init__(self) -> None:
        self.refresh_loaders()

    def refresh_loaders(self) -> None:
        """Loaders live for one request, or one event of a subscription: a loader's cache
        must never outlive the read it serves."""
        self.entities = EntityLoaders(self.state, self.scope)


Info = strawberry.Info[Context, None]
