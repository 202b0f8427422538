"""`search`: ranked full-text search over entities, datasets and jobs."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

import strawberry

from app.access.control import DATASET_COLUMNS, ENTITY_COLUMNS, JOB_COLUMNS
from app.core.errors import BadUserInput
from app.core.scope import Role
from app.search import records
from resolvers.caching import CACHEABLE
from resolvers.context import Info
from resolvers.node import PageInfo
from resolvers.pagination import page_size
from resolvers.permissions import requires
from resolvers.search.loaders import load_hits
from resolvers.search.types import SearchConnection, SearchEdge, SearchKind


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"search:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    try:
        kind, _, raw = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "search":
            raise ValueError(kind)
        return int(raw)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise BadUserInput("after is not a search cursor.", field="after") from exc


@strawberry.type
class SearchQueries:
    @strawberry.field(
        metadata=CACHEABLE,
        extensions=requires(Role.VIEWER),
        description="Entities, datasets and jobs whose name, description or tags match every "
        "word of `text` (as prefixes), best first.",
    )
    async def search(
        self,
        info: Info,
        text: str,
        kinds: list[SearchKind] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> SearchConnection:
        size = page_size(info, first)
        start = _offset(after) + 1 if after is not None else 0
        wanted: Sequence[records.SearchKind] = [k.value for k in (kinds or list(SearchKind))]
        access = await info.context.access()
        hits, has_next = await records.search(
            info.context.state.sessions,
            organization_id=info.context.scope.organization_id,
            text=text,
            kinds=wanted,
            first=size,
            offset=start,
            visible={
                "entity": access.visible_clause(ENTITY_COLUMNS),
                "dataset": access.visible_clause(DATASET_COLUMNS),
                "job": access.visible_clause(JOB_COLUMNS),
            },
            masked={
                "entity": access.masked_clause(ENTITY_COLUMNS),
                "dataset": access.masked_clause(DATASET_COLUMNS),
            },
        )
        nodes = await load_hits(info, hits)
        edges = [
            SearchEdge(cursor=_cursor(start + i), rank=hit.rank, node=node)
            for i, (hit, node) in enumerate(zip(hits, nodes, strict=True))
            if node is not None
        ]
        return SearchConnection(
            edges=edges,
            page_info=PageInfo.of(edges, has_next=has_next, has_previous=start > 0),
        )
