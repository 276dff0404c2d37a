"""Fault switches: the network and server misbehaviour the sync engine must survive.

Applied to the REST API as ASGI middleware (latency, 5xx, timeouts, responses
dropped after the command was applied) and to the stream (duplicated and reordered
frames, sockets closed mid-stream). Signing in, the control endpoints and the
OpenAPI document are never faulted, so a test can always switch faults off again.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.sandbox.store import dumps
from sync.sandbox.stream import StreamFaults

EXEMPT = ("/v1/control", "/v1/openapi.json", "/v1/auth/")


class ResponseDropped(Exception):
    """Raised after the response headers went out: the server cuts the connection."""


@dataclass
class Faults:
    latency_ms: int = 0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_s: float = 30.0
    drop_rate: float = 0.0
    stream: StreamFaults = field(default_factory=StreamFaults)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, values: dict[str, Any]) -> None:
        """Apply a partial update; unknown names or bad values raise ValueError."""
        for name, value in values.items():
            if name == "stream":
                if not isinstance(value, dict):
                    raise ValueError("stream must be an object")
                for sname, svalue in value.items():
                    _set(self.stream, sname, svalue)
            else:
                _set(self, name, value)


def _set(target: object, name: str, value: object) -> None:
    if name not in target.__dataclass_fields__ or name == "stream":  # type: ignore[attr-defined]
        raise ValueError(f"unknown fault switch {name!r}")
    current = getattr(target, name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    if name.endswith("_rate") and not 0 <= value <= 1:
        raise ValueError(f"{name} must be between 0 and 1")
    if value < 0:
        raise ValueError(f"{name} cannot be negative")
    setattr(target, name, type(current)(value))


class FaultInjector:
    def __init__(self, app: ASGIApp, faults: Faults, rng: random.Random) -> None:
        self.app, self.faults, self.rng = app, faults, rng

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        f = self.faults
        if f.latency_ms:
            await asyncio.sleep(f.latency_ms / 1000)
        roll = self.rng.random()
        if roll < f.error_rate:
            await _error(send, 503, "unavailable",
                         "The gateway is temporarily unavailable (injected fault).")
            return
        if roll < f.error_rate + f.timeout_rate:
            await asyncio.sleep(f.timeout_s)
            await _error(send, 504, "timeout", "The gateway timed out (injected fault).")
            return
        if (f.drop_rate and scope.get("method") == "POST" and path.startswith("/v1/commands/")
                and self.rng.random() < f.drop_rate):
            await self.app(scope, receive, _headers_only(send))
            raise ResponseDropped("response dropped after the command was applied")
        await self.app(scope, receive, send)


def _headers_only(send: Send) -> Send:
    async def forward(message: Message) -> None:
        if message["type"] == "http.response.start":
            await send(message)
    return forward


async def _error(send: Send, status: int, code: str, message: str) -> None:
    body = dumps({"code": code, "message": message, "details": {}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
