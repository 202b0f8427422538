"""Login attempt limits, shared by every replica through Redis."""

from __future__ import annotations

import redis.asyncio as aioredis

from app.core.errors import RateLimited, Unavailable

_KEY = "nexus:login:{}:{}"


class LoginLimiter:
    """Counts failed logins per user and per client address in a fixed window."""

    def __init__(
        self, redis: aioredis.Redis, *, per_user: int, per_address: int, window: int
    ) -> None:
        self._redis = redis
        self._limits = (per_user, per_address)
        self._window = window

    def _keys(self, email: str, address: str) -> list[str]:
        return [_KEY.format("user", email.lower()), _KEY.format("ip", address)]

    async def check(self, email: str, address: str) -> None:
        try:
            counts = await self._redis.mget(self._keys(email, address))
        except Exception as exc:
            raise Unavailable("Login is unavailable (Redis); retry shortly.") from exc
        if any(
            count is not None and int(count) >= limit
            for count, limit in zip(counts, self._limits, strict=True)
        ):
            raise RateLimited(
                "Too many failed logins; wait a few minutes before trying again.",
                retryAfter=self._window,
            )

    async def failed(self, email: str, address: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in self._keys(email, address):
                pipe.incr(key)
                pipe.expire(key, self._window, nx=True)
            await pipe.execute()

    async def succeeded(self, email: str) -> None:
        await self._redis.delete(_KEY.format("user", email.lower()))
