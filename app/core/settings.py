"""Typed settings: the only place that reads the environment.

Every setting is `NEXUS_<NAME>`; defaults match the services that `make services` starts.
Secrets are `SecretStr`, so they never appear in reprs or logs.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

# Only good for development and tests: production refuses to start with it.
DEFAULT_JWT_SECRET = "nexus-dev-jwt-secret-change-me-0123456789abcdef"  # noqa: S105


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEXUS_", extra="ignore", frozen=True)

    env: Environment = "development"

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)

    database_url: SecretStr = SecretStr("postgresql+asyncpg://nexus:nexus@127.0.0.1:5432/nexus")
    database_pool_size: int = Field(default=10, ge=1)
    database_connect_timeout: float = Field(default=3.0, gt=0)
    database_statement_timeout_ms: int = Field(default=15_000, ge=0)

    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("nexus-dev-password")
    neo4j_database: str = "neo4j"
    neo4j_connect_timeout: float = Field(default=3.0, gt=0)
    neo4j_pool_size: int = Field(default=50, ge=1)

    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")

    jwt_secret: SecretStr = SecretStr(DEFAULT_JWT_SECRET)
    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_issuer: str = "nexus-graph"
    jwt_audience: str = "nexus-graph"
    jwt_private_key_file: Path | None = Field(
        default=None, description="RS256 signing key, when this service issues RS256 tokens."
    )
    jwt_public_key_file: Path | None = Field(
        default=None, description="RS256 verification key (PEM) of an identity provider."
    )
    jwks_url: str | None = Field(default=None, description="RS256 keys of an identity provider.")
    access_token_ttl: int = Field(default=900, ge=30, description="Seconds.")
    refresh_token_ttl: int = Field(default=7 * 24 * 3600, ge=60, description="Seconds.")
    login_max_attempts: int = Field(
        default=5, ge=1, description="Failed logins per user per window."
    )
    login_max_attempts_per_ip: int = Field(
        default=50, ge=1, description="Failed logins per client address per window."
    )
    login_window: int = Field(default=300, ge=1, description="Seconds.")

    graphiql: bool | None = Field(
        default=None, description="Serve GraphiQL at /graphql; on by default outside production."
    )
    max_query_depth: int = Field(default=12, ge=2)
    max_aliases: int = Field(default=30, ge=1)
    max_tokens: int = Field(default=2_000, ge=50)
    max_page_size: int = Field(default=100, ge=1)
    default_page_size: int = Field(default=20, ge=1)
    expose_round_trips: bool | None = Field(
        default=None,
        description="Report database round trips per request in response extensions; "
        "on by default outside production.",
    )

    max_concurrent_operations: int = Field(
        default=8,
        ge=0,
        description="GraphQL operations over HTTP that one process runs at a time; more "
        "wait their turn (app.core.turns), so answers from the result cache are not queued behind "
        "them. A mutation gives its turn up while it waits for its graph projection. "
        "0: no limit.",
    )

    projector_batch_size: int = Field(default=500, ge=1, le=10_000)
    projector_poll_interval: float = Field(default=1.0, gt=0)
    projector_max_backoff: float = Field(default=10.0, gt=0)
    projection_wait_timeout: float = Field(
        default=2.0, ge=0, description="How long a mutation waits for its own graph projection."
    )

    revocation_fail_closed: bool = Field(
        default=False,
        description="Refuse authenticated requests while Redis (token revocation) is down.",
    )
    subscriber_queue_size: int = Field(
        default=1_000,
        ge=1,
        description="Undelivered events a subscriber may fall behind by before it is cut off.",
    )
    ws_keepalive_interval: float = Field(default=15.0, gt=0)
    ws_credential_recheck_interval: float = Field(
        default=30.0,
        ge=0,
        description="Seconds between checks that a WebSocket's token or API key has not been "
        "revoked (its expiry is checked before every event).",
    )
    policy_cache_max_age: float = Field(
        default=10.0,
        ge=0,
        description="Seconds a process may reuse an organisation's active policies while "
        "their stamp in Redis is unchanged; 0 loads them for every request.",
    )
    result_cache_ttl: float = Field(
        default=60.0,
        ge=0,
        description="Seconds a read query's result is kept in Redis for callers who would "
        "get the same answer (app.server.result_cache); any committed write retires it sooner. "
        "0 turns the cache off.",
    )
    result_cache_redis_url: SecretStr | None = Field(
        default=None,
        description="A Redis of its own for the result cache (say, with maxmemory and "
        "allkeys-lru); default: NEXUS_REDIS_URL. Never give the shared Redis an eviction "
        "policy: it holds token revocations.",
    )
    result_cache_max_bytes: int = Field(
        default=1024 * 1024, ge=1_024, description="Largest result kept, in bytes of JSON."
    )
    openlineage_max_bytes: int = Field(
        default=5 * 1024 * 1024,
        ge=1_024,
        description="Largest OpenLineage request body accepted (single event or batch).",
    )
    openlineage_max_batch: int = Field(default=1_000, ge=1, le=100_000)

    log_level: str = "INFO"
    log_json: bool | None = Field(default=None, description="JSON logs; default in production.")

    @model_validator(mode="after")
    def _page_sizes_agree(self) -> Settings:
        if self.default_page_size > self.max_page_size:
            raise ValueError("NEXUS_DEFAULT_PAGE_SIZE must not exceed NEXUS_MAX_PAGE_SIZE")
        return self

    @model_validator(mode="after")
    def _production_has_real_secrets(self) -> Settings:
        if self.env != "production" or self.jwt_algorithm != "HS256":
            return self
        secret = self.jwt_secret.get_secret_value()
        if secret == DEFAULT_JWT_SECRET or len(secret) < 32:
            raise ValueError(
                "NEXUS_JWT_SECRET must be set to a secret of at least 32 characters in production"
            )
        return self

    @model_validator(mode="after")
    def _rs256_has_keys(self) -> Settings:
        if self.jwt_algorithm == "RS256" and not (self.jwt_public_key_file or self.jwks_url):
            raise ValueError("RS256 needs NEXUS_JWT_PUBLIC_KEY_FILE or NEXUS_JWKS_URL")
        return self

    @cached_property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else self.env != "production"

    @cached_property
    def round_trips_exposed(self) -> bool:
        if self.expose_round_trips is not None:
            return self.expose_round_trips
        return self.env != "production"

    @cached_property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.env == "production"

    def redacted(self) -> dict[str, object]:
        """Settings as shown in logs and `nexus config`: passwords inside URLs masked."""
        shown: dict[str, object] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                raw = value.get_secret_value()
                shown[name] = redact_url(raw) if "://" in raw else "***"
            else:
                shown[name] = value
        return shown


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))
