"""The real sandbox gateway, run as its own process on loopback for the tests."""

from __future__ import annotations

import json
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket

from sync.sandbox.process import SandboxProcess

AS_OF = "2026-11-01"


@dataclass
class Desk:
    """A signed-in desk: its own device id and command sequence."""

    base: str
    token: str
    device: str
    seq: int = 0
    http: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.http.get(self.base + path, params=params, timeout=30)

    def command(self, name: str, body: dict[str, Any], key: str | None = None,
                seq: int | None = None, timeout: float = 30) -> requests.Response:
        if seq is None:
            seq = self.seq + 1
        self.seq = max(self.seq, seq)
        headers = {"Idempotency-Key": key or uuid.uuid4().hex, "X-Device-Id": self.device,
                   "X-Device-Seq": str(seq)}
        return self.http.post(f"{self.base}/v1/commands/{name}", json=body, headers=headers,
                              timeout=timeout)

    def control(self, path: str, body: dict[str, Any] | None = None,
                method: str = "POST") -> dict[str, Any]:
        r = self.http.request(method, f"{self.base}/v1/control/{path}", json=body, timeout=120)
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result

    def pull_all(self, limit: int = 1000, cursor: str = "") -> tuple[list[dict[str, Any]], str]:
        changes: list[dict[str, Any]] = []
        while True:
            r = self.get("/v1/changes", cursor=cursor, limit=limit)
            assert r.status_code == 200, r.text
            page = r.json()
            changes += page["changes"]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return changes, cursor

    def stream(self, timeout: float = 10) -> websocket.WebSocket:
        ws_url = self.base.replace("http", "ws", 1) + "/v1/stream"
        return websocket.create_connection(ws_url, header=[f"Authorization: Bearer {self.token}"],
                                           timeout=timeout, skip_utf8_validation=True)


class Sandbox(SandboxProcess):
    """A gateway for one test: paused clock (tests drive it), fixed history day."""

    def __init__(self, data: Path, *args: str, clients: int = 300) -> None:
        super().__init__(data, "--tick", "0", "--clients", str(clients), "--as-of", AS_OF,
                         *args)
        self.clients = clients
        self.desks: list[Desk] = []

    @property
    def base(self) -> str:
        return self.url

    @property
    def built_line(self) -> str:
        return next((line for line in self.lines if line.startswith("Built")), "")

    def start(self) -> Sandbox:  # type: ignore[override]
        super().start()
        return self

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30) -> int:
        for desk in self.desks:
            desk.http.close()
        return super().stop(sig, timeout)

    def desk(self, user: str = "admin", device: str | None = None) -> Desk:
        device = device or f"desk-{uuid.uuid4().hex[:12]}"
        r = requests.post(f"{self.base}/v1/auth/login", timeout=30,
                          json={"username": user, "password": "sandbox", "device_id": device})
        assert r.status_code == 200, r.text
        desk = Desk(self.base, r.json()["token"], device)
        self.desks.append(desk)
        return desk


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One gateway shared by tests that only add to its state."""
    box = Sandbox(tmp_path_factory.mktemp("sandbox")).start()
    yield box
    assert box.stop() == 0


@pytest.fixture
def own_sandbox(tmp_path: Path) -> Iterator[list[Sandbox]]:
    """Start private gateways with their own flags: `own_sandbox.append(Sandbox(...))`."""
    boxes: list[Sandbox] = []
    yield boxes
    for box in boxes:
        box.stop(signal.SIGKILL)


def frames(ws: websocket.WebSocket, n: int) -> list[dict[str, Any]]:
    """The next n frames that carry a seq (heartbeats skipped)."""
    out: list[dict[str, Any]] = []
    while len(out) < n:
        frame = json.loads(ws.recv())
        if "seq" in frame:
            out.append(frame)
    return out


def open_stream(desk: Desk, first: dict[str, Any]) -> tuple[websocket.WebSocket,
                                                             dict[str, Any], dict[str, Any]]:
    ws = desk.stream()
    hello = json.loads(ws.recv())
    ws.send(json.dumps(first))
    return ws, hello, json.loads(ws.recv())
