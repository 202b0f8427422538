"""Turns an `Authorization` value (a JWT access token or an API key) into a `Scope`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.errors import Unauthenticated
from app.core.scope import Scope
from app.identity.tokens import API_KEY_PREFIX
from app.identity.users import api_key_scope
from app.policies.cache import stamp_key, stamp_of
from app.runtime.state import AppState


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


@dataclass(frozen=True, slots=True)
class Credential:
    scope: Scope
    # When the credential expires (epoch seconds); None for an API key, which lasts until it
    # is revoked.
    expires_at: float | None
    # The organisation's policy stamp (`app.policies.cache`), None when Redis was not read.
    policy_stamp: str | None


async def authenticate_credential(state: AppState, token: str) -> Credential:
    """The principal behind a token, checked against revocations. The organisation's policy
    stamp is read in the same Redis round trip as the revocation check."""
    if token.startswith(API_KEY_PREFIX):
        scope = await api_key_scope(state.sessions, token)
        return Credential(scope, None, await state.policy_cache.stamp(scope.organization_id))
    claims = state.tokens.decode(token)
    read = await state.revocations.check(claims, also=(stamp_key(claims.organization_id),))
    if read is None:
        state.policy_cache.forget_all()
    scope = Scope(
        organization_id=claims.organization_id,
        actor=f"user:{claims.user_id}",
        role=claims.role,
        user_id=claims.user_id,
        token_family=claims.family,
    )
    return Credential(scope, claims.expires_at, stamp_of(read[0]) if read is not None else None)
