"""The sandbox gateway at scale: build time, changes-feed and stream throughput.

1. Builds a 100,000-client / 1,000,000-deal broker (target: under a minute).
2. Serves it with `backdesk sandbox` and pages the whole changes feed through one
   client (requests + json), printing records/s; baseline: reading the same rows
   straight from the SQLCipher file in seq order, in this process.
3. Streams price ticks to one websocket-client (skip_utf8_validation, each frame
   parsed): replayed from the resume buffer and live. Baseline: DESIGN.md's
   websocket-client figure for 150-byte frames parsed (~58k msgs/s).

Usage: python bench/gateway.py [clients] [deals]
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests
import websocket

from sync.sandbox.build import build
from sync.sandbox.process import SandboxProcess
from sync.sandbox.store import SandboxStore
from sync.sandbox.vault import Vault

CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
DEALS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
FRAMES = 200_000
WEBSOCKET_CLIENT_BASELINE = 58_000  # msgs/s, DESIGN.md
DATA = Path(__file__).resolve().parent.parent / ".bench" / f"gateway-{CLIENTS}-{DEALS}"


def build_broker() -> None:
    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    vault = Vault(DATA / "gateway.key")
    store = SandboxStore(DATA / "sandbox.db", vault.database_key)
    t = time.perf_counter()
    counts = build(store, seed=1, clients=CLIENTS, deals=DEALS, as_of=date(2026, 11, 1))
    took = time.perf_counter() - t
    print(f"build: {counts.clients:,} clients, {counts.accounts:,} accounts, "
          f"{counts.deals:,} deals, {counts.payments:,} payments = {counts.records:,} records "
          f"in {took:.1f} s ({counts.records / took:,.0f} records/s; target < 60 s)")
    t = time.perf_counter()
    n = sum(1 for _ in store.db.execute("SELECT seq, kind, id, version, deleted, body "
                                        "FROM records ORDER BY seq"))
    raw = n / (time.perf_counter() - t)
    print(f"raw read of the same rows from SQLCipher: {raw:,.0f} records/s")
    store.close()
    globals()["RAW_READ"] = raw


def start_server() -> tuple[SandboxProcess, str]:
    proc = SandboxProcess(DATA, "--tick", "0", "--stream-buffer", str(FRAMES + 50_000))
    return proc, proc.start()


def feed(base: str, token: str) -> None:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    cursor, n, pages = "", 0, 0
    t = time.perf_counter()
    while True:
        page = http.get(f"{base}/v1/changes", params={"cursor": cursor, "limit": 5000},
                        timeout=60).json()
        n += len(page["changes"])
        pages += 1
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    took = time.perf_counter() - t
    rate = n / took
    print(f"changes feed: {n:,} records in {pages} pages in {took:.1f} s = {rate:,.0f} "
          f"records/s to one client (ratio to raw read: {rate / globals()['RAW_READ']:.2f})")


def stream(base: str, token: str) -> None:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    ws_url = base.replace("http", "ws", 1) + "/v1/stream"

    def receive(ws: websocket.WebSocket, n: int) -> float:
        t = time.perf_counter()
        got = 0
        while got < n:
            if "seq" in json.loads(ws.recv()):
                got += 1
        return got / (time.perf_counter() - t)

    start = http.get(f"{base}/v1/info", timeout=10).json()["stream_seq"]
    http.post(f"{base}/v1/control/burst", json={"ticks": FRAMES}, timeout=300)
    ws = websocket.create_connection(ws_url, header=[f"Authorization: Bearer {token}"],
                                     skip_utf8_validation=True, timeout=60)
    ws.recv()
    ws.send(json.dumps({"type": "resume", "from_seq": start}))
    ws.recv()
    replay = receive(ws, FRAMES)
    ws.close()
    print(f"stream replay: {FRAMES:,} frames at {replay:,.0f} frames/s to one client "
          f"(ratio to websocket-client baseline {WEBSOCKET_CLIENT_BASELINE:,}: "
          f"{replay / WEBSOCKET_CLIENT_BASELINE:.2f})")
    ws = websocket.create_connection(ws_url, header=[f"Authorization: Bearer {token}"],
                                     skip_utf8_validation=True, timeout=60)
    ws.recv()
    ws.send(json.dumps({"type": "subscribe"}))
    ws.recv()
    http.post(f"{base}/v1/control/burst", json={"ticks": FRAMES // 2}, timeout=300)
    live = receive(ws, FRAMES // 2)
    ws.close()
    print(f"stream live: {FRAMES // 2:,} frames at {live:,.0f} frames/s (includes making "
          f"the ticks)")


def main() -> None:
    build_broker()
    proc, base = start_server()
    try:
        token = requests.post(f"{base}/v1/auth/login", timeout=30, json={
            "username": "admin", "password": "sandbox", "device_id": "bench"}).json()["token"]
        feed(base, token)
        stream(base, token)
    finally:
        proc.stop()


if __name__ == "__main__":
    main()
