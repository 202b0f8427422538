"""Per-request DataLoaders for entities: one statement per batch, results in key order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from app.core.models import Entity, Relationship
from app.core.scope import Scope
from app.entities import neighbors, records
from app.entities.neighbors import (
    Neighborhood,
    NeighborhoodKey,
    RelationshipPage,
    RelationshipPageKey,
)
from app.runtime.state import AppState
from resolvers.loaders import AccessGetter, LoaderBundle


class EntityByIdLoader(DataLoader[uuid.UUID, Entity | None]):
    """Entities as the caller may see them: None when a policy hides one, sensitive fields
    masked. Every entity read by id goes through here."""

    def __init__(self, state: AppState, scope: Scope, access: AccessGetter) -> None:
        self._state, self._scope, self._access = state, scope, access
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[Entity | None]:
        async with self._state.reads() as session:
            found = await records.entities_by_ids(
                session, organization_id=self._scope.organization_id, ids=ids
            )
        return (await self._access()).present_entities(found)


class RelationshipByIdLoader(DataLoader[uuid.UUID, Relationship | None]):
    def __init__(self, state: AppState, scope: Scope) -> None:
        self._state, self._scope = state, scope
        super().__init__(load_fn=self._load)

    async def _load(self, ids: list[uuid.UUID]) -> Sequence[Relationship | None]:
        async with self._state.reads() as session:
            return await records.relationships_by_ids(
                session, organization_id=self._scope.organization_id, ids=ids
            )


class RelationshipPageByEntityLoader(DataLoader[RelationshipPageKey, RelationshipPage]):
    def __init__(self, state: AppState, scope: Scope) -> None:
        self._state, self._scope = state, scope
        super().__init__(load_fn=self._load)

    async def _load(self, keys: list[RelationshipPageKey]) -> Sequence[RelationshipPage]:
        return await neighbors.relationship_pages(self._state.graph, self._scope, keys)


class NeighborhoodByEntityLoader(DataLoader[NeighborhoodKey, Neighborhood]):
    def __init__(self, state: AppState, scope: Scope) -> None:
        self._state, self._scope = state, scope
        super().__init__(load_fn=self._load)

    async def _load(self, keys: list[NeighborhoodKey]) -> Sequence[Neighborhood]:
        return await neighbors.neighborhoods(self._state.graph, self._scope, keys)


class EntityLoaders(LoaderBundle):
    def __init__(self, state: AppState, scope: Scope, access: AccessGetter) -> None:
        super().__init__(state, scope, access)
        self.entity_by_id = EntityByIdLoader(state, scope, access)
        self.relationship_by_id = RelationshipByIdLoader(state, scope)
        self.relationship_page_by_entity = RelationshipPageByEntityLoader(state, scope)
        self.neighborhood_by_entity = NeighborhoodByEntityLoader(state, scope)
