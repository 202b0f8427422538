"""Access tokens (JWT), opaque refresh tokens and API key secrets, and the Redis revocation
list that `logout` and `logoutAll` write.

Access tokens carry `sub` (user id), `org`, `role`, `jti`, `fam` (the refresh-token family
they came from), `iat`, `exp`, `aud` and `iss`. Algorithms are pinned by configuration; a
token signed any other way, or without `exp`/`iat`, is refused.

Revocation lives in Redis: a revoked family (one login: `logout`, or a reused refresh
token) and a per-user "not before" time (`logoutAll`, a role change). When Redis cannot be
asked, a token is checked against the revocations this process made itself, so that the
service keeps serving while Redis is down (the access token's short lifetime bounds the
risk). With NEXUS_REVOCATION_FAIL_CLOSED set, authenticated requests fail with UNAVAILABLE
instead.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt
import redis.asyncio as aioredis

from app.core.errors import Unauthenticated, Unavailable
from app.core.scope import Role
from app.core.settings import Settings

REFRESH_PREFIX = "nxr_"
API_KEY_PREFIX = "nxk_"
_FAMILY_KEY = "nexus:auth:family:{}"
_NOT_BEFORE_KEY = "nexus:auth:nbf:{}"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    organization_id: uuid.UUID
    role: Role
    jti: str
    family: str | None
    issued_at: float
    expires_at: float


def digest(secret: str) -> str:
    """How refresh tokens and API keys are stored: they are long random strings, so a fast
    hash is enough (no dictionary to attack), and lookups stay one indexed equality."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_refresh_token() -> str:
    return REFRESH_PREFIX + secrets.token_urlsafe(32)


def new_api_key() -> tuple[str, str]:
    """(prefix, full secret): the prefix is shown in listings, the secret only once."""
    prefix = secrets.token_hex(4)
    return prefix, f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


class TokenIssuer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._algorithm = settings.jwt_algorithm
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None
        self._signing_key: Any = None
        self._verify_key: Any = None
        if self._algorithm == "HS256":
            self._signing_key = self._verify_key = settings.jwt_secret.get_secret_value()
        else:
            if settings.jwt_private_key_file is not None:
                self._signing_key = settings.jwt_private_key_file.read_text()
            if settings.jwt_public_key_file is not None:
                self._verify_key = settings.jwt_public_key_file.read_text()

    @property
    def access_ttl(self) -> int:
        return self._settings.access_token_ttl

    def issue(
        self, *, user_id: uuid.UUID, organization_id: uuid.UUID, role: Role, family: uuid.UUID
    ) -> str:
        if self._signing_key is None:
            raise Unavailable(
                "This service does not issue tokens (RS256 without a signing key); "
                "log in through your identity provider."
            )
        now = time.time()
        claims = {
            "sub": str(user_id),
            "org": str(organization_id),
            "role": role.value,
            "jti": uuid.uuid4().hex,
            "fam": str(family),
            "iat": now,
            "nbf": int(now) - 1,
            "exp": int(now) + self.access_ttl,
            "iss": self._settings.jwt_issuer,
            "aud": self._settings.jwt_audience,
        }
        return jwt.encode(claims, self._signing_key, algorithm=self._algorithm)

    def decode(self, token: str) -> AccessClaims:
        try:
            key = self._verify_key
            if self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token).key
            raw = jwt.decode(
                token,
                key,
                algorithms=[self._algorithm],
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                options={"require": ["exp", "iat", "sub", "jti", "aud", "iss"]},
            )
            return AccessClaims(
                user_id=uuid.UUID(raw["sub"]),
                organization_id=uuid.UUID(raw["org"]),
                role=Role(raw["role"]),
                jti=str(raw["jti"]),
                family=str(raw["fam"]) if raw.get("fam") else None,
                issued_at=float(raw["iat"]),
                expires_at=float(raw["exp"]),
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The access token has expired; refresh it.") from exc
        except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
            raise Unauthenticated("The access token is not valid.") from exc


class Revocations:
    """The Redis side of logout: checked on every authenticated request, one round trip.

    When Redis cannot be reached the check degrades instead of taking the whole API down with
    it (access tokens live minutes; refresh-token families are revoked in Postgres too): it
    falls back to the revocations this process made itself, and logs that it did. Operators
    who prefer refusing every request meanwhile set NEXUS_REVOCATION_FAIL_CLOSED=true.
    """

    def __init__(self, redis: aioredis.Redis, *, fail_closed: bool = False) -> None:
        self._redis = redis
        self._fail_closed = fail_closed
        # key -> (value, expires at): what this process revoked, for when Redis is away.
        self._local: dict[str, tuple[str, float]] = {}
        self._degraded = False

    async def check(self, claims: AccessClaims, *, also: Sequence[str] = ()) -> list[Any] | None:
        """Raise UNAUTHENTICATED when the token was revoked. `also` are other keys read in
        the same round trip; their values are returned, or None when Redis was not read."""
        keys = (_FAMILY_KEY.format(claims.family), _NOT_BEFORE_KEY.format(claims.user_id))
        extra: list[Any] | None = None
        try:
            family, not_before, *extra = await self._redis.mget(*keys, *also)
            self._degraded = False
        except Exception as exc:
            if self._fail_closed:
                raise Unavailable(
                    "Token revocation cannot be checked (Redis); retry shortly.", backend="redis"
                ) from exc
            if not self._degraded:
                self._degraded = True
                log.warning("redis unreachable: checking token revocations made by this process")
            family, not_before = (self._remembered(key) for key in keys)
        if family is not None:
            raise Unauthenticated("The access token has been revoked.")
        if not_before is not None and claims.issued_at < float(not_before):
            raise Unauthenticated("The access token has been revoked.")
        return extra

    async def revoke_family(self, family: uuid.UUID | str, *, ttl: int) -> None:
        self._remember(_FAMILY_KEY.format(family), "1", ttl)
        await self._redis.set(_FAMILY_KEY.format(family), "1", ex=ttl)

    async def revoke_user(self, user_id: uuid.UUID, *, ttl: int) -> None:
        """Every access token issued to this user until now stops working."""
        now = repr(time.time())
        self._remember(_NOT_BEFORE_KEY.format(user_id), now, ttl)
        await self._redis.set(_NOT_BEFORE_KEY.format(user_id), now, ex=ttl)

    def _remember(self, key: str, value: str, ttl: int) -> None:
        now = time.time()
        self._local = {k: v for k, v in self._local.items() if v[1] > now}
        self._local[key] = (value, now + ttl)

    def _remembered(self, key: str) -> str | None:
        entry = self._local.get(key)
        return entry[0] if entry is not None and entry[1] > time.time() else None
