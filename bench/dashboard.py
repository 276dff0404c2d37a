"""The dashboard's full refresh over 100,000 clients and 1,000,000 deals.

The world is built once with raw executemany (DESIGN.md: the driver's bulk path) and
cached under /tmp (BACKDESK_BENCH_CACHE to move it), since building takes about half
a minute and the figures only read: a year of activity up to the day it was built.
Clients created over the year in ten countries, three segments and five managers,
KYC approvals hours to weeks after sign-up, ~90k trading accounts, 500k round-trip
trades, ~160k deposits and withdrawals with their status history, a 1,500-partner
tree with commission accrued up to three tiers (and some clawbacks), and open
exceptions in every part.

Timed: what the Dashboard page runs on each refresh (app.queries.dashboard: the
headline tiles, then every figure of app.analytics in one read snapshot), for the
whole year (every deal) and for the page's default period, without filters and with
a country filter. Prints the median of several runs per figure and in total against
the target: a full refresh under 1 s on this 2-core machine.

Usage: python bench/dashboard.py [runs]
`measure_dashboard()` returns the figures for bench/reports.py.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.analytics.figures import read_figures
from app.analytics.scope import EVERYONE, ClientFilter, Span
from app.crm.search_index import dbapi
from app.demo.market import DEAL_COLUMNS
from app.models.trading import Deal
from app.models.users import Role, User
from app.queries.dashboard import default_span, headlines
from app.services.workspace import Desk, init_workspace, open_workspace
from app.workspace.bulk import insert_rows

PASSWORD = "bench-password"
VERSION = "3"  # bump when the world changes, so a stale cache is rebuilt
N_CLIENTS = 100_000
N_DEALS = 1_000_000
N_PARTNERS = 1_500
DAYS = 364
COUNTRIES = {"GB": 20, "DE": 15, "CY": 8, "GR": 7, "AE": 10, "RU": 8, "ES": 8, "FR": 9,
             "NG": 7, "ZA": 8}
SEGMENTS = {"Retail": 80, "Professional": 15, "VIP": 5}
STATUSES = {"lead": 10, "registered": 8, "kyc_pending": 7, "verified": 10, "active": 50,
            "dormant": 12, "closed": 3}
TRADING = {"verified", "active", "dormant", "closed"}
SYMBOLS = ("EURUSD", "GBPUSD", "USDJPY", "XAUUSD", "US30", "BTCUSD")
DAY_MS = 86_400_000


@dataclass(frozen=True)
class World:
    folder: Path
    first: date
    last: date


def ts(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def world(root: Path) -> World:
    """The cached world under `root`, built first when missing or stale."""
    marker = root / "world.json"
    if marker.exists():
        meta = json.loads(marker.read_text())
        if meta.get("version") == VERSION:
            return World(root / "ws", date.fromisoformat(meta["first"]),
                         date.fromisoformat(meta["last"]))
    import shutil

    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    desk = init_workspace(root / "ws", password=PASSWORD, broker_name="Bench Markets",
                          base_currency="USD", admin_username="admin",
                          admin_full_name="Bench Admin")
    try:
        _fill(desk, now)
    finally:
        desk.close()
    first, last = (now - timedelta(days=DAYS)).date(), now.date()
    marker.write_text(json.dumps({"version": VERSION, "first": first.isoformat(),
                                  "last": last.isoformat()}))
    return World(root / "ws", first, last)


def open_world(w: World) -> Desk:
    return open_workspace(w.folder, PASSWORD)


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _fill(desk: Desk, now: datetime) -> None:
    rng = random.Random(20)
    start = now - timedelta(days=DAYS)
    with desk.store.write() as s:
        managers = []
        for i in range(5):
            user = User(username=f"manager{i}", full_name=f"Manager {i}", role=Role.MANAGER)
            s.add(user)
            s.flush()
            managers.append(user.id)
        db = dbapi(s)
        stamp = ts(start)
        partners = []
        for p in range(1, N_PARTNERS + 1):
            parent = None if p <= 50 else rng.randint(1, min(p - 1, 50 if p <= 400 else 400))
            partners.append((p, str(uuid.UUID(int=rng.getrandbits(128))), f"Partner {p}",
                             parent, f"P{p:05d}", "USD", 1, 1, stamp, stamp))
        insert_rows(s, _table("partners"), ["id", "uid", "name", "parent_id", "referral_code",
                                            "currency", "active", "version", "created_at",
                                            "updated_at"], partners)
        parent_of = {p[0]: p[3] for p in partners}
        db.execute("INSERT INTO commission_plans (id, uid, name, kind, currency, rules,"
                   " tier_shares_bp, version, server_version, created_at, updated_at) VALUES"
                   " (1, ?, 'Per lot', 'per_lot', 'USD', '{}', '{}', 1, 0, ?, ?)",
                   (str(uuid.uuid4()), stamp, stamp))

        clients, cases, docs, accounts = [], [], [], []
        created: dict[int, datetime] = {}
        referred: dict[int, int] = {}
        for cid in range(1, N_CLIENTS + 1):
            status = _pick(rng, STATUSES)
            made = start + timedelta(seconds=rng.randint(0, DAYS * 86_400))
            created[cid] = made
            partner = rng.randint(1, N_PARTNERS) if rng.random() < 0.35 else None
            if partner is not None:
                referred[cid] = partner
            clients.append((cid, "person", "Ann", f"Client{cid}", "", f"Client{cid}, Ann",
                            f"client{cid} ann", f"c{cid}@example.com", "",
                            _pick(rng, COUNTRIES), status, _pick(rng, SEGMENTS), "low",
                            rng.choice(managers), partner, "", 1, ts(made), ts(made)))
            if status in ("lead", "registered"):
                continue
            approved = status != "kyc_pending"
            decided = made + timedelta(hours=rng.expovariate(1 / 150) + 1)
            if decided > now:
                approved, decided = False, now
            review = (decided + timedelta(days=365)).date()
            if approved and rng.random() < 0.02:
                review = now.date() - timedelta(days=rng.randint(1, 60))  # overdue
            cases.append((len(cases) + 1, str(uuid.uuid4()), cid,
                          "approved" if approved else "in_review", 0,
                          managers[0] if approved else None,
                          ts(decided) if approved else None,
                          review.isoformat() if approved else None, "", 1, ts(made), ts(made)))
            if approved and rng.random() < 0.3:
                expiry = now.date() + timedelta(days=rng.randint(-90, 2000))
                docs.append((len(docs) + 1, str(uuid.uuid4()), len(cases), "passport",
                             "identity", "GB", "X1", expiry.isoformat(), "approved", "",
                             "passport.pdf", "application/pdf", "0" * 64, 10, 1,
                             ts(made), ts(made)))
            if status in TRADING:
                for _ in range(2 if rng.random() < 0.2 else 1):
                    accounts.append((len(accounts) + 1, "gw", 1_000_000 + len(accounts), cid,
                                     "real", rng.choice(("USD", "USD", "EUR", "GBP")), 100,
                                     "active", ts(decided), 1))
        insert_rows(s, _table("clients"),
                    ["id", "kind", "first_name", "last_name", "company_name", "display_name",
                     "search_name", "email", "phone", "country", "status", "segment",
                     "risk_rating", "manager_id", "partner_id", "closed_reason", "version",
                     "created_at", "updated_at"], clients)
        insert_rows(s, _table("kyc_cases"),
                    ["id", "uid", "client_id", "status", "enhanced", "decided_by",
                     "decided_at", "next_review", "notes", "version", "created_at",
                     "updated_at"], cases)
        insert_rows(s, _table("kyc_documents"),
                    ["id", "uid", "case_id", "doc_type", "requirement", "issuing_country",
                     "number", "expiry_date", "status", "reject_reason", "file_name",
                     "mime_type", "sha256", "size", "version", "created_at", "updated_at"],
                    docs)
        insert_rows(s, _table("trading_accounts"),
                    ["id", "platform", "login", "client_id", "group", "currency", "leverage",
                     "status", "opened_at", "server_version"], accounts)

        deals, accruals = [], []
        now_ms = int(now.timestamp() * 1000)
        weights = [rng.paretovariate(1.5) for _ in accounts]
        picks = rng.choices(range(len(accounts)), weights, k=N_DEALS // 2)
        for n, i in enumerate(picks):
            aid, _p, _l, cid, _g, currency, *_ = accounts[i]
            opened = int(created[cid].timestamp() * 1000) + DAY_MS
            if opened >= now_ms:
                opened = now_ms - DAY_MS
            t = rng.randint(opened, now_ms - 60_000)
            volume = rng.choice((1, 5, 10, 20, 50, 100, 200))
            symbol = rng.choice(SYMBOLS)
            did = 2 * n + 1
            deals.append((did, "gw", did, aid, symbol, "buy", "in", volume, 108_512_000, 0,
                          -35, 0, 0, n, t, "CLIENT", "", 1))
            deals.append((did + 1, "gw", did + 1, aid, symbol, "sell", "out", volume,
                          108_612_000, rng.randint(-50_000, 50_000), -35, 0, 0, n,
                          t + rng.randint(1_000, 600_000), "CLIENT", "", 1))
            partner = referred.get(cid)
            tier = 0
            while partner is not None and tier < 3:
                amount = volume * 7 // (tier + 1)
                accruals.append((did + 1, partner, cid, 1, tier, "per_lot", amount * 1_000_000,
                                 0, amount, 0, currency, t))
                partner, tier = parent_of[partner], tier + 1
            if referred.get(cid) and rng.random() < 0.01:  # a clawback of a moved partner
                gone = rng.randint(1, N_PARTNERS)
                if gone not in (referred[cid], parent_of[referred[cid]]):
                    accruals.append((did + 1, gone, cid, 1, -1, "clawback", -5_000_000, 0, -5,
                                     0, currency, t))
        insert_rows(s, Deal.__table__, DEAL_COLUMNS, deals)
        insert_rows(s, _table("commission_accruals"),
                    ["deal_id", "partner_id", "client_id", "plan_id", "tier", "rule",
                     "exact_micro", "revenue_micro", "amount_minor", "residue_micro",
                     "currency", "time_ms"], accruals)
        del deals, accruals

        payments, history = [], []
        for aid, _p, _l, cid, _g, currency, _lev, _st, opened_at, _v in accounts:
            opened = datetime.fromisoformat(opened_at).replace(tzinfo=UTC)
            for _ in range(rng.choice((1, 1, 2, 3))):
                pid = len(payments) + 1
                made = opened + timedelta(seconds=rng.randint(0, max(1, int(
                    (now - opened).total_seconds()))))
                recent = (now - made) < timedelta(days=4)
                status = (rng.choice(("requested", "pending", "processing", "approved"))
                          if recent or rng.random() < 0.002 else
                          rng.choice(("completed",) * 12 + ("failed", "cancelled")))
                direction = "withdrawal" if rng.random() < 0.3 else "deposit"
                payments.append((pid, str(uuid.uuid4()), cid, aid, direction, "card", "Stripe",
                                 rng.choice((100, 250, 500, 1000, 5000)) * 100, currency, 0,
                                 status, "", "", "", 1, ts(made), ts(made)))
                history.append((pid, "requested", ts(made), None, ""))
                if status != "requested":
                    history.append((pid, status, ts(made + timedelta(minutes=9)), None, ""))
        insert_rows(s, _table("payment_requests"),
                    ["id", "uid", "client_id", "account_id", "direction", "method", "provider",
                     "amount_minor", "currency", "fee_minor", "status", "provider_ref",
                     "payer_name", "payer_account", "version", "created_at", "updated_at"],
                    payments)
        insert_rows(s, _table("payment_status_changes"),
                    ["payment_id", "status", "at", "actor_id", "note"], history)
        _exceptions(s, db, rng, now, managers)


def _exceptions(s: object, db: object, rng: random.Random, now: datetime,
                managers: list[int]) -> None:
    run = db.execute  # type: ignore[attr-defined]
    many = db.executemany  # type: ignore[attr-defined]
    run("INSERT INTO recon_runs (id, started_at, finished_at, trigger, accounts_checked,"
        " payments_checked, lines_checked, breaks_found, breaks_new) VALUES"
        " (1, ?, ?, 'on_demand', 0, 0, 0, 300, 300)", (ts(now), ts(now)))
    many("INSERT INTO recon_exceptions (kind, key, signature, summary, currency,"
         " difference_minor, client_id, status, owner_id, first_run_id, last_run_id,"
         " resolution, created_at, updated_at) VALUES ('balance_drift', ?, 's',"
         " 'Ledger and platform balances differ', 'USD', 100, ?, ?, ?, 1, 1, '', ?, ?)",
         [(f"k{i}", rng.randint(1, N_CLIENTS), rng.choice(("open", "investigating",
                                                           "resolved")),
           rng.choice([*managers, None]), ts(now - timedelta(days=rng.randint(0, 60))),
           ts(now)) for i in range(300)])
    many("INSERT INTO alerts (uid, rule, severity, client_id, status, summary, evidence,"
         " due_date, version, server_version, created_at, updated_at) VALUES"
         " (?, 'structuring', 'high', ?, ?, 'Deposits split under the threshold', '{}', ?,"
         " 1, 0, ?, ?)",
         [(str(uuid.uuid4()), rng.randint(1, N_CLIENTS),
           rng.choice(("open", "open", "in_case", "closed")),
           (now.date() + timedelta(days=d)).isoformat(), ts(now - timedelta(days=14 - d)),
           ts(now)) for d in (rng.randint(-40, 14) for _ in range(3_000))])
    many("INSERT INTO compliance_cases (uid, title, client_id, status, outcome,"
         " outcome_reason, assignee_id, due_date, froze_withdrawals, version, server_version,"
         " created_at, updated_at) VALUES (?, 'Structuring review', ?, ?, '', '', ?, ?, 0, 1,"
         " 0, ?, ?)",
         [(str(uuid.uuid4()), rng.randint(1, N_CLIENTS),
           rng.choice(("open", "investigating", "closed")), rng.choice(managers),
           (now.date() + timedelta(days=d)).isoformat(), ts(now - timedelta(days=30 - d)),
           ts(now)) for d in (rng.randint(-60, 30) for _ in range(400))])
    many("INSERT INTO outbox (device_seq, idempotency_key, kind, payload, status, attempts,"
         " last_error, created_at, created_by, entity, entity_ref) VALUES"
         " (?, ?, 'client.update', '{}', ?, 1, 'The gateway refused the change', ?, ?,"
         " 'client', ?)",
         [(i + 1, str(uuid.uuid4()), rng.choice(("done",) * 8 + ("rejected", "conflict")),
           ts(now - timedelta(days=rng.randint(0, 20))), managers[0],
           str(rng.randint(1, N_CLIENTS))) for i in range(400)])


def _table(name: str) -> object:
    from app.models import Base

    return Base.metadata.tables[name]


TARGET_S = 1.0
CACHE = Path(os.environ.get("BACKDESK_BENCH_CACHE",
                            Path(tempfile.gettempdir()) / "backdesk-bench-dashboard"))


def _refresh(desk: Desk, span: Span, filters: ClientFilter) -> dict[str, float]:
    """One refresh as the Dashboard page runs it: tiles, then the figures."""
    start = time.perf_counter()
    with desk.store.read() as s:
        headlines(s)
    tiles = time.perf_counter() - start
    figures = read_figures(desk.store, span, filters)
    return {"headlines": tiles, **figures.seconds, "total": time.perf_counter() - start}


def measure_dashboard(runs: int = 5, span: Span | None = None,
                      filters: ClientFilter = EVERYONE) -> dict[str, float]:
    """Median seconds per figure and in total over `runs` refreshes (after one warm-up
    that reads the pages into the cache), by default over the world's whole year."""
    w = world(CACHE)
    desk = open_world(w)
    try:
        span = span or Span(w.first, w.last)
        _refresh(desk, span, filters)
        samples = [_refresh(desk, span, filters) for _ in range(runs)]
    finally:
        desk.close()
    return {k: statistics.median(s[k] for s in samples) for k in samples[0]}


def _print(title: str, figures: dict[str, float]) -> None:
    parts = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in figures.items() if k != "total")
    verdict = "within" if figures["total"] < TARGET_S else "OVER"
    print(f"{title}: total {figures['total'] * 1000:.0f} ms ({verdict} the {TARGET_S:.0f} s"
          f" target) — {parts}")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"world: {N_CLIENTS:,} clients, {N_DEALS:,} deals (cached in {CACHE})", flush=True)
    w = world(CACHE)
    year = Span(w.first, w.last)
    recent = default_span(w.last)
    _print(f"full refresh, whole year {year.label}", measure_dashboard(runs, year))
    _print(f"default period {recent.label}", measure_dashboard(runs, recent))
    _print("whole year, country GB", measure_dashboard(runs, year, ClientFilter(country="GB")))
    _print("whole year, segment VIP", measure_dashboard(runs, year,
                                                       ClientFilter(segment="VIP")))


if __name__ == "__main__":
    main()
