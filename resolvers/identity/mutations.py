"""Sessions (login, refresh, logout), users, memberships and API keys."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.core.errors import Unauthenticated
from app.core.scope import Role
from app.identity import sessions as auth_sessions
from app.identity import users as identity
from app.identity.sessions import RefreshTokenReused, Session
from resolvers.context import Info
from resolvers.identity.types import ApiKey, AuthPayload, CreateApiKeyPayload, User
from resolvers.node import expect_global_id
from resolvers.permissions import RoleType, public, requires


@strawberry.input
class CreateUserInput:
    email: str
    display_name: str
    password: str = strawberry.field(description="At least 12 characters.")
    role: RoleType = Role.VIEWER  # type: ignore[valid-type]


def _address(info: Info) -> str:
    client = getattr(info.context.request, "client", None)
    return client.host if client is not None else "unknown"


def _auth_payload(info: Info, session: Session) -> AuthPayload:
    state = info.context.state
    token = state.tokens.issue(
        user_id=session.user.id,
        organization_id=session.organization_id,
        role=session.role,
        family=session.family_id,
    )
    return AuthPayload(
        access_token=token,
        refresh_token=session.refresh_token,
        token_type="Bearer",  # noqa: S106 (the scheme, not a secret)
        expires_in=state.tokens.access_ttl,
        user=User(record=session.user, member_role=session.role),
        role=session.role,
    )


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(
        extensions=public(),
        description="Exchange an email and password for tokens. Repeated failures are "
        "RATE_LIMITED per user and per client address.",
    )
    async def login(
        self,
        info: Info,
        email: str,
        password: str,
        organization: Annotated[
            str | None,
            strawberry.argument(description="Organisation slug, when you belong to several."),
        ] = None,
    ) -> AuthPayload:
        state, address = info.context.state, _address(info)
        await state.login_limiter.check(email, address)
        try:
            session = await auth_sessions.login(
                state.sessions,
                email=email,
                password=password,
                organization_slug=organization,
                refresh_ttl=state.settings.refresh_token_ttl,
            )
        except Unauthenticated:
            await state.login_limiter.failed(email, address)
            raise
        await state.login_limiter.succeeded(email)
        return _auth_payload(info, session)

    @strawberry.mutation(
        extensions=public(),
        description="Exchange a refresh token for new tokens. Each refresh token works once: "
        "presenting a used one again revokes every token of its session.",
    )
    async def refresh_token(self, info: Info, refresh_token: str) -> AuthPayload:
        state = info.context.state
        try:
            session = await auth_sessions.refresh(
                state.sessions,
                token=refresh_token,
                refresh_ttl=state.settings.refresh_token_ttl,
            )
        except RefreshTokenReused as exc:
            await state.revocations.revoke_family(exc.family, ttl=state.tokens.access_ttl)
            raise
        return _auth_payload(info, session)

    @strawberry.mutation(
        extensions=requires(Role.VIEWER),
        description="End this session: its access token and refresh tokens stop working.",
    )
    async def logout(self, info: Info) -> bool:
        scope, state = info.context.scope, info.context.state
        await auth_sessions.logout(state.sessions, scope=scope, everywhere=False)
        if scope.token_family is not None:
            await state.revocations.revoke_family(scope.token_family, ttl=state.tokens.access_ttl)
        return True

    @strawberry.mutation(
        extensions=requires(Role.VIEWER),
        description="End every session of the caller, on every device.",
    )
    async def logout_all(self, info: Info) -> bool:
        scope, state = info.context.scope, info.context.state
        await auth_sessions.logout(state.sessions, scope=scope, everywhere=True)
        if scope.user_id is not None:
            await state.revocations.revoke_user(scope.user_id, ttl=state.tokens.access_ttl)
        return True

    @strawberry.mutation(
        extensions=requires(Role.ADMIN),
        description="Add a user to your organisation with a role.",
    )
    async def create_user(self, info: Info, input: CreateUserInput) -> User:
        user, membership = await identity.create_user(
            info.context.state.sessions,
            scope=info.context.scope,
            email=input.email,
            display_name=input.display_name,
            password=input.password,
            role=Role(input.role),
        )
        return User(record=user, member_role=Role(membership.role))

    @strawberry.mutation(
        extensions=requires(Role.ADMIN),
        description="Change a member's role. Their current access tokens stop working; the "
        "next refresh carries the new role.",
    )
    async def set_membership(
        self,
        info: Info,
        user_id: strawberry.ID,
        role: RoleType,  # type: ignore[valid-type]
    ) -> User:
        state, scope = info.context.state, info.context.scope
        raw = expect_global_id(user_id, "User", field="userId")
        await identity.set_membership(
            state.sessions,
            scope=scope,
            user_id=raw,
            role=Role(role),
            before_commit=lambda: state.revocations.revoke_user(raw, ttl=state.tokens.access_ttl),
        )
        async with state.sessions() as session:
            (found,) = await identity.users_by_ids(
                session, organization_id=scope.organization_id, ids=[raw]
            )
        assert found is not None
        return User(record=found[0], member_role=Role(found[1].role))

    @strawberry.mutation(
        extensions=requires(Role.ADMIN),
        description="Create an API key for machines; its secret is shown once. It acts with "
        "the lower of its role and yours at the time of each request. Signed-in users only.",
    )
    async def create_api_key(
        self,
        info: Info,
        name: str,
        role: RoleType = Role.VIEWER,  # type: ignore[valid-type]
    ) -> CreateApiKeyPayload:
        key, secret = await identity.create_api_key(
            info.context.state.sessions, scope=info.context.scope, name=name, role=Role(role)
        )
        return CreateApiKeyPayload(api_key=ApiKey(record=key), secret=secret)

    @strawberry.mutation(
        extensions=requires(Role.ADMIN),
        description="Revoke an API key: it stops working at once.",
    )
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> ApiKey:
        key = await identity.revoke_api_key(
            info.context.state.sessions,
            scope=info.context.scope,
            key_id=expect_global_id(id, "ApiKey"),
        )
        return ApiKey(record=key)
