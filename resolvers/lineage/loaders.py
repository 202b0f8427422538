"""Per-request DataLoaders for lineage traversals: every start node of a request expands
together, one statement per hop."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from app.core.scope import Scope
from app.runtime.state import AppState
from graph import lineage as graph_lineage
from graph.lineage import LineageKey, Traversal


class TraversalByKeyLoader(DataLoader[LineageKey, Traversal]):
    def __init__(self, state: AppState, scope: Scope) -> None:
        self._state, self._scope = state, scope
        super().__init__(load_fn=self._load)

    async def _load(self, keys: list[LineageKey]) -> Sequence[Traversal]:
        return await graph_lineage.traversals(
            self._state.graph, org=str(self._scope.organization_id), keys=keys
        )


class LineageLoaders:
    def __init__(self, state: AppState, scope: Scope) -> None:
        self.traversal_by_key = TraversalByKeyLoader(state, scope)
