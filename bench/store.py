"""Store bulk path vs raw sqlcipher3, and one client's history out of 1M deals.

Prints rows/s for the store's bulk path (app.workspace.bulk.insert_rows inside
Store.write()) and for raw sqlcipher3 executemany of the same rows into an
identical schema with the same pragmas, in the same run, and their ratio.
Target: bulk >= 1/3 of raw; one client's history page < 20 ms.
"""

from __future__ import annotations

import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlcipher3
from sqlalchemy import text

from app.demo.generator import fill
from app.demo.market import DEAL_COLUMNS
from app.models.trading import Deal
from app.queries.catalogue import client_deals
from app.services.workspace import init_workspace
from app.workspace import keys
from app.workspace.bulk import insert_rows
from app.workspace.store import _CONNECTION_PRAGMAS, WRITER_CACHE_KIB

N_DEALS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
N_CLIENTS = 100_000


def make_rows(accounts: list[int], start_id: int) -> list[tuple[object, ...]]:
    rng = random.Random(1)
    rows = []
    t0 = 1_700_000_000_000
    for i in range(N_DEALS):
        did = start_id + i
        rows.append((did, "bench", 90_000_000 + did, rng.choice(accounts), "EURUSD", "buy",
                     "in", 10, 108_512_000, rng.randint(-5000, 5000), -35, 0, 0, None,
                     t0 + i * 1000, "client", "", 1))
    return rows


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="backdesk-bench-"))
    try:
        desk = init_workspace(tmp / "ws", password="bench-password", broker_name="Bench",
                              base_currency="USD", admin_username="admin",
                              admin_full_name="Bench")
        print(f"preparing {N_CLIENTS:,} clients with accounts (not timed)…", flush=True)
        fill(desk, clients=N_CLIENTS, deals=0, seed=5)
        with desk.store.read() as s:
            accounts = list(s.scalars(text("SELECT id FROM trading_accounts")))
            start = int(s.scalar(text("SELECT coalesce(max(id), 0) FROM deals")) or 0) + 1
            ddl = [r for r in s.execute(text(
                "SELECT type, sql FROM sqlite_master WHERE sql IS NOT NULL "
                "AND name NOT LIKE 'sqlite_%'"))]
        rows = make_rows(accounts, start)

        # Raw baseline: same schema, same pragmas, same rows, raw key.
        raw_path = tmp / "raw.db"
        raw = sqlcipher3.connect(str(raw_path), isolation_level=None)
        raw.execute(f'PRAGMA key = "{keys.sqlcipher_key(b"k" * 32)}"')
        for pragma in _CONNECTION_PRAGMAS:
            raw.execute(pragma)
        raw.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
        for _kind, sql in sorted(ddl, key=lambda r: r[0] != "table"):
            raw.execute(sql)
        raw.execute("BEGIN")
        raw.executemany("INSERT INTO trading_accounts (id, platform, login, \"group\", currency,"
                        " leverage, status, opened_at, server_version) VALUES "
                        "(?, 'b', ?, 'g', 'USD', 100, 'active', '2024-01-01 00:00:00', 1)",
                        [(a, a) for a in accounts])
        raw.execute("COMMIT")
        marks = ", ".join("?" * len(DEAL_COLUMNS))
        cols = ", ".join(f'"{c}"' for c in DEAL_COLUMNS)
        t = time.perf_counter()
        raw.execute("BEGIN")
        raw.executemany(f"INSERT INTO deals ({cols}) VALUES ({marks})", rows)
        raw.execute("COMMIT")
        raw_s = time.perf_counter() - t
        raw.close()

        t = time.perf_counter()
        with desk.store.write() as s:
            insert_rows(s, Deal.__table__, DEAL_COLUMNS, rows)
        bulk_s = time.perf_counter() - t

        raw_rate, bulk_rate = N_DEALS / raw_s, N_DEALS / bulk_s
        print(f"raw sqlcipher3 executemany : {N_DEALS:,} deals in {raw_s:.2f} s = "
              f"{raw_rate:,.0f} rows/s")
        print(f"store bulk path            : {N_DEALS:,} deals in {bulk_s:.2f} s = "
              f"{bulk_rate:,.0f} rows/s")
        print(f"ratio bulk/raw             : {bulk_rate / raw_rate:.2f}  (target >= 0.33)")

        with desk.store.read() as s:
            clients = list(s.scalars(text(
                "SELECT DISTINCT client_id FROM trading_accounts WHERE client_id IS NOT NULL")))
        rng = random.Random(9)
        timings = []
        for cid in rng.sample(clients, 300):
            listing = client_deals(cid)
            t = time.perf_counter()
            with desk.store.read() as s:
                listing.count(s)
                listing.page(s, "", None, True, 0, 50)
            timings.append((time.perf_counter() - t) * 1000)
        timings.sort()
        print(f"client history (count + newest 50 of {N_DEALS:,} deals), 300 clients: "
              f"median {statistics.median(timings):.2f} ms, p95 "
              f"{timings[int(len(timings) * 0.95)]:.2f} ms, max {timings[-1]:.2f} ms "
              f"(target < 20 ms)")
        desk.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
