"""What each policy governs, read from the graph (its GOVERNS edges) within the caller's
organisation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from app.core.scope import Scope
from graph import policies as graph_policies
from graph.driver import Graph
from graph.policies import Governed

__all__ = ["Governed", "governed_by"]


async def governed_by(graph: Graph, scope: Scope, ids: Sequence[uuid.UUID]) -> list[list[Governed]]:
    """The datasets, entities and tags each policy governs, in key order."""
    return await graph_policies.governed_by(
        graph, org=str(scope.organization_id), ids=[str(i) for i in ids]
    )
