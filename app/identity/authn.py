"""Turns an `Authorization` value (a JWT access token or an API key) into a `Scope`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.db import SessionFactory
from app.core.errors import Unauthenticated
from app.core.scope import Scope
from app.identity.tokens import API_KEY_PREFIX, Revocations, TokenIssuer
from app.identity.users import api_key_scope
from app.policies.cache import PolicyCache, stamp_key, stamp_of


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


class Authenticator:
    """Turns a token into the principal behind it, checked against revocations."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        tokens: TokenIssuer,
        revocations: Revocations,
        policy_cache: PolicyCache,
    ) -> None:
        self._sessions = sessions
        self._tokens = tokens
        self._revocations = revocations
        self._policy_cache = policy_cache

    async def authenticate(self, token: str) -> Credential:
        """The organisation's policy stamp is read in the same Redis round trip as the
        revocation check."""
        if token.startswith(API_KEY_PREFIX):
            scope = await api_key_scope(self._sessions, token)
            return Credential(scope, None, await self._policy_cache.stamp(scope.organization_id))
        claims = self._tokens.decode(token)
        read = await self._revocations.check(claims, also=(stamp_key(claims.organization_id),))
        if read is None:
            self._policy_cache.forget_all()
        scope = Scope(
            organization_id=claims.organization_id,
            actor=f"user:{claims.user_id}",
            role=claims.role,
            user_id=claims.user_id,
            token_family=claims.family,
        )
        stamp = stamp_of(read[0]) if read is not None else None
        return Credential(scope, claims.expires_at, stamp)
