"""The per-request context: who is asking, the process's resources, fresh loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry

from app.errors import NexusError, Unauthenticated
from app.scope import Scope
from app.state import AppState
from resolvers.datasets.loaders import DatasetLoaders
from resolvers.entities.loaders import EntityLoaders
from resolvers.lineage.loaders import LineageLoaders


@dataclass
class Context:
    state: AppState
    principal: Scope | None
    request: Any = None
    response: Any = None
    # Why `principal` is None: a bad token is reported instead of a generic "log in".
    auth_error: NexusError | None = None
    connection_params: Any = None
    _loaders: Loaders | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.authenticate_as(self.principal)

    def authenticate_as(self, principal: Scope | None) -> None:
        # Built per request (and per event for subscriptions): a loader's cache must never
        # outlive the read it serves.
        self.principal = principal
        self._loaders = Loaders(self.state, principal) if principal else None

    def refresh_loaders(self) -> None:
        """A new set of loaders: a subscription gets one per event."""
        self.authenticate_as(self.principal)

    @property
    def scope(self) -> Scope:
        """The caller; reading it without credentials is UNAUTHENTICATED, so a field that
        forgot its permission class still cannot act for nobody."""
        if self.principal is None:
            raise self.auth_error or Unauthenticated("Log in first: send a bearer token.")
        return self.principal

    @property
    def loaders(self) -> Loaders:
        scope = self.scope
        if self._loaders is None:
            self._loaders = Loaders(self.state, scope)
        return self._loaders

    @property
    def entities(self) -> EntityLoaders:
        return self.loaders.entities

    @property
    def datasets(self) -> DatasetLoaders:
        return self.loaders.datasets

    @property
    def lineage(self) -> LineageLoaders:
        return self.loaders.lineage


class Loaders:
    """Every domain's loaders for one caller."""

    def __init__(self, state: AppState, scope: Scope) -> None:
        self.entities = EntityLoaders(state, scope)
        self.datasets = DatasetLoaders(state, scope)
        self.lineage = LineageLoaders(state, scope)


Info = strawberry.Info[Context, None]
