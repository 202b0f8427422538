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
from resolvers.audit.queries import AuditQueries
from resolvers.changes.queries import ChangeQueries
from resolvers.changes.subscriptions import ChangeSubscriptions
from resolvers.entities.mutations import EntityMutations
from resolvers.entities.queries import EntityQueries
from resolvers.entities.types import Entity, Relationship
from resolvers.extensions import ErrorCodes, RoundTripReporter
from resolvers.identity.mutations import IdentityMutations
from resolvers.identity.queries import IdentityQueries
from resolvers.identity.types import ApiKey, User
from resolvers.nodes import NodeQueries
from resolvers.policies.mutations import PolicyMutations
from resolvers.policies.queries import PolicyQueries
from resolvers.policies.types import Approval, Policy


@strawberry.type
class Query(
    NodeQueries, EntityQueries, IdentityQueries, PolicyQueries, AuditQueries, ChangeQueries
):
    pass


@strawberry.type
class Mutation(EntityMutations, PolicyMutations, IdentityMutations):
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
        types=[Entity, Relationship, User, ApiKey, Policy, Approval],
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True),
    )
