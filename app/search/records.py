"""Full-text search over entities, datasets and jobs, ranked, in Postgres.

Postgres rather than a Neo4j full-text index: names, descriptions and tags live in the
records, so search sees a write the moment it commits (no projection lag, and it keeps working
while Neo4j is down), and ranking, prefix matching and the organisation filter are one SQL
statement over GIN indexes (`app.core.models.search_vector`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    Float,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    union_all,
)

from app.core.db import SessionFactory
from app.core.errors import BadUserInput
from app.core.models import Dataset, Entity, Job, search_vector

SearchKind = Literal["entity", "dataset", "job"]
MAX_TERMS = 10
MAX_OFFSET = 1_000
# A tag equal to a search term counts as much as a strong text match.
TAG_BONUS = 1.0


@dataclass(frozen=True, slots=True)
class SearchHit:
    kind: SearchKind
    id: uuid.UUID
    rank: float


def search_terms(text: str) -> list[str]:
    terms = re.findall(r"\w+", text.lower())[:MAX_TERMS]
    if not terms:
        raise BadUserInput("text must contain at least one word.", field="text")
    return terms


async def search(
    sessions: SessionFactory,
    *,
    organization_id: uuid.UUID,
    text: str,
    kinds: Sequence[SearchKind],
    first: int,
    offset: int,
    visible: Mapping[SearchKind, Any] | None = None,
    masked: Mapping[SearchKind, Any] | None = None,
) -> tuple[list[SearchHit], bool]:
    """One page of hits, best first; True when there are more. `visible` holds, per kind,
    the SQL condition of what the caller may see (`AccessControl.visible_clause`), so
    hidden objects never take a place on a page. `masked` holds the rows whose description
    the caller sees masked (`AccessControl.masked_clause`): those match on their name only,
    so a search cannot reveal words of a masked description."""
    if offset > MAX_OFFSET:
        raise BadUserInput(f"Search pages end after {MAX_OFFSET} results.", field="after")
    terms = search_terms(text)
    # Every term must match, each as a prefix: "ord rev" finds "orders revenue".
    query = func.to_tsquery(
        literal_column("'simple'::regconfig"), " & ".join(f"{t}:*" for t in terms)
    )
    parts: list[Any] = []
    sources: list[tuple[SearchKind, Any, Any, Any]] = [
        ("entity", Entity, Entity.tags, Entity.deleted_at),
        ("dataset", Dataset, Dataset.tags, Dataset.deleted_at),
        ("job", Job, None, None),
    ]
    for kind, model, tags, deleted_at in sources:
        if kind not in kinds:
            continue
        vector = search_vector(model.name, model.description)
        rank: Any = cast(func.ts_rank(vector, query), Float)
        matches = vector.op("@@")(query)
        hidden_text = masked.get(kind) if masked is not None else None
        if hidden_text is not None:
            # A name match implies a match of the whole document, so the GIN index on the
            # whole document still narrows the rows first.
            name_only = search_vector(model.name, None)
            matches = and_(matches, or_(not_(hidden_text), name_only.op("@@")(query)))
            rank = case((hidden_text, cast(func.ts_rank(name_only, query), Float)), else_=rank)
        statement = select(literal(kind).label("kind"), model.id, model.name).where(
            model.organization_id == organization_id
        )
        if visible is not None and kind in visible:
            statement = statement.where(visible[kind])
        if tags is None:
            parts.append(statement.add_columns(rank.label("rank")).where(matches))
            continue
        tagged = tags.overlap(terms)
        bonus = case((tagged, TAG_BONUS), else_=0.0)
        parts.append(
            statement.add_columns((rank + bonus).label("rank")).where(
                matches | tagged, deleted_at.is_(None)
            )
        )
    if not parts:
        return [], False
    hits = union_all(*parts).subquery()
    ordered = (
        select(hits.c.kind, hits.c.id, hits.c.rank)
        .order_by(hits.c.rank.desc(), hits.c.name, hits.c.id)
        .offset(offset)
        .limit(first + 1)
    )
    async with sessions() as session:
        rows = (await session.execute(ordered)).all()
    found = [SearchHit(kind=row.kind, id=row.id, rank=float(row.rank)) for row in rows]
    return found[:first], len(found) > first
