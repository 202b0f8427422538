"""GraphQL types of search results."""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry

from resolvers.datasets.types import Dataset, Job
from resolvers.entities.types import Entity
from resolvers.node import PageInfo

SearchResult = Annotated[
    Entity | Dataset | Job, strawberry.union("SearchResult", description="Anything searchable.")
]


@strawberry.enum(description="What to search.")
class SearchKind(enum.Enum):
    ENTITY = "entity"
    DATASET = "dataset"
    JOB = "job"


@strawberry.type
class SearchEdge:
    cursor: str
    rank: float = strawberry.field(description="Higher is better.")
    node: SearchResult


@strawberry.type(description="Search hits, best first, a page at a time.")
class SearchConnection:
    edges: list[SearchEdge]
    page_info: PageInfo
