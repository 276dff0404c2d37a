"""Three-way reconciliation over 100,000 trading accounts.

Builds a real encrypted workspace (not timed) the way sync leaves it: 100k trading
accounts with their platform balance, a completed deposit each (its platform credit
deal, its payment, status history and ledger entries), a paid withdrawal on one in
ten, four trades per account (400k deals posted by app.ledger.sources), and every
provider's statement for the period (one line per completed payment). Then a few
breaks are seeded: 20 balance drifts, 10 deposits the platform never credited, 10
statement lines no payment explains.

Timed: a full run as `backdesk reconcile run` does it (app.services.reconciliation.
run: read every account, payment, payment deal and statement line, match, keep the
exceptions, audit). Target: under 30 s.

Raw baseline: one SQL statement that compares each account's platform balance with
its ledger balance (postings summed per trading account from the covering index,
joined to account_states) - the two-way check alone, with no payments or providers;
the ratio is full run / baseline.

Usage: python bench/reconcile.py [accounts]
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.crm.search_index import dbapi
from app.demo.market import DEAL_COLUMNS
from app.ledger.chart import Accounts
from app.ledger.sources import post_new_deals, post_payments
from app.services import reconciliation
from app.services.workspace import init_workspace

N_ACCOUNTS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
CURRENCIES = ("USD", "USD", "USD", "EUR", "GBP")
PROVIDERS = ("Stripe", "Checkout.com", "SEPA", "Skrill", "BitGo")
CLIENTS = 1_000
T0 = 1_790_000_000_000  # 2026-09-21, platform milliseconds
NOW = "2026-11-01 00:00:00.000000"

BASELINE = (
    "SELECT count(*) FROM trading_accounts t JOIN account_states s ON s.account_id = t.id"
    " JOIN (SELECT l.code AS code, sum(p.amount_minor) AS total FROM ledger_accounts l"
    " JOIN postings p ON p.ledger_account_id = l.id WHERE l.code >= 'trading:'"
    " AND l.code < 'trading;' GROUP BY l.id) g"
    " ON g.code = 'trading:' || t.platform || ':' || t.login || ':' || t.currency"
    " WHERE s.balance_minor != -g.total")


def prepare(db: object) -> None:
    """Accounts, deals and payments as a sync leaves them, posted to the ledger."""
    rng = random.Random(6)
    cur = db.execute  # type: ignore[attr-defined]
    many = db.executemany  # type: ignore[attr-defined]
    many("INSERT INTO clients (id, external_id, kind, first_name, last_name, company_name,"
         " display_name, search_name, email, phone, country, status, segment, risk_rating,"
         " closed_reason, version, server_version, profile_version, created_at, updated_at)"
         " VALUES (?, ?, 'person', '', '', '', ?, ?, '', '', 'GB', 'active', '', 'unrated',"
         " '', 1, 1, 0, ?, ?)", [(c, f"C{c}", f"C{c}", f"c{c}", NOW, NOW)
                                 for c in range(1, CLIENTS + 1)])
    many('INSERT INTO trading_accounts (id, platform, login, client_id, "group", currency,'
         " leverage, status, opened_at, server_version) VALUES (?, 'gw', ?, ?, 'real', ?,"
         " 100, 'active', '2026-09-01 00:00:00', 1)",
         [(a, 500_000 + a, a % CLIENTS + 1, CURRENCIES[a % len(CURRENCIES)])
          for a in range(1, N_ACCOUNTS + 1)])
    deals: list[tuple[object, ...]] = []
    payments: list[tuple[object, ...]] = []
    steps: list[tuple[object, ...]] = []
    ticket = 10_000_000

    def pay(a: int, direction: str, amount: int, ms: int) -> None:
        nonlocal ticket
        n = len(payments) + 1
        ext, provider = f"PAY{n:08d}", PROVIDERS[n % len(PROVIDERS)]
        ticket += 1
        sign = 1 if direction == "deposit" else -1
        deals.append((len(deals) + 1, "gw", ticket, a, "", "balance", "none", 0, 0,
                      sign * amount, 0, 0, 0, None, ms, direction.upper(),
                      f"{direction.capitalize()} {ext}", 1))
        at = f"2026-10-{1 + n % 28:02d} 12:00:00.000000"
        payments.append((n, ext, ext, a % CLIENTS + 1, a, direction, "card", provider, amount,
                         CURRENCIES[a % len(CURRENCIES)], 0, "completed", f"REF-{ext}", at, at,
                         ticket))
        for status in (("pending", "processing", "completed") if sign > 0 else
                       ("requested", "approved", "processing", "completed")):
            steps.append((n, status, at))

    for a in range(1, N_ACCOUNTS + 1):
        ms = T0 + a * 10
        pay(a, "deposit", rng.choice((250, 500, 1000, 5000)) * 100, ms)
        for k in range(4):
            ticket += 1
            deals.append((len(deals) + 1, "gw", ticket, a, "EURUSD", "sell" if k % 2 else "buy",
                          "out" if k % 2 else "in", 10, 108_512_000,
                          rng.randint(-5_000, 5_000) if k % 2 else 0, -35,
                          -rng.randint(0, 30) if k % 2 else 0, 0, a * 10 + k // 2, ms + k + 1,
                          "CLIENT", "", 1))
        if a % 10 == 0:
            pay(a, "withdrawal", 5_000, ms + 9)
    many(f"INSERT INTO deals ({', '.join(DEAL_COLUMNS)})"
         f" VALUES ({', '.join('?' * len(DEAL_COLUMNS))})", deals)
    many("INSERT INTO payment_requests (id, uid, external_id, client_id, account_id,"
         " direction, method, provider, amount_minor, currency, fee_minor, status,"
         " provider_ref, created_at, updated_at, ticket, payer_name, payer_account, version,"
         " server_version, requested_by_name, bank_code, fx_rate)"
         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', 1, 1, '', '', '')",
         payments)
    many("INSERT INTO payment_status_changes (payment_id, status, at, note)"
         " VALUES (?, ?, ?, '')", steps)
    accounts = Accounts(db)
    while post_new_deals(db, accounts, 50_000) is not None:
        pass
    ids = [p[1] for p in payments]
    for i in range(0, len(ids), 20_000):
        post_payments(db, accounts, ids[i:i + 20_000])
    # the platform's balance is what the ledger says: a clean book to seed breaks into
    cur("INSERT INTO account_states (account_id, balance_minor, credit_minor, equity_minor,"
        " margin_minor, free_margin_minor, updated_at, server_version)"
        " SELECT t.id, -coalesce(g.total, 0), 0, 0, 0, 0, ?, 1 FROM trading_accounts t"
        " LEFT JOIN (SELECT l.code AS code, sum(p.amount_minor) AS total FROM ledger_accounts l"
        " JOIN postings p ON p.ledger_account_id = l.id GROUP BY l.id) g"
        " ON g.code = 'trading:' || t.platform || ':' || t.login || ':' || t.currency", (NOW,))
    for provider in PROVIDERS:
        sid = cur("INSERT INTO provider_statements (provider, file_name, sha256, period_from,"
                  " period_to, lines, imported_at) VALUES (?, ?, ?, '2026-10-01', '2026-10-31',"
                  " 0, ?)", (provider, f"{provider}.csv", provider.ljust(64, "0"), NOW)).lastrowid
        many("INSERT INTO provider_lines (statement_id, provider, provider_ref, direction,"
             " status, amount_minor, fee_minor, currency, value_date, copies)"
             " VALUES (?, ?, ?, ?, 'completed', ?, 0, ?, ?, 1)",
             [(sid, provider, p[12], p[5], p[8], p[9], p[13][:10]) for p in payments
              if p[7] == provider])
    # seeded breaks: drifts, deposits never credited, lines no payment explains
    many("UPDATE account_states SET balance_minor = balance_minor + 1 WHERE account_id = ?",
         [(a,) for a in rng.sample(range(1, N_ACCOUNTS + 1), 20)])
    dropped = rng.sample(range(1, N_ACCOUNTS + 1), 10)
    many("UPDATE deals SET profit_minor = 0 WHERE account_id = ? AND reason = 'DEPOSIT'",
         [(a,) for a in dropped])
    many("UPDATE account_states SET balance_minor = balance_minor - (SELECT amount_minor FROM"
         " payment_requests WHERE account_id = ? AND direction = 'deposit') WHERE"
         " account_id = ?", [(a, a) for a in dropped])
    many("DELETE FROM deals WHERE account_id = ? AND reason = 'DEPOSIT'", [(a,) for a in dropped])
    many("UPDATE payment_requests SET ticket = NULL WHERE account_id = ?", [(a,) for a in dropped])
    many("INSERT INTO provider_lines (statement_id, provider, provider_ref, direction, status,"
         " amount_minor, fee_minor, currency, value_date, copies) VALUES (1, ?, ?, 'deposit',"
         " 'completed', 1000, 0, 'USD', '2026-10-10', 1)",
         [(PROVIDERS[0], f"ORPHAN-{i}") for i in range(10)])


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="backdesk-bench-"))
    try:
        desk = init_workspace(tmp / "ws", password="bench-password", broker_name="Bench",
                              base_currency="USD", admin_username="admin",
                              admin_full_name="Bench")
        print(f"preparing {N_ACCOUNTS:,} trading accounts, their deals, payments, ledger and "
              "provider statements (not timed)…", flush=True)
        t = time.perf_counter()
        with desk.store.write() as s:
            prepare(dbapi(s))
        with desk.store.read() as s:
            db = dbapi(s)
            counts = [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
                "deals", "payment_requests", "postings", "provider_lines")]
        print(f"  {counts[0]:,} deals, {counts[1]:,} payments, {counts[2]:,} postings, "
              f"{counts[3]:,} statement lines ({time.perf_counter() - t:.0f} s)")

        runs = []
        for _ in range(3):
            t = time.perf_counter()
            report = reconciliation.run(desk)
            runs.append(time.perf_counter() - t)
        full = sorted(runs)[1]
        print(f"full three-way run over {report.accounts:,} accounts, {report.payments:,} "
              f"payments, {report.lines:,} lines: median {full:.2f} s of 3 "
              f"({', '.join(f'{r:.2f}' for r in runs)}) (target < 30 s); breaks "
              f"{report.found}: {dict(sorted(report.by_kind.items()))}")

        times = []
        with desk.store.read() as s:
            db = dbapi(s)
            for _ in range(3):
                t = time.perf_counter()
                off = db.execute(BASELINE).fetchone()[0]
                times.append(time.perf_counter() - t)
        base = sorted(times)[1]
        print(f"raw baseline (one SQL: ledger sums per trading account joined to account "
              f"states, {off} accounts off): median {base:.2f} s; ratio full/raw "
              f"{full / base:.1f}")
        t = time.perf_counter()
        skipped = reconciliation.reconcile_after_sync(desk.store, 2.0)
        print(f"after-sync call with nothing changed: {time.perf_counter() - t:.3f} s "
              f"({'skipped' if skipped is None else 'ran'})")
        desk.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
