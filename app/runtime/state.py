"""The process's long-lived resources, as one typed object that every layer above receives.

Opened and closed by the composition root (`app.server.lifespan`): one engine, one driver,
one broadcaster and one projector per process. The result cache is the server's own and is
not here (`app.server.result_cache`)."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit.feed import AuditFeed
from app.core.db import SessionFactory
from app.core.settings import Settings
from app.identity.authn import Authenticator
from app.identity.ratelimit import LoginLimiter
from app.identity.tokens import Revocations, TokenIssuer
from app.live.channel import LiveChannel
from app.live.reads import LiveReads
from app.policies.cache import PolicyCache
from app.projection.projector import Projector
from graph.driver import Graph


@dataclass(frozen=True, slots=True)
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    # Autocommit sessions for reads (app.db.create_read_session_factory).
    reads: SessionFactory
    graph: Graph
    live: LiveChannel
    audit_feed: AuditFeed
    live_reads: LiveReads
    policy_cache: PolicyCache
    projector: Projector
    redis: aioredis.Redis
    tokens: TokenIssuer
    revocations: Revocations
    authenticator: Authenticator
    login_limiter: LoginLimiter
