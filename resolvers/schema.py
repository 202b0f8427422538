"""Merges the domains into one schema. Nothing else lives here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.core.errors import NexusError, as_unavailable
from app.core.settings import Settings
from resolvers.audit.queries import AuditQueries
from resolvers.audit.subscriptions import AuditSubscriptions
from resolvers.changes.queries import ChangeQueries
from resolvers.changes.subscriptions import ChangeSubscriptions
from resolvers.datasets.mutations import DatasetMutations
from resolvers.datasets.queries import DatasetQueries
from resolvers.datasets.subscriptions import DatasetSubscriptions
from resolvers.datasets.types import NODES as DATASET_NODES
from resolvers.entities.mutations import EntityMutations
from resolvers.entities.queries import EntityQueries
from resolvers.entities.subscriptions import EntitySubscriptions
from resolvers.entities.types import NODES as ENTITY_NODES
from resolvers.extensions import ErrorCodes, OperationContext, RoundTripReporter
from resolvers.identity.mutations import IdentityMutations
from resolvers.identity.queries import IdentityQueries
from resolvers.identity.types import ApiKey, User
from resolvers.lineage.mutations import LineageMutations
from resolvers.lineage.queries import LineageQueries
from resolvers.node_types import NodeTypes
from resolvers.nodes import NodeQueries
from resolvers.policies.mutations import PolicyMutations
from resolvers.policies.queries import PolicyQueries
from resolvers.policies.subscriptions import PolicySubscriptions
from resolvers.policies.types import NODES as POLICY_NODES
from resolvers.policies.types import Approval
from resolvers.search.queries import SearchQueries

log = logging.getLogger("nexus.graphql")


@strawberry.type
class Query(
    NodeQueries,
    EntityQueries,
    DatasetQueries,
    LineageQueries,
    SearchQueries,
    IdentityQueries,
    PolicyQueries,
    AuditQueries,
    ChangeQueries,
):
    pass


@strawberry.type
class Mutation(
    EntityMutations, DatasetMutations, LineageMutations, PolicyMutations, IdentityMutations
):
    pass


@strawberry.type
class Subscription(
    EntitySubscriptions,
    DatasetSubscriptions,
    PolicySubscriptions,
    AuditSubscriptions,
    ChangeSubscriptions,
):
    pass


# What `node(id)` resolves, by type name: each domain declares its own.
NODE_TYPES = NodeTypes(ENTITY_NODES, DATASET_NODES, POLICY_NODES)


class NexusSchema(strawberry.Schema):
    node_types = NODE_TYPES

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected failures (bad input, not found, a backend down) are answers, not incidents;
        # only unexpected errors are logged, with their traceback.
        for error in errors:
            original = error.original_error
            if original is None or isinstance(original, NexusError | GraphQLError):
                continue
            if as_unavailable(original) is not None:
                continue
            log.error(
                "unexpected error",
                exc_info=(type(original), original, original.__traceback__),
                extra={"path": ".".join(str(p) for p in error.path or ())},
            )


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    # The depth and alias limits are validation rules. Strawberry's limiters build a new rule
    # class each time they are instantiated, which is once per request, and the validation
    # cache is keyed by the rules, so every request missed it (validation was about 14% of
    # the CPU of a lineage query). Built once here, the rules are the same on every request.
    limits = (
        QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules
        + MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules
    )
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        ErrorCodes,
        OperationContext,
        partial(AddValidationRules, limits),
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(ParserCache, maxsize=512),
        partial(ValidationCache, maxsize=512),
    ]
    if settings.round_trips_exposed:
        extensions.append(RoundTripReporter)
    return NexusSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[*NODE_TYPES.classes, User, ApiKey, Approval],
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True),
    )
