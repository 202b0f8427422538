"""The per-request context: who is asking, the process's resources, fresh loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry

from app.errors import NexusError, Unauthenticated
from app.scope import Scope
from app.state import AppState
from resolvers.entities.loaders import EntityLoaders


@dataclass
class Context:
    state: AppState
    principal: Scope | None
    request: Any = None
    response: Any = None
    # Why `principal` is None: a bad token is reported instead of a generic "log in".
    auth_error: NexusError | None = None
    connection_params: Any = None
    _entities: EntityLoaders | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.authenticate_as(self.principal)

    def authenticate_as(self, principal: Scope | None) -> None:
        # Built per request (and per event for subscriptions): a loader's cache must never
        # outlive the read it serves.
        self.principal = principal
        self._entities = EntityLoaders(self.state, principal) if principal else None

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
    def entities(self) -> EntityLoaders:
        scope = self.scope
        if self._entities is None:
            self._entities = EntityLoaders(self.state, scope)
        return self._entities


Info = strawberry.Info[Context, None]
