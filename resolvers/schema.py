"""Merges the domains into one schema. Nothing else lives here."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import strawberry
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from app.settings import Settings
from resolvers.changes.queries import ChangeQueries
from resolvers.changes.subscriptions import ChangeSubscriptions
from resolvers.datasets.mutations import DatasetMutations
from resolvers.datasets.queries import DatasetQueries
from resolvers.datasets.types import Dataset, Job, Run
from resolvers.entities.mutations import EntityMutations
from resolvers.entities.queries import EntityQueries
from resolvers.entities.types import Entity, Relationship
from resolvers.extensions import ErrorCodes, RoundTripReporter
from resolvers.lineage.mutations import LineageMutations
from resolvers.lineage.queries import LineageQueries
from resolvers.nodes import NodeQueries
from resolvers.search.queries import SearchQueries


@strawberry.type
class Query(
    NodeQueries, EntityQueries, DatasetQueries, LineageQueries, SearchQueries, ChangeQueries
):
    pass


@strawberry.type
class Mutation(EntityMutations, DatasetMutations, LineageMutations):
    pass


@strawberry.type
class Subscription(ChangeSubscriptions):
    pass


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        ErrorCodes,
        partial(QueryDepthLimiter, max_depth=settings.max_query_depth),
        partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(ParserCache, maxsize=512),
        partial(ValidationCache, maxsize=512),
    ]
    if settings.round_trips_exposed:
        extensions.append(RoundTripReporter)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Entity, Relationship, Dataset, Job, Run],
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True),
    )
