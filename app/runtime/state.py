"""The process's long-lived resources, opened and closed in the ASGI lifespan."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit.feed import AuditFeed
from app.core.db import SessionFactory
from app.core.settings import Settings
from app.identity.ratelimit import LoginLimiter
from app.identity.tokens import Revocations, TokenIssuer
from app.live.channel import LiveChannel
from app.live.reads import LiveReads
from app.policies.cache import PolicyCache
from app.projection.projector import Projector
from app.server.result_cache import ResultCache
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
    login_limiter: LoginLimiter
    results: ResultCache
