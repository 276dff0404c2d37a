"""The sync engine at scale, against the real sandbox on loopback.

1. Full pull of a 100,000-client / 1,000,000-deal broker into a fresh encrypted
   workspace: records/s, deals/s, peak memory of this process. Baseline: raw
   sqlcipher3 executemany of the same deal rows (read back from the pulled store)
   into an identical table in a fresh SQLCipher file, one transaction.
   Target: >= 100,000 deals/s end to end, < 600 MB peak.
2. Live stream: 50,000 frames applied by the engine's stream client on a thread
   while a Qt event loop runs a 5 ms timer on the main thread: frames/s applied and
   the worst event-loop stall. Target: 5,000 frames/s with stalls under 50 ms.

The broker is built once under .bench/gateway (bench/gateway.py builds the same one).
Usage: python bench/sync.py [clients] [deals]
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import itertools

import requests
import sqlcipher3
from PySide6.QtCore import QCoreApplication, QTimer

from app.services.gateway import gateway_config, set_gateway
from app.services.workspace import init_workspace
from sync.engine import client_for
from sync.live import Live
from sync.pull import Puller, dbapi
from sync.sandbox.build import build
from sync.sandbox.process import SandboxProcess
from sync.sandbox.store import SandboxStore
from sync.sandbox.vault import Vault

CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
DEALS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
ROOT = Path(__file__).resolve().parent.parent / ".bench"
DATA = ROOT / f"gateway-{CLIENTS}-{DEALS}"
FRAMES = 50_000


def ensure_broker() -> None:
    if (DATA / "sandbox.db").exists():
        return
    DATA.mkdir(parents=True, exist_ok=True)
    vault = Vault(DATA / "gateway.key")
    store = SandboxStore(DATA / "sandbox.db", vault.database_key)
    build(store, seed=1, clients=CLIENTS, deals=DEALS, as_of=date(2026, 11, 1))
    store.close()


def serve() -> tuple[SandboxProcess, str]:
    proc = SandboxProcess(DATA, "--tick", "0", "--stream-buffer", str(FRAMES + 10_000))
    return proc, proc.start()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def raw_baseline(rows: list[tuple[object, ...]], folder: Path) -> float:
    """The same deal rows through bare sqlcipher3 executemany, in the same schema."""
    db = sqlcipher3.connect(str(folder / "raw.db"), isolation_level=None)
    db.execute("PRAGMA key = \"x'" + "11" * 32 + "'\"")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE deals (id INTEGER PRIMARY KEY, platform VARCHAR(20) NOT NULL,"
        " ticket BIGINT NOT NULL, account_id INTEGER NOT NULL, symbol VARCHAR(32) NOT NULL,"
        " action VARCHAR(24) NOT NULL, entry VARCHAR(24) NOT NULL, volume BIGINT NOT NULL,"
        " price BIGINT NOT NULL, profit_minor BIGINT NOT NULL, commission_minor BIGINT NOT"
        " NULL, swap_minor BIGINT NOT NULL, fee_minor BIGINT NOT NULL, position_id BIGINT,"
        " time_ms BIGINT NOT NULL, reason VARCHAR(32) NOT NULL, comment VARCHAR(64) NOT NULL,"
        " server_version BIGINT NOT NULL, UNIQUE (platform, ticket))")
    t = time.perf_counter()
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO deals (platform, ticket, account_id, symbol, action, entry, volume, price,"
        " profit_minor, commission_minor, swap_minor, fee_minor, position_id, time_ms, reason,"
        " comment, server_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows)
    db.execute("COMMIT")
    rate = len(rows) / (time.perf_counter() - t)
    db.close()
    return rate


def main() -> None:
    ensure_broker()
    work = ROOT / "sync-bench"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    proc, url = serve()
    try:
        desk = init_workspace(work / "ws", password="bench password", broker_name="Bench",
                              base_currency="USD", admin_username="admin",
                              admin_full_name="Bench")
        set_gateway(desk, url, "admin", "sandbox")
        config = gateway_config(desk)
        assert config is not None
        client = client_for(config)
        before = peak_mb()
        stats = Puller(desk.store, client).run()
        deals = stats.by_kind.get("deal", 0)
        print(f"full pull: {stats.records:,} records ({deals:,} deals) in {stats.seconds:.1f} s"
              f" = {stats.rate:,.0f} records/s, {deals / stats.seconds:,.0f} deals/s"
              f" (target 100,000 deals/s); peak memory {peak_mb():,.0f} MB"
              f" (was {before:,.0f} MB before; target < 600 MB); {stats.errors} rejected")
        with desk.store.read() as s:
            rows = dbapi(s).execute(
                "SELECT platform, ticket, account_id, symbol, action, entry, volume, price,"
                " profit_minor, commission_minor, swap_minor, fee_minor, position_id, time_ms,"
                " reason, comment, server_version FROM deals").fetchall()
        raw = raw_baseline(rows, work)
        print(f"raw sqlcipher3 executemany of the same {len(rows):,} deal rows: {raw:,.0f} "
              f"rows/s; end-to-end deals/s is {deals / stats.seconds / raw:.2f} of it")
        del rows
        split_bench(client, work)
        live_bench(desk, client, url)
        desk.close()
    finally:
        proc.stop()


class Replay:
    """Serves pages fetched earlier, so the desk's own share of a pull can be timed."""

    def __init__(self, info: dict[str, object], pages: list[bytes]) -> None:
        self.pages, self.at, self._info = pages, 0, info

    def info(self) -> dict[str, object]:
        return self._info

    def changes(self, cursor: str, limit: int) -> bytes:
        self.at += 1
        return self.pages[self.at - 1]


