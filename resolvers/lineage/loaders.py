"""Per-request DataLoaders for lineage traversals: every start node of a request expands
together, one statement per hop."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from app.core.scope import Scope
from app.lineage import traversal
from app.lineage.traversal import LineageKey, Traversal
from app.runtime.state import AppState
from resolvers.loaders import AccessGetter, LoaderBundle


class TraversalByKeyLoader(DataLoader[LineageKey, Traversal]):
    def __init__(self, state: AppState, scope: Scope) -> None:
        self._state, self._scope = state, scope
        super().__init__(load_fn=self._load)

    async def _load(self, keys: list[LineageKey]) -> Sequence[Traversal]:
        return await traversal.traversals(self._state.graph, self._scope, keys)


class LineageLoaders(LoaderBundle):
    def __init__(self, state: AppState, scope: Scope, access: AccessGetter) -> None:
        super().__init__(state, scope, access)
        self.traversal_by_key = TraversalByKeyLoader(state, scope)
