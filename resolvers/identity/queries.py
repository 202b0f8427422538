"""`me`: who the caller is."""

from __future__ import annotations

import strawberry

from app.core.scope import Role
from app.identity import users as identity
from resolvers.context import Info
from resolvers.identity.types import Me, Organization, User
from resolvers.node import to_global_id
from resolvers.permissions import requires


@strawberry.type
class IdentityQueries:
    @strawberry.field(extensions=requires(Role.VIEWER), description="The caller.")
    async def me(self, info: Info) -> Me:
        scope, sessions = info.context.scope, info.context.state.sessions
        org = await identity.organization(sessions, scope.organization_id)
        user = None
        if scope.user_id is not None:
            async with sessions() as session:
                (found,) = await identity.users_by_ids(
                    session, organization_id=scope.organization_id, ids=[scope.user_id]
                )
            if found is not None:
                user = User(record=found[0], member_role=Role(found[1].role))
        return Me(
            user=user,
            organization=Organization(record=org),
            role=scope.role,
            api_key_id=to_global_id("ApiKey", scope.api_key_id) if scope.api_key_id else None,
        )