def split_bench(client: object, work: Path) -> None:
    """Where a full pull's time goes: the feed alone, then the desk alone."""
    import orjson

    from sync.client import GatewayClient

    assert isinstance(client, GatewayClient)
    pages: list[bytes] = []
    cursor, more = "", True
    t = time.perf_counter()
    while more:
        pages.append(client.changes(cursor, 5000))
        page = orjson.loads(pages[-1])
        cursor, more = page["next_cursor"], page["has_more"]
    fetched = time.perf_counter() - t
    t = time.perf_counter()
    for body in pages:
        orjson.loads(body)
    parsed = time.perf_counter() - t
    desk = init_workspace(work / "replay", password="bench password", broker_name="Bench",
                          base_currency="USD", admin_username="admin", admin_full_name="Bench")
    stats = Puller(desk.store, Replay(client.info(), pages)).run()  # type: ignore[arg-type]
    desk.close()
    print(f"split: the feed alone (gateway + HTTP + parse, one page at a time) {fetched:.1f} s,"
          f" of which parsing {parsed:.1f} s; the desk alone (parse, check, convert, write"
          f" the same {len(pages)} pages from memory) {stats.seconds:.1f} s ="
          f" {stats.by_kind.get('deal', 0) / stats.seconds:,.0f} deals/s")


def live_bench(desk: object, client: object, url: str) -> None:
    from sync.client import GatewayClient

    assert isinstance(client, GatewayClient)
    store = desk.store  # type: ignore[attr-defined]
    live = Live(store, client, lambda: None)
    live.connect()
    app = QCoreApplication.instance() or QCoreApplication([])
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    done = threading.Event()
    start_seq = live.stats.last_seq
    took: list[float] = []

    def run() -> None:
        t = time.perf_counter()
        while live.stats.last_seq < start_seq + FRAMES:
            live.receive(until=time.monotonic() + 0.5)
        took.append(time.perf_counter() - t)
        done.set()

    requests.post(f"{url}/v1/control/burst", json={"ticks": FRAMES}, timeout=120,
                  headers={"Authorization": f"Bearer {client.token}"})
    worker = threading.Thread(target=run)
    timer.start()
    worker.start()
    while not done.is_set():
        app.processEvents()
        time.sleep(0.001)
    worker.join()
    timer.stop()
    live.close()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    applied = live.stats.last_seq - start_seq
    print(f"live stream: {applied:,} frames applied in {took[0]:.1f} s = "
          f"{applied / took[0]:,.0f} frames/s (target 5,000); worst event-loop stall "
          f"{max(gaps) * 1000:.0f} ms over {len(ticks):,} timer ticks (target < 50 ms)")


if __name__ == "__main__":
    main()
