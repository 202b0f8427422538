"""The process's long-lived resources, opened and closed in the ASGI lifespan."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit_feed import AuditFeed
from app.db import SessionFactory
from app.live import LiveChannel
from app.live_reads import LiveReads
from app.policy_cache import PolicyCache
from app.ratelimit import LoginLimiter
from app.result_cache import ResultCache
from app.settings import Settings
from app.tokens import Revocations, TokenIssuer
from graph.driver import Graph
from graph.projector import Projector


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
