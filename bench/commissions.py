"""Accruing commission: 1,000,000 deals over a 5-level tree of 2,000 partners.

Builds a real encrypted workspace (not timed): 2,000 partners in five levels (20
masters, then 80, 200, 500 and 1,200 sub-IBs), 100,000 referred clients each with a
USD trading account, spread over the partners, and 1,000,000 deals (open and close
of 500,000 round turns over 8 symbols, 30 days). Three plans, assigned to partners in
turn: per lot by symbol group, per lot + revenue share (hybrid), and spread share
with a 60-second minimum hold; all share up the tree 20/10/10/5%.

Timed: accrual of every deal as sync does it, a page of 25,000 deals per write
transaction (app.commissions.accrue.accrue_new_deals): plan and tree lookup by
server date, the commission, the split over the levels, carried rounding, the
accrual rows and the ledger entry of each page. Prints deals/s (target >= 100,000/s)
and accruals/s.

Raw baseline: one plain SQL aggregate over the same deals, per direct partner: the
lots of closing deals times a flat rate (what a spreadsheet would do, no tree, no
rules, nothing written); the ratio is accrual time / aggregate time.

Usage: python bench/commissions.py [deals] [partners]
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.commissions.accrue import accrue_new_deals
from app.crm.search_index import dbapi
from app.demo.market import DEAL_COLUMNS
from app.models.trading import Deal
from app.services.workspace import init_workspace
from app.workspace.bulk import insert_rows

N_DEALS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
N_PARTNERS = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000
N_CLIENTS = 100_000
PAGE = 25_000
LEVELS = (0.01, 0.04, 0.10, 0.25, 0.60)   # share of partners on each of the 5 levels
SYMBOLS = ("EURUSD", "GBPUSD", "USDJPY", "AUDUSD", "XAUUSD", "XAGUSD", "US30", "BTCUSD")
TIERS = {"levels": [2000, 1000, 1000, 500]}
PLANS = (
    ("per_lot", {"per_lot": [{"symbols": "FX", "rate": "7.00"},
                             {"symbols": "METALS", "rate": "10.00"},
                             {"symbols": "*", "rate": "3.50"}]}),
    ("hybrid", {"per_lot": [{"symbols": "FX", "rate": "4.00"}],
                "revenue_share": {"share_bp": 1500}}),
    ("spread_share", {"spread_share": {"share_bp": 3000, "spread": [
        {"symbols": "*", "rate": "12.00"}]}, "min_hold_seconds": 60}),
)


def tree() -> list[tuple[int, int | None]]:
    """(partner id, parent id), five levels."""
    rng = random.Random(7)
    out: list[tuple[int, int | None]] = []
    above: list[int] = []
    pid = 0
    for share in LEVELS:
        level = []
        for _ in range(max(1, round(N_PARTNERS * share))):
            pid += 1
            out.append((pid, rng.choice(above) if above else None))
            level.append(pid)
        above = level
    return out


def deal_rows() -> list[tuple[object, ...]]:
    rng = random.Random(1)
    rows: list[tuple[object, ...]] = []
    t0 = 1_790_000_000_000
    for i in range(N_DEALS):
        closing = i % 2 == 1
        if not closing:
            account, symbol, volume = (rng.randint(1, N_CLIENTS), rng.choice(SYMBOLS),
                                       rng.choice((1, 5, 10, 20, 50, 100, 200)))
        held = rng.choice((20_000, 90_000, 600_000)) if closing else 0
        rows.append((i + 1, "gw", 90_000_000 + i, account, symbol,
                     "sell" if closing else "buy", "out" if closing else "in", volume,
                     108_512_000, rng.randint(-50_000, 50_000) if closing else 0, -35,
                     -rng.randint(0, 300) if closing else 0, 0, i // 2,
                     t0 + (i // 2) * 5_000 + held, "CLIENT", "", 1))
    return rows


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="backdesk-bench-"))
    try:
        desk = init_workspace(tmp / "ws", password="bench-password", broker_name="Bench",
                              base_currency="USD", admin_username="admin",
                              admin_full_name="Bench")
        partners = tree()
        print(f"preparing {len(partners):,} partners, {N_CLIENTS:,} clients and "
              f"{N_DEALS:,} deals (not timed)…", flush=True)
        with desk.store.write() as s:
            db = dbapi(s)
            db.executemany("INSERT INTO partners (id, uid, name, parent_id, referral_code,"
                           " currency, active, version, server_version, created_at,"
                           " updated_at) VALUES (?, ?, ?, ?, ?, 'USD', 1, 1, 0,"
                           " '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                           [(p, str(uuid.uuid4()), f"Partner {p}", parent, f"P{p:05d}")
                            for p, parent in partners])
            for n, (kind, rules) in enumerate(PLANS, start=1):
                db.execute("INSERT INTO commission_plans (id, uid, name, kind, currency, rules,"
                           " tier_shares_bp, version, server_version, created_at, updated_at)"
                           " VALUES (?, ?, ?, ?, 'USD', ?, ?, 1, 0, '2026-01-01 00:00:00',"
                           " '2026-01-01 00:00:00')", (n, str(uuid.uuid4()), kind, kind,
                                                       json.dumps(rules), json.dumps(TIERS)))
                db.execute("INSERT INTO commission_plan_versions (uid, plan_id, effective_from,"
                           " rules, tier_shares_bp, created_at) VALUES (?, ?, '2020-01-01', ?,"
                           " ?, '2026-01-01 00:00:00')", (str(uuid.uuid4()), n,
                                                          json.dumps(rules), json.dumps(TIERS)))
            db.executemany("INSERT INTO plan_assignments (plan_id, partner_id, client_group,"
                           " effective_from) VALUES (?, ?, '*', '2020-01-01')",
                           [(1 + p % len(PLANS), p) for p, _ in partners])
            rng = random.Random(3)
            db.executemany(
                "INSERT INTO clients (id, kind, first_name, last_name, company_name,"
                " display_name, search_name, email, phone, country, status, segment,"
                " risk_rating, partner_id, closed_reason, version, created_at, updated_at)"
                " VALUES (?, 'person', 'A', 'B', '', 'A B', 'a b', '', '', 'DE', 'active', '',"
                " 'low', ?, '', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                [(c, rng.randint(1, len(partners))) for c in range(1, N_CLIENTS + 1)])
            db.executemany(
                'INSERT INTO trading_accounts (id, platform, login, client_id, "group",'
                " currency, leverage, status, opened_at, server_version) VALUES"
                " (?, 'gw', ?, ?, 'retail-std', 'USD', 100, 'active', '2024-01-01 00:00:00', 1)",
                [(a, 500_000 + a, a) for a in range(1, N_CLIENTS + 1)])
            insert_rows(s, Deal.__table__, DEAL_COLUMNS, deal_rows())

        start = time.perf_counter()
        accruals = 0
        while True:  # as sync does: a page of deals per write transaction
            with desk.store.write() as s:
                written = accrue_new_deals(dbapi(s), PAGE)
            if written is None:
                break
            accruals += written
        took = time.perf_counter() - start
        rate = N_DEALS / took
        with desk.store.read() as s:
            db = dbapi(s)
            paid, levels = db.execute("SELECT sum(amount_minor), max(tier) + 1"
                                      " FROM commission_accruals").fetchone()
            booked = -db.execute(
                "SELECT sum(p.amount_minor) FROM postings p JOIN ledger_accounts a"
                " ON a.id = p.ledger_account_id WHERE a.code LIKE 'ib_payable:%'").fetchone()[0]
            t = time.perf_counter()
            aggregate = db.execute(
                "SELECT c.partner_id, sum(d.volume) * 7 FROM deals d"
                " JOIN trading_accounts a ON a.id = d.account_id"
                " JOIN clients c ON c.id = a.client_id"
                " WHERE d.entry = 'out' GROUP BY c.partner_id").fetchall()
            raw = time.perf_counter() - t
        print(f"accrual: {N_DEALS:,} deals -> {accruals:,} accruals over {levels} levels in "
              f"{took:.1f} s = {rate:,.0f} deals/s, {accruals / took:,.0f} accruals/s "
              f"(target >= 100,000 deals/s)")
        print(f"ledger booked {booked / 100:,.2f} USD = accruals {paid / 100:,.2f} USD: "
              f"{booked == paid}")
        print(f"raw baseline (one SQL aggregate of closing lots x a flat rate per direct "
              f"partner, {len(aggregate):,} rows): {raw:.2f} s; ratio accrual/aggregate "
              f"{took / raw:.1f}")
        desk.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
