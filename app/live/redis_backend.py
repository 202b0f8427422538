"""A Redis pub/sub backend for `broadcaster` that survives Redis restarts.

broadcaster's bundled Redis backend starts listening before SUBSCRIBE completes (with
redis-py 8 its listener then finds no subscription and stops, so nothing is delivered) and
never reconnects. This one subscribes first, then listens, and on a lost connection keeps
retrying with backoff; redis-py re-subscribes the channels when it reconnects. Messages
published while Redis was down are not replayed here: clients catch up with
`changes(since:)`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import redis.exceptions
from broadcaster import BroadcastBackend, Event
from redis import asyncio as aioredis

log = logging.getLogger(__name__)

MAX_BACKOFF = 5.0


class RedisPubSubBackend(BroadcastBackend):
    def __init__(self, url: str, *, connect_timeout: float = 3.0) -> None:
        self._url = url
        self._connect_timeout = connect_timeout
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._subscribed = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None
        self._client: aioredis.Redis | None = None
        self._pubsub: Any = None
        self._health_listeners: list[Callable[[bool], None]] = []
        self.healthy = False

    def on_health_change(self, listener: Callable[[bool], None]) -> None:
        """Call `listener(healthy)` whenever the pub/sub connection is lost or restored."""
        self._health_listeners.append(listener)

    def _set_healthy(self, healthy: bool) -> None:
        if healthy == self.healthy:
            return
        self.healthy = healthy
        if healthy:
            log.info("redis pub/sub connection restored")
        else:
            log.warning("lost the redis pub/sub connection; reconnecting")
        for listener in self._health_listeners:
            listener(healthy)

    async def connect(self) -> None:
        self._client = aioredis.Redis.from_url(
            self._url,
            socket_connect_timeout=self._connect_timeout,
            socket_timeout=self._connect_timeout,
            health_check_interval=15,
        )
        try:
            await self._client.ping()
        except Exception:
            await self._client.aclose()
            self._client = None
            raise
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        self._set_healthy(True)
        self._listener = asyncio.create_task(self._listen(), name="redis-pubsub-listener")

    async def disconnect(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        if self._pubsub is not None:
            await self._pubsub.aclose()
        if self._client is not None:
            await self._client.aclose()

    async def subscribe(self, group: str) -> None:
        await self._pubsub.subscribe(group)
        self._subscribed.set()

    async def unsubscribe(self, group: str) -> None:
        await self._pubsub.unsubscribe(group)

    async def publish(self, channel: str, message: Any) -> None:
        assert self._client is not None, "connect() first"
        await self._client.publish(channel, message)

    async def next_published(self) -> Event:
        return await self._queue.get()

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            await self._subscribed.wait()
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
                self._set_healthy(False)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            self._set_healthy(True)
            backoff = 0.1
            if message is not None and message["type"] == "message":
                await self._queue.put(
                    Event(channel=message["channel"].decode(), message=message["data"].decode())
                )
