"""Posting deals to the ledger: 1,000,000 deals on 100,000 trading accounts.

Builds a real encrypted workspace with the accounts and deals already mirrored (not
timed), then posts every deal the way a backlog is posted (app.services.ledger.
post_waiting_deals: app.ledger.sources.post_new_deals, one write transaction per
100,000 deals): conversion to balanced entries in SQL, idempotency on the source,
and the inserts. Prints entries/s (target >= 50,000/s) and postings/s. Sync posts
the deals of each pulled page (5,000 records) in that page's transaction instead;
give a smaller page as the third argument to see the rate at that size.

Raw baseline: bare sqlcipher3 executemany of the very same journal_entries and
postings rows (read back from the ledger afterwards) into an identical schema with
the same pragmas, in the same run; the ratio is ledger rate / raw rate.

Also: trial balance over all accounts, and one trading account's statement.
The three-way reconciliation over 100k accounts is bench/reconcile.py.

Usage: python bench/ledger.py [deals] [accounts] [deals per transaction]
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlcipher3

from app.crm.search_index import dbapi
from app.demo.market import DEAL_COLUMNS
from app.ledger import chart, views
from app.ledger.chart import Accounts
from app.ledger.sources import post_new_deals
from app.models.trading import Deal
from app.services.workspace import init_workspace
from app.workspace import keys
from app.workspace.bulk import insert_rows
from app.workspace.store import _CONNECTION_PRAGMAS, WRITER_CACHE_KIB

N_DEALS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
N_ACCOUNTS = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
PAGE = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
CURRENCIES = ("USD", "USD", "USD", "EUR", "GBP")


def deal_rows() -> list[tuple[object, ...]]:
    """Pairs of opening (commission only) and closing deals (profit, commission,
    swap), as a platform reports them."""
    rng = random.Random(1)
    rows: list[tuple[object, ...]] = []
    t0 = 1_700_000_000_000
    for i in range(N_DEALS):
        account = rng.randint(1, N_ACCOUNTS)
        closing = i % 2 == 1
        rows.append((i + 1, "gw", 90_000_000 + i, account, "EURUSD",
                     "sell" if closing else "buy", "out" if closing else "in", 10,
                     108_512_000, rng.randint(-50_000, 50_000) if closing else 0, -35,
                     -rng.randint(0, 300) if closing else 0, 0, i // 2, t0 + i * 1000,
                     "CLIENT", "", 1))
    return rows


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="backdesk-bench-"))
    try:
        desk = init_workspace(tmp / "ws", password="bench-password", broker_name="Bench",
                              base_currency="USD", admin_username="admin",
                              admin_full_name="Bench")
        print(f"preparing {N_ACCOUNTS:,} trading accounts and {N_DEALS:,} deals "
              "(not timed)…", flush=True)
        with desk.store.write() as s:
            dbapi(s).executemany(
                'INSERT INTO trading_accounts (id, platform, login, "group", currency,'
                " leverage, status, opened_at, server_version) VALUES"
                " (?, 'gw', ?, 'real', ?, 100, 'active', '2024-01-01 00:00:00', 1)",
                [(a, 500_000 + a, CURRENCIES[a % len(CURRENCIES)])
                 for a in range(1, N_ACCOUNTS + 1)])
            insert_rows(s, Deal.__table__, DEAL_COLUMNS, deal_rows())

        start = time.perf_counter()
        entries = 0
        while True:  # as post_waiting_deals does: a page of deals per write transaction
            with desk.store.write() as s:
                db = dbapi(s)
                written = post_new_deals(db, Accounts(db), PAGE)
            if written is None:
                break
            entries += written
        took = time.perf_counter() - start
        with desk.store.read() as s:
            db = dbapi(s)
            postings = db.execute("SELECT count(*) FROM postings").fetchone()[0]
            ddl = [r for r in db.execute("SELECT type, sql FROM sqlite_master WHERE sql IS NOT"
                                         " NULL AND name NOT LIKE 'sqlite_%'")]
            entry_rows = db.execute("SELECT id, posted_at, memo, source_kind, source_ref,"
                                    " reason FROM journal_entries ORDER BY id").fetchall()
            posting_rows = db.execute("SELECT id, entry_id, ledger_account_id, amount_minor,"
                                      " currency FROM postings ORDER BY id").fetchall()
            account_rows = db.execute("SELECT id, code, name, kind, currency"
                                      " FROM ledger_accounts").fetchall()
        rate = entries / took
        print(f"ledger: {N_DEALS:,} deals -> {entries:,} entries, {postings:,} postings in "
              f"{took:.1f} s = {rate:,.0f} entries/s, {postings / took:,.0f} postings/s "
              f"(target >= 50,000 entries/s)")

        raw = sqlcipher3.connect(str(tmp / "raw.db"), isolation_level=None)
        raw.execute(f'PRAGMA key = "{keys.sqlcipher_key(b"k" * 32)}"')
        for pragma in _CONNECTION_PRAGMAS:
            raw.execute(pragma)
        raw.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
        raw.execute("PRAGMA foreign_keys = OFF")
        for _kind, sql in sorted(ddl, key=lambda r: r[0] != "table"):
            raw.execute(sql)
        raw.execute("BEGIN")
        raw.executemany("INSERT INTO ledger_accounts (id, code, name, kind, currency, provider)"
                        " VALUES (?, ?, ?, ?, ?, '')", account_rows)
        raw.execute("COMMIT")
        t = time.perf_counter()
        cursor = 0
        for i in range(0, len(entry_rows), PAGE):
            raw.execute("BEGIN")
            raw.executemany("INSERT INTO journal_entries (id, posted_at, memo, source_kind,"
                            " source_ref, reason) VALUES (?, ?, ?, ?, ?, ?)",
                            entry_rows[i:i + PAGE])
            last = entry_rows[min(i + PAGE, len(entry_rows)) - 1][0]
            page, cursor = postings_up_to(posting_rows, cursor, last)
            raw.executemany("INSERT INTO postings (id, entry_id, ledger_account_id,"
                            " amount_minor, currency) VALUES (?, ?, ?, ?, ?)", page)
            raw.execute("COMMIT")
        raw_s = time.perf_counter() - t
        raw.close()
        raw_rate = len(entry_rows) / raw_s
        print(f"raw baseline (sqlcipher3 executemany of the same entry and posting rows, "
              f"same schema and pragmas, pages of {PAGE:,}): {raw_s:.1f} s = "
              f"{raw_rate:,.0f} entries/s; ratio ledger/raw {rate / raw_rate:.2f}")

        with desk.store.read() as s:
            db = dbapi(s)
            t = time.perf_counter()
            rows = views.trial_balance(db)
            totals = views.totals(rows)
            tb = time.perf_counter() - t
            t = time.perf_counter()
            lines = views.statement(db, chart.trading("gw", 500_001, "USD"))
            st = time.perf_counter() - t
        print(f"trial balance over {len(rows):,} accounts: {tb:.2f} s; balanced: "
              f"{all(d == c for d, c in totals.values())}")
        print(f"statement of one trading account ({len(lines)} lines): {st * 1000:.1f} ms")
        desk.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def postings_up_to(rows: list[Any], start: int, last_entry: int) -> tuple[list[Any], int]:
    """The postings (in entry order) from `start` up to those of `last_entry`."""
    end = start
    while end < len(rows) and rows[end][1] <= last_entry:
        end += 1
    return rows[start:end], end


if __name__ == "__main__":
    main()
