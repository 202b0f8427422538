"""A minimal graphql-transport-ws / graphql-ws client for tests: enough to subscribe, read
events, and see how the server ends a stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

PROTOCOLS = {
    "graphql-transport-ws": {"start": "subscribe", "data": "next"},
    "graphql-ws": {"start": "start", "data": "data"},
}


class LiveClient:
    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self._next_id = 0

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._next_id += 1
        op_id = str(self._next_id)
        message = {
            "id": op_id,
            "type": PROTOCOLS[self.protocol]["start"],
            "payload": {"query": query, "variables": variables or {}},
        }
        await self.ws.send(json.dumps(message))
        return op_id

    async def result(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a query or mutation as an operation of this connection; its one result."""
        op_id = await self.subscribe(query, variables)
        while True:
            message = await self.message()
            if message.get("id") == op_id and message["type"] == PROTOCOLS[self.protocol]["data"]:
                payload: dict[str, Any] = message["payload"]
                return payload

    async def message(self, within: float = 15) -> dict[str, Any]:
        """The next message that is not a keep-alive."""
        while True:
            raw = json.loads(await asyncio.wait_for(self.ws.recv(), within))
            if raw["type"] not in ("ka", "ping", "pong"):
                message: dict[str, Any] = raw
                return message

    async def event(self, within: float = 15) -> dict[str, Any]:
        """The next data payload; fails on anything else."""
        message = await self.message(within)
        assert message["type"] == PROTOCOLS[self.protocol]["data"], message
        payload: dict[str, Any] = message["payload"]
        return payload


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://") + "/graphql"


@asynccontextmanager
async def live_client(
    http_url: str, token: str | None, protocol: str = "graphql-transport-ws"
) -> AsyncIterator[LiveClient]:
    """Connected and acknowledged; the bearer token travels in `connection_init`."""
    payload = {"Authorization": f"Bearer {token}"} if token else {}
    async with websockets.connect(ws_url(http_url), subprotocols=[protocol]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        yield LiveClient(ws, protocol)
