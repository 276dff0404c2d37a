"""The live stream on the desk's side (protocol: sync/contract/stream.md).

Frames are applied in seq order, each exactly once: a seq at or below the last one
applied is a duplicate and dropped; a seq beyond the next one means frames were lost
or overtaken, so the socket is dropped and the stream resumed from the last applied
seq (the gateway replays from there). The last applied seq is saved with the data
it brought, in one transaction.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import websocket

from app.workspace.store import Store
from sync.client import GatewayClient
from sync.mirror import MirrorWriter, scaled, text
from sync.pull import dbapi

FEED = "stream"
BATCH_FRAMES = 500
BATCH_S = 0.05


class StreamLost(Exception):
    """The socket died, went quiet past its heartbeat, or skipped frames."""


class ResumeRefused(Exception):
    """The gateway no longer holds our frames (or its history changed): pull first."""


@dataclass
class LiveStats:
    frames: int = 0
    duplicates: int = 0
    gaps: int = 0
    last_seq: int = 0


class Live:
    def __init__(self, store: Store, client: GatewayClient,
                 wants_pull: Callable[[], None]) -> None:
        self.store, self.client, self.wants_pull = store, client, wants_pull
        self.stats = LiveStats()
        self.ws: websocket.WebSocket | None = None
        self.writer: MirrorWriter | None = None
        self.broken: Exception | None = None

    def saved(self) -> tuple[str, int]:
        with self.store.read() as s:
            row = dbapi(s).execute("SELECT epoch, last_seq FROM sync_cursors WHERE feed = ?",
                                   (FEED,)).fetchone()
        return (row[0], int(row[1])) if row else ("", 0)

    def connect(self) -> None:
        """Open the socket and resume (or subscribe, after a pull has been made)."""
        if not self.client.token:
            self.client.login()
        url = self.client.creds.url.replace("http", "ws", 1) + "/v1/stream"
        verify = self.client.creds.verify
        sslopt = {} if verify is True else {"ca_certs": verify} if isinstance(verify, str) \
            else {"cert_reqs": 0}
        try:
            ws = websocket.create_connection(
                url, header=[f"Authorization: Bearer {self.client.token}"], timeout=10,
                skip_utf8_validation=True, sslopt=sslopt)
        except (OSError, websocket.WebSocketException) as exc:
            raise StreamLost(f"the live stream did not connect ({type(exc).__name__})") from exc
        try:
            hello = orjson.loads(ws.recv())
            if hello.get("type") != "hello":
                raise StreamLost(f"the gateway said {str(hello.get('type'))[:40]} instead "
                                 "of hello")
            epoch, last = self.saved()
            if epoch == hello["epoch"] and last:
                ws.send(orjson.dumps({"type": "resume", "from_seq": last}).decode())
            else:  # a fresh start: live from now on, the pull covers what came before
                ws.send(orjson.dumps({"type": "subscribe"}).decode())
                last = int(hello["stream_seq"])
                self.save_position(hello["epoch"], last)
            reply = orjson.loads(ws.recv())
            if reply.get("type") in ("resume_too_old", "resume_invalid"):
                self.save_position(hello["epoch"], 0)
                raise ResumeRefused(str(reply.get("message", "")))
            if reply.get("type") != "subscribed":
                raise StreamLost(f"the gateway refused the stream: {reply.get('type')}")
        except (OSError, websocket.WebSocketException, ValueError) as exc:
            ws.close()
            raise StreamLost(f"the live stream broke while opening ({type(exc).__name__})") \
                from exc
        except BaseException:
            ws.close()
            raise
        ws.settimeout(3 * float(hello.get("heartbeat_s", 5)))
        self.ws, self.epoch, self.stats.last_seq = ws, str(hello["epoch"]), last

    def save_position(self, epoch: str, last: int) -> None:
        with self.store.write() as s:
            dbapi(s).execute(
                "INSERT INTO sync_cursors (feed, cursor, last_seq, updated_at, epoch, bulk)"
                " VALUES (?, '', ?, datetime('now'), ?, 0) ON CONFLICT (feed) DO UPDATE SET"
                " last_seq = excluded.last_seq, epoch = excluded.epoch", (FEED, last, epoch))

    def close(self) -> None:
        self.broken = None
        if self.ws is not None:
            ws, self.ws = self.ws, None
            with contextlib.suppress(OSError, websocket.WebSocketException):
                ws.close(timeout=1)
            ws.shutdown()  # type: ignore[no-untyped-call]

    def receive(self, until: float) -> int:
        """Read and apply frames until `until` (monotonic) passes; returns how many."""
        ws = self.ws
        assert ws is not None
        applied = 0
        while time.monotonic() < until:
            batch = self.read_batch(ws)
            if batch:
                self.apply(batch)
                applied += len(batch)
        return applied

    def read_batch(self, ws: websocket.WebSocket) -> list[dict[str, Any]]:
        """Blocks for one message, then takes whatever else arrives within 50 ms.

        If the socket fails mid-batch, the frames already read are returned first and
        the failure is raised on the next call: they are good frames, and dropping
        them would replay the same ones forever under a socket that keeps closing.
        """
        if self.broken is not None:
            broken, self.broken = self.broken, None
            raise broken
        frames: list[dict[str, Any]] = []
        deadline: float | None = None
        idle_timeout = ws.gettimeout()
        try:
            while len(frames) < BATCH_FRAMES:
                try:
                    message = ws.recv()
                    if not message:
                        raise StreamLost("the gateway closed the live stream")
                    frame = orjson.loads(message)
                    if frame.get("type") in ("resume_too_old", "resume_invalid"):
                        raise ResumeRefused(str(frame.get("message", "")))
                except websocket.WebSocketTimeoutException:
                    if deadline is None:
                        raise StreamLost("the gateway went quiet (no heartbeat)") from None
                    break
                except (StreamLost, ResumeRefused) as exc:
                    if not frames:
                        raise
                    self.broken = exc
                    break
                except (OSError, websocket.WebSocketException, ValueError) as exc:
                    lost = StreamLost(f"the live stream dropped ({type(exc).__name__})")
                    if not frames:
                        raise lost from exc
                    self.broken = lost
                    break
                if "seq" in frame:
                    frames.append(frame)
                if deadline is None:
                    deadline = time.monotonic() + BATCH_S
                    ws.settimeout(BATCH_S)
                elif time.monotonic() >= deadline:
                    break
        finally:
            if self.ws is not None:
                ws.settimeout(idle_timeout)
        return frames

    def apply(self, frames: list[dict[str, Any]]) -> None:
        last = self.stats.last_seq
        fresh: list[dict[str, Any]] = []
        gap = False
        for frame in frames:
            seq = int(frame["seq"])
            if seq <= last:
                self.stats.duplicates += 1
                continue
            if seq != last + 1:
                self.stats.gaps += 1
                gap = True
                break  # apply what is in order, then resume from there
            fresh.append(frame)
            last = seq
        if fresh:
            self.write(fresh, last)
        if gap:
            raise StreamLost(f"frames after {last} were lost or came out of order")

    def write(self, frames: list[dict[str, Any]], last: int) -> None:
        changes, ticks = [], []
        for frame in frames:
            kind, data = frame["type"], frame["data"]
            if kind == "price.tick":
                ticks.append(data)
            elif kind == "changes.available":
                self.wants_pull()
            elif isinstance(data, dict) and "kind" in data:
                changes.append(data)
        try:
            self._write(changes, ticks, last)
        except BaseException:
            self.writer = None  # its id maps may name rows the rollback removed
            raise
        self.stats.frames += len(frames)
        self.stats.last_seq = last

    def _write(self, changes: list[dict[str, Any]], ticks: list[dict[str, Any]],
               last: int) -> None:
        with self.store.write() as s:
            db = dbapi(s)
            if changes:
                if self.writer is None:
                    self.writer = MirrorWriter(db)
                self.writer.db = self.writer.owned.db = db
                result = self.writer.apply(changes)
                if result.errors:
                    db.executemany(
                        "INSERT INTO sync_errors (at, source, kind, record_id, message)"
                        " VALUES (datetime('now'), 'stream', ?, ?, ?)", result.errors)
            if ticks:
                rows = []
                for t in ticks:
                    try:
                        rows.append((text(t["symbol"], "symbol", 32),
                                     scaled(t["bid"], 8, "bid"), scaled(t["ask"], 8, "ask"),
                                     int(t["time_ms"])))
                    except (KeyError, TypeError, ValueError):
                        continue  # a bad tick is not worth a log line; the next one comes
                db.executemany(
                    "INSERT INTO quotes (symbol, bid, ask, time_ms) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (symbol) DO UPDATE SET bid = excluded.bid,"
                    " ask = excluded.ask, time_ms = excluded.time_ms", rows)
            db.execute("UPDATE sync_cursors SET last_seq = ? WHERE feed = ?", (last, FEED))
