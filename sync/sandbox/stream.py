"""The live stream: numbered frames in a bounded replay buffer, and one WebSocket
session per desk that resumes from the last seq it applied.

Frames get their seq inside the transaction that made them (the counter is saved
with the data), and are published only after it commits: a frame never announces
something a pull could not yet see.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from uvicorn.protocols.utils import ClientDisconnected

from sync.sandbox.store import dumps

CLOSE_UNAUTHORIZED = 4401
CLOSE_RESUME_TOO_OLD = 4410
CLOSE_PROTOCOL = 4400
HELLO_TIMEOUT_S = 10.0
# What sending to or reading from a socket whose desk has gone away raises.
GONE = (WebSocketDisconnect, ClientDisconnected, ConnectionError, RuntimeError)


class StreamHub:
    def __init__(self, last_seq: int, capacity: int) -> None:
        self.seq = last_seq
        self.capacity = capacity
        self.first = last_seq + 1  # seq of frames[0]
        self.frames: list[str] = []
        self._changed: asyncio.Event | None = None

    @property
    def oldest(self) -> int:
        return self.first

    def stage(self, frames: list[tuple[str, str]]) -> list[str]:
        """Numbers (type, data-json) frames; call inside the transaction."""
        out = []
        for kind, data in frames:
            self.seq += 1
            out.append(f'{{"seq":{self.seq},"type":"{kind}","data":{data}}}')
        return out

    def unstage(self, count: int) -> None:
        self.seq -= count

    def publish(self, encoded: list[str]) -> None:
        if not encoded:
            return
        self.frames.extend(encoded)
        excess = len(self.frames) - self.capacity
        if excess > self.capacity // 4:  # trim in chunks, not per frame
            del self.frames[:excess]
            self.first += excess
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def after(self, seq: int) -> list[str] | None:
        """Frames with a seq above `seq`, or None when some of them are gone."""
        if seq + 1 < self.first:
            return None
        return self.frames[seq + 1 - self.first:]

    async def wait(self, timeout: float, unless: asyncio.Task[None]) -> None:
        """Until frames arrive, `timeout` passes or the `unless` task ends."""
        if self._changed is None:
            self._changed = asyncio.Event()
        waiter = asyncio.ensure_future(self._changed.wait())
        try:
            await asyncio.wait({waiter, unless}, timeout=timeout,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()


@dataclass
class StreamFaults:
    duplicate_rate: float = 0.0
    reorder_rate: float = 0.0
    close_after: int = 0  # close the socket after this many frames (0 = never)


class StreamSession:
    """One desk's socket. The protocol is in sync/contract/stream.md."""

    def __init__(self, ws: WebSocket, hub: StreamHub, faults: StreamFaults,
                 heartbeat_s: float, head_seq: Callable[[], int], rng: random.Random,
                 epoch: str) -> None:
        self.ws, self.hub, self.faults, self.epoch = ws, hub, faults, epoch
        self.heartbeat_s, self.head_seq, self.rng = heartbeat_s, head_seq, rng
        self.lock = asyncio.Lock()
        self.sent = 0

    async def send(self, text: str) -> None:
        async with self.lock:
            await self.ws.send_text(text)

    def heartbeat(self) -> str:
        return dumps({"type": "heartbeat", "stream_seq": self.hub.seq,
                      "head_seq": self.head_seq(), "time_ms": time.time_ns() // 1_000_000})

    async def receive_text(self) -> str | None:
        """The next text message; None for a binary one. Raises on disconnect."""
        message = await self.ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        return text if isinstance(text, str) else None

    async def run(self) -> None:
        try:
            await self.serve()
        except GONE:
            return  # the desk went away; it resumes from its last seq when it comes back

    async def serve(self) -> None:
        hub = self.hub
        await self.send(dumps({"type": "hello", "epoch": self.epoch, "stream_seq": hub.seq,
                               "oldest_seq": hub.oldest, "head_seq": self.head_seq(),
                               "heartbeat_s": self.heartbeat_s}))
        try:
            text = await asyncio.wait_for(self.receive_text(), HELLO_TIMEOUT_S)
            first = json.loads(text) if text is not None else None
        except (TimeoutError, ValueError):
            await self.refuse(CLOSE_PROTOCOL, "protocol_error",
                              "Expected a resume or subscribe message first.")
            return
        if not isinstance(first, dict) or first.get("type") not in ("resume", "subscribe"):
            await self.refuse(CLOSE_PROTOCOL, "protocol_error",
                              "Expected a resume or subscribe message first.")
            return
        last = hub.seq
        if first["type"] == "resume":
            from_seq = first.get("from_seq")
            if (not isinstance(from_seq, int) or isinstance(from_seq, bool) or from_seq < 0
                    or from_seq > hub.seq):
                await self.refuse(CLOSE_PROTOCOL, "resume_invalid",
                                  "The resume point is not a seq this gateway has sent.")
                return
            if hub.after(from_seq) is None:
                await self.too_old(from_seq)
                return
            last = from_seq
        await self.send(dumps({"type": "subscribed", "from_seq": last}))
        reader = asyncio.create_task(self.read())
        try:
            await self.pump(last, reader)
        finally:
            reader.cancel()

    async def pump(self, last: int, reader: asyncio.Task[None]) -> None:
        hub = self.hub
        while not reader.done():
            frames = hub.after(last)
            if frames is None:  # fell behind the replay buffer
                await self.too_old(last)
                return
            if not frames:
                before = hub.seq
                await hub.wait(self.heartbeat_s, unless=reader)
                if hub.seq == before and not reader.done():
                    await self.send(self.heartbeat())
                continue
            last += len(frames)
            if not await self.deliver(frames):
                return

    async def deliver(self, frames: list[str]) -> bool:
        f, rng = self.faults, self.rng
        faulty = f.duplicate_rate or f.reorder_rate or f.close_after
        if not faulty:
            async with self.lock:
                for frame in frames:
                    await self.ws.send_text(frame)
            return True
        held: str | None = None
        for frame in frames:
            if held is None and f.reorder_rate and rng.random() < f.reorder_rate:
                held = frame  # goes out after the next one
                continue
            await self.send(frame)
            if f.duplicate_rate and rng.random() < f.duplicate_rate:
                await self.send(frame)
            if held is not None:
                await self.send(held)
                held = None
            self.sent += 1
            if f.close_after and self.sent >= f.close_after:
                await self.ws.close(code=1011)
                return False
        if held is not None:
            await self.send(held)
        return True

    async def read(self) -> None:
        try:
            while True:
                message = await self.receive_text()
                try:
                    kind = json.loads(message or "").get("type")
                except (ValueError, AttributeError):
                    kind = None
                if kind == "ping":
                    await self.send(dumps({"type": "pong", "stream_seq": self.hub.seq}))
        except GONE:
            return

    async def too_old(self, from_seq: int) -> None:
        await self.refuse(CLOSE_RESUME_TOO_OLD, "resume_too_old",
                          "The stream no longer holds the frames after that seq; "
                          "pull the changes feed, then subscribe again.",
                          from_seq=from_seq, oldest_seq=self.hub.oldest)

    async def refuse(self, code: int, reason: str, message: str, **extra: object) -> None:
        if self.ws.application_state == WebSocketState.CONNECTED:
            await self.send(dumps({"type": reason, "message": message, **extra}))
            await self.ws.close(code=code)
