"""Turns an `Authorization` value (a JWT access token or an API key) into a `Scope`."""

from __future__ import annotations

from typing import Any

from app.errors import Unauthenticated
from app.identity import api_key_scope
from app.scope import Scope
from app.state import AppState
from app.tokens import API_KEY_PREFIX


def bearer_token(value: Any) -> str | None:
    """The token of `Bearer <token>`; None when nothing was sent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Unauthenticated("The Authorization value must be a string.")
    scheme, _, token = value.strip().partition(" ")
    if not token:
        # A bare token is accepted from WebSocket connection parameters ({"token": ...}).
        return scheme
    if scheme.lower() != "bearer":
        raise Unauthenticated("Use `Authorization: Bearer <token>`.")
    return token.strip()


async def authenticate(state: AppState, token: str) -> Scope:
    return (await authenticate_credential(state, token))[0]


async def authenticate_credential(state: AppState, token: str) -> tuple[Scope, float | None]:
    """The principal, and when its credential expires (epoch seconds; None for an API key,
    which lasts until it is revoked)."""
    if token.startswith(API_KEY_PREFIX):
        return await api_key_scope(state.sessions, token), None
    claims = state.tokens.decode(token)
    await state.revocations.check(claims)
    scope = Scope(
        organization_id=claims.organization_id,
        actor=f"user:{claims.user_id}",
        role=claims.role,
        user_id=claims.user_id,
        token_family=claims.family,
    )
    return scope, claims.expires_at
