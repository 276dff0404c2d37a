"""IB commission statements and payout summaries as a reader gets them: accruals,
deals, payouts and matching ledger postings written with SQL into a real workspace,
the PDFs read back with pypdf. Every figure is hand-chosen, so each total below is
checked against arithmetic done here, and the payable the statement prints from the
ledger must equal what was accrued less what was sent."""

from __future__ import annotations

import json
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.commissions.accrue import stamp_ms
from app.commissions.book import SERVER_OFFSET
from app.crm.search_index import dbapi
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.ledger import chart
from app.ledger.chart import Accounts
from app.ledger.journal import Draft, Line, post, post_many
from app.models.audit import AuditEntry
from app.models.partners import PayoutStatus
from app.models.users import Role
from app.services import reports, users
from app.services.workspace import Desk

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
SEPTEMBER = (date(2026, 9, 1), date(2026, 9, 30))
CYRILLIC = "Белозёров, Алексей"
ARABIC = "سعيد الهاشمي"
NOW = "2026-09-01 00:00:00.000000"
SEPT_RUN = "0b9e8f6a-5c1d-4e2f-9a3b-7c6d5e4f3a21"
OCT_RUN = "7f3a2b1c-0d9e-4f8a-8b7c-6d5e4f3a2b10"


def ms(day: int, month: int = 10, hour: int = 12, minute: int = 0) -> int:
    return int(datetime(2026, month, day, hour, minute, tzinfo=UTC).timestamp() * 1000)


def pages_text(path: Path) -> list[str]:
    return [p.extract_text() for p in PdfReader(path).pages]


def logical(text: str) -> str:
    """Extracted text with Arabic presentation forms folded back to plain letters."""
    return unicodedata.normalize("NFKC", text)


def usd(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    return f"{sign}{whole:,}.{cents:02d} USD"


# -- building the data with SQL --------------------------------------------------------


class Seeder:
    """Inserts rows the way the platform mirror and the commission engine would."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.accounts = Accounts(db)

    def setting(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key)"
                        " DO UPDATE SET value = excluded.value", (key, value))

    def plan(self, name: str) -> int:
        cur = self.db.execute(
            "INSERT INTO commission_plans (uid, name, kind, currency, rules, tier_shares_bp,"
            " version, created_at, updated_at) VALUES (?, ?, 'per_lot', 'USD', ?, ?, 1, ?, ?)",
            (f"plan-{name}", name, json.dumps({"per_lot": [{"symbols": "FX", "rate": "7.00"}]}),
             json.dumps({"levels": [2000, 1000]}), NOW, NOW))
        return int(cur.lastrowid)

    def partner(self, name: str, code: str, parent: int | None = None) -> int:
        cur = self.db.execute(
            "INSERT INTO partners (uid, name, parent_id, referral_code, currency, active,"
            " version, created_at, updated_at) VALUES (?, ?, ?, ?, 'USD', 1, 1, ?, ?)",
            (f"partner-{code}", name, parent, code, NOW, NOW))
        return int(cur.lastrowid)

    def clients(self, rows: list[tuple[str, int]]) -> list[int]:
        """(display name, partner id) -> client ids."""
        (last,) = self.db.execute("SELECT coalesce(max(id), 0) FROM clients").fetchone()
        ids = list(range(last + 1, last + 1 + len(rows)))
        self.db.executemany(
            "INSERT INTO clients (id, kind, first_name, last_name, company_name, display_name,"
            " search_name, email, phone, country, status, segment, risk_rating, partner_id,"
            " closed_reason, version, created_at, updated_at) VALUES (?, 'person', '', ?, '',"
            " ?, ?, '', '', 'CY', 'active', '', 'low', ?, '', 1, ?, ?)",
            [(i, name, name, name.casefold(), partner, NOW, NOW)
             for i, (name, partner) in zip(ids, rows, strict=True)])
        return ids

    def account(self, client: int, login: int, currency: str = "USD") -> int:
        cur = self.db.execute(
            'INSERT INTO trading_accounts (platform, login, client_id, "group", currency,'
            " leverage, status, opened_at, server_version) VALUES ('gw', ?, ?, 'real', ?,"
            " 100, 'active', ?, 0)", (login, client, currency, NOW))
        return int(cur.lastrowid)

    def deals(self, rows: list[tuple[int, str, str, int, int]]) -> list[int]:
        """(account id, symbol, action, volume, time_ms) -> deal ids."""
        (last,) = self.db.execute("SELECT coalesce(max(id), 0) FROM deals").fetchone()
        ids = list(range(last + 1, last + 1 + len(rows)))
        out = []
        for did, (acc, symbol, action, vol, when) in zip(ids, rows, strict=True):
            entry = "out" if action in ("buy", "sell") else "none"
            reason = "CHARGEBACK" if action == "charge" else (
                "DEPOSIT" if action == "balance" else "")
            out.append((did, did, acc, symbol, action, entry, vol, when, reason))
        self.db.executemany(
            "INSERT INTO deals (id, platform, ticket, account_id, symbol, action, entry, volume,"
            " price, profit_minor, commission_minor, swap_minor, fee_minor, position_id,"
            " time_ms, reason, comment, server_version) VALUES (?, 'gw', ?, ?, ?, ?, ?, ?, 0,"
            " 0, 0, 0, 0, NULL, ?, ?, '', 0)", out)
        return ids

    def accruals(self, rows: list[tuple[int, int, int, int, int, str, int, str, int]],
                 *, book: bool = True) -> None:
        """(deal, partner, client, plan, tier, rule, amount_minor, currency, time_ms),
        booked to the ledger as the engine does: expense against the partner's payable."""
        self.db.executemany(
            "INSERT INTO commission_accruals (deal_id, partner_id, client_id, plan_id, tier,"
            " rule, exact_micro, revenue_micro, amount_minor, residue_micro, currency,"
            " time_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, 0, ?, ?)",
            [(d, p, c, plan, tier, rule, amount * 1_000_000, amount, cur, when)
             for d, p, c, plan, tier, rule, amount, cur, when in rows])
        if book:
            drafts = [Draft("commission", f"deal {d} P{p}", f"Commission on deal {d}",
                            (Line(chart.ib_payable(f"P{p}", cur), -amount),
                             Line(chart.house("ib_commission", cur), amount)), stamp_ms(when))
                      for d, p, _, _, _, _, amount, cur, when in rows]
            post_many(self.db, self.accounts, drafts)

    def run(self, uid: str, start: date, end: date, prepared_by: int) -> int:
        cur = self.db.execute(
            "INSERT INTO commission_runs (uid, period_start, period_end, prepared_by, status,"
            " version, created_at, updated_at) VALUES (?, ?, ?, ?, 'proposed', 1, ?, ?)",
            (uid, start.isoformat(), end.isoformat(), prepared_by, NOW, NOW))
        return int(cur.lastrowid)

    def payout(self, run: int, partner: int, start: date, end: date, amount: int,
               currency: str, status: str, prepared_by: int, approved_by: int | None,
               reason: str = "") -> int:
        cur = self.db.execute(
            "INSERT INTO payouts (uid, partner_id, period_start, period_end, amount_minor,"
            " currency, status, prepared_by, approved_by, run_id, decided_at, reason, version,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
            (f"payout-{run}-{partner}-{currency}", partner, start.isoformat(), end.isoformat(),
             amount, currency, status, prepared_by, approved_by, run,
             None if approved_by is None else NOW, reason, NOW, NOW))
        return int(cur.lastrowid)


@dataclass(frozen=True)
class Seeded:
    aurora: int
    borealis: int
    coral: int
    delta: int
    clients: dict[str, int]
    fiona: int
    max: int
    sent_payout: int


# What Aurora earned, by hand (USD minor units unless said otherwise).
SEPT_ACCRUED = 1_001 + 999
OWN_USD = 1_050 + 1_400 + 500 + 700 + 20_000 + 333       # tier 0 in October
TIER1 = 140
TIER2 = 112 - 50
CLAWBACK = -30
OCT_USD = OWN_USD + TIER1 + TIER2 + CLAWBACK              # 24,155
OCT_EUR = 2_100
NOVEMBER = 777


def seed(desk: Desk) -> Seeded:
    fiona = users.add_user(desk, "fiona", "Fiona Finance", Role.FINANCE).id
    maxi = users.add_user(desk, "max", "Max Manager", Role.MANAGER).id
    with desk.store.write() as s:
        x = Seeder(dbapi(s))
        # The platform's clock runs two hours ahead of UTC: server dates start at 22:00 UTC.
        x.setting(SERVER_OFFSET, "120")
        plan = x.plan("Standard FX")
        a = x.partner("Aurora Partners", "AUR")
        b = x.partner("Borealis IB", "BOR", a)
        c = x.partner("Coral Affiliates", "COR", b)
        d = x.partner("Delta Media", "DLT")
        c1, c2, c3, c4, c5 = x.clients([(CYRILLIC, a), (ARABIC, a), ("Smith, Jane", b),
                                        ("Nakamura, Ken", c), ("Outside, Olga", d)])
        acc1, acc2, acc2e = x.account(c1, 800001), x.account(c2, 800002), x.account(
            c2, 800012, "EUR")
        acc3, acc4, acc5 = x.account(c3, 800003), x.account(c4, 800004), x.account(c5, 800005)
        (d00, d0, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, d11, d12, d13) = x.deals([
            (acc1, "EURUSD", "sell", 143, ms(10, 9)),
            # 23:30 server time on 30 September: September, not October.
            (acc1, "EURUSD", "sell", 143, ms(30, 9, 21, 30)),
            (acc1, "EURUSD", "sell", 150, ms(2)),
            (acc1, "EURUSD", "buy", 200, ms(3)),
            (acc1, "XAUUSD", "buy", 50, ms(4)),
            (acc2, "GBPUSD", "sell", 100, ms(5)),
            (acc2e, "EURUSD", "sell", 300, ms(6)),
            (acc2, "", "balance", 0, ms(7)),                    # CPA on the first deposit
            (acc3, "EURUSD", "buy", 100, ms(8)),
            (acc4, "USDJPY", "sell", 200, ms(9)),
            (acc4, "", "charge", 0, ms(10)),                    # chargeback: clawback
            (acc5, "EURUSD", "sell", 500, ms(11)),              # Delta's client, not Aurora's
            (acc3, "", "charge", 0, ms(12)),
            # 00:30 server time on 1 October (22:30 UTC on 30 September): October.
            (acc1, "EURUSD", "sell", 10, ms(30, 9, 22, 30)),
            # 00:30 server time on 1 November: outside October.
            (acc1, "EURUSD", "sell", 111, ms(31, 10, 22, 30)),
        ])
        t = {d: w for d, w in zip(
            (d00, d0, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, d11, d12, d13),
            (ms(10, 9), ms(30, 9, 21, 30), ms(2), ms(3), ms(4), ms(5), ms(6), ms(7), ms(8),
             ms(9), ms(10), ms(11), ms(12), ms(30, 9, 22, 30), ms(31, 10, 22, 30)), strict=True)}
        x.accruals([
            (d00, a, c1, plan, 0, "lot:FX", 1_001, "USD", t[d00]),
            (d0, a, c1, plan, 0, "lot:FX", 999, "USD", t[d0]),
            (d1, a, c1, plan, 0, "lot:FX", 1_050, "USD", t[d1]),
            (d2, a, c1, plan, 0, "lot:FX", 1_400, "USD", t[d2]),
            (d3, a, c1, plan, 0, "lot:METALS", 500, "USD", t[d3]),
            (d4, a, c2, plan, 0, "lot:FX", 700, "USD", t[d4]),
            (d5, a, c2, plan, 0, "lot:FX", OCT_EUR, "EUR", t[d5]),
            (d6, a, c2, plan, 0, "cpa", 20_000, "USD", t[d6]),
            (d7, b, c3, plan, 0, "lot:FX", 560, "USD", t[d7]),
            (d7, a, c3, plan, 1, "lot:FX", TIER1, "USD", t[d7]),
            (d8, c, c4, plan, 0, "lot:FX", 1_008, "USD", t[d8]),
            (d8, b, c4, plan, 1, "lot:FX", 280, "USD", t[d8]),
            (d8, a, c4, plan, 2, "lot:FX", 112, "USD", t[d8]),
            (d9, c, c4, plan, 0, "clawback", -450, "USD", t[d9]),
            (d9, b, c4, plan, 1, "clawback", -100, "USD", t[d9]),
            (d9, a, c4, plan, 2, "clawback", -50, "USD", t[d9]),
            (d10, d, c5, plan, 0, "lot:FX", 3_500, "USD", t[d10]),
            (d11, b, c3, plan, 0, "clawback", -150, "USD", t[d11]),
            (d11, a, c3, plan, -1, "clawback", CLAWBACK, "USD", t[d11]),
            (d12, a, c1, plan, 0, "lot:FX", 333, "USD", t[d12]),
            (d13, a, c1, plan, 0, "lot:FX", NOVEMBER, "USD", t[d13]),
        ])
        sept = x.run(SEPT_RUN, *SEPTEMBER, prepared_by=maxi)
        sent = x.payout(sept, a, *SEPTEMBER, SEPT_ACCRUED, "USD", "sent", maxi, fiona)
        x.payout(sept, b, *SEPTEMBER, 710, "USD", "approved", maxi, fiona)
        x.payout(sept, c, *SEPTEMBER, 300, "EUR", "proposed", maxi, None)
        x.payout(sept, d, *SEPTEMBER, 5_000, "USD", "rejected", maxi, fiona,
                 reason="Duplicate claim")
        octo = x.run(OCT_RUN, *OCTOBER, prepared_by=fiona)
        x.payout(octo, a, *OCTOBER, OCT_USD, "USD", "proposed", fiona, None)
        x.payout(octo, a, *OCTOBER, OCT_EUR, "EUR", "proposed", fiona, None)
        # The September payout leaves Aurora's payable on 5 October.
        assert post(x.db, x.accounts, Draft(
            "payout", f"payout-{sent}", "Commission payout to Aurora Partners",
            (Line(chart.ib_payable(f"P{a}", "USD"), SEPT_ACCRUED),
             Line(chart.clearing("Bank", "USD"), -SEPT_ACCRUED)),
            datetime(2026, 10, 5, 9, 0, tzinfo=UTC))) is not None
    return Seeded(a, b, c, d, {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5}, fiona, maxi,
                sent)


@pytest.fixture
def seeded(desk: Desk) -> Seeded:
    return seed(desk)


def _ledger_payable(desk: Desk, partner: int, currency: str, before_ms: int) -> int:
    """What the ledger says is owed to the partner, straight from the postings."""
    with desk.store.read() as s:
        (total,) = dbapi(s).execute(
            "SELECT coalesce(sum(p.amount_minor), 0) FROM postings p JOIN journal_entries j"
            " ON j.id = p.entry_id JOIN ledger_accounts a ON a.id = p.ledger_account_id"
            " WHERE a.code = ? AND j.posted_at < ?",
            (chart.ib_payable(f"P{partner}", currency), stamp_ms(before_ms))).fetchone()
    return -int(total)


def _accrued_less_sent(desk: Desk, partner: int, currency: str, before_ms: int) -> int:
    with desk.store.read() as s:
        db = dbapi(s)
        (accrued,) = db.execute(
            "SELECT coalesce(sum(amount_minor), 0) FROM commission_accruals WHERE"
            " partner_id = ? AND currency = ? AND time_ms < ?",
            (partner, currency, before_ms)).fetchone()
        (sent,) = db.execute(
            "SELECT coalesce(sum(amount_minor), 0) FROM payouts WHERE partner_id = ?"
            " AND currency = ? AND status IN ('sent', 'paid')", (partner, currency)).fetchone()
    return int(accrued) - int(sent)


# -- the statement as data --------------------------------------------------------------


def test_statement_figures_match_the_accruals_and_the_ledger(desk: Desk, seeded: Seeded) -> None:
    st = reports.commission_statement(desk, seeded.aurora, *OCTOBER)
    assert (st.partner.name, st.partner.code, st.upline) == ("Aurora Partners", "AUR", ())
    assert st.plans == ("Standard FX",)
    us, eur = st.summaries   # the partner's own currency first
    assert (us.currency, eur.currency) == ("USD", "EUR")
    assert us.by_tier == ((0, OWN_USD), (1, TIER1), (2, TIER2), (-1, CLAWBACK))
    assert us.accrued == OCT_USD == 24_155
    assert (us.opening, us.paid) == (SEPT_ACCRUED, SEPT_ACCRUED)
    assert us.closing == us.expected == OCT_USD and us.difference == 0
    assert (eur.by_tier, eur.opening, eur.paid, eur.closing) == (((0, OCT_EUR),), 0, 0, OCT_EUR)
    # "Payable per ledger" is the postings' sum, and that is what was accrued by the end
    # of the period less the payout sent.
    _, end = st.ms_from, st.ms_to
    for cur, summary in (("USD", us), ("EUR", eur)):
        assert summary.closing == _ledger_payable(desk, seeded.aurora, cur, end)
        assert summary.closing == _accrued_less_sent(desk, seeded.aurora, cur, end)
    assert [(m.source_kind, m.amount) for m in st.movements] == [("payout", SEPT_ACCRUED)]

    clients = {(x.label, x.currency): (x.deals, x.volume, x.amount) for x in st.clients}
    assert clients == {
        (CYRILLIC, "USD"): (4, 150 + 200 + 50 + 10, 1_050 + 1_400 + 500 + 333),
        (ARABIC, "USD"): (2, 100, 20_700),
        (ARABIC, "EUR"): (1, 300, OCT_EUR),
        ("Smith, Jane", "USD"): (2, 100, TIER1 + CLAWBACK),
        ("Nakamura, Ken", "USD"): (2, 200, TIER2),
    }
    symbols = {(x.label, x.currency): (x.deals, x.volume, x.amount) for x in st.symbols}
    assert symbols == {
        ("EURUSD", "USD"): (4, 460, 1_050 + 1_400 + TIER1 + 333),
        ("EURUSD", "EUR"): (1, 300, OCT_EUR),
        ("GBPUSD", "USD"): (1, 100, 700), ("USDJPY", "USD"): (1, 200, 112),
        ("XAUUSD", "USD"): (1, 50, 500), ("CPA awards", "USD"): (1, 0, 20_000),
        ("Chargeback clawbacks", "USD"): (2, 0, -50 + CLAWBACK),
    }
    assert [x.label for x in st.symbols][-2:] == ["CPA awards", "Chargeback clawbacks"]
    tiers = [(x.label, x.detail, x.currency, x.deals, x.amount) for x in st.tiers]
    assert tiers == [
        ("Own clients", "—", "EUR", 1, OCT_EUR),
        ("Own clients", "—", "USD", 6, OWN_USD),
        ("Level 1 sub-partners' clients", "Borealis IB (BOR)", "USD", 1, TIER1),
        # Coral's client: it came to Aurora through Borealis, the partner below it.
        ("Level 2 sub-partners' clients", "Borealis IB (BOR)", "USD", 2, TIER2),
        ("Clawback (client no longer in this partner's tree)",
         "client of Borealis IB (BOR)", "USD", 1, CLAWBACK),
    ]


def test_server_dates_decide_the_period(desk: Desk, seeded: Seeded) -> None:
    """22:30 UTC on 30 September is 00:30 on 1 October on a UTC+2 platform."""
    sept = reports.commission_statement(desk, seeded.aurora, *SEPTEMBER)
    (us,) = sept.summaries
    assert (us.opening, us.accrued, us.paid, us.closing) == (0, SEPT_ACCRUED, 0, SEPT_ACCRUED)
    assert [(p.id, p.status, p.approved_by) for p in sept.payouts] == [
        (seeded.sent_payout, "sent", "Fiona Finance")]
    nov = reports.commission_statement(desk, seeded.aurora, date(2026, 11, 1),
                                       date(2026, 11, 30))
    us, eur = nov.summaries
    assert (us.opening, us.accrued, us.closing) == (OCT_USD, NOVEMBER, OCT_USD + NOVEMBER)
    assert (eur.opening, eur.accrued, eur.closing) == (OCT_EUR, 0, OCT_EUR)
    assert nov.clients[0].amount == NOVEMBER


def test_sub_partners_see_their_upline_and_their_own_figures(desk: Desk, seeded: Seeded) -> None:
    coral = reports.commission_statement(desk, seeded.coral, *OCTOBER)
    assert [u.label for u in coral.upline] == ["Borealis IB (BOR)", "Aurora Partners (AUR)"]
    (us,) = coral.summaries
    assert us.by_tier == ((0, 1_008 - 450),) and us.closing == 558
    borealis = reports.commission_statement(desk, seeded.borealis, *OCTOBER)
    assert [u.code for u in borealis.upline] == ["AUR"]
    assert [(x.label, x.detail, x.amount) for x in borealis.tiers] == [
        ("Own clients", "—", 560 - 150),
        ("Level 1 sub-partners' clients", "Coral Affiliates (COR)", 280 - 100)]
    # September's payout to Borealis is approved but not sent: still payable.
    assert _accrued_less_sent(desk, seeded.borealis, "USD", borealis.ms_to) == 590
    assert borealis.summaries[0].closing == 590


def test_a_ledger_that_disagrees_with_the_accruals_shows_the_difference(
        desk: Desk, seeded: Seeded, tmp_path: Path) -> None:
    with desk.store.write() as s:
        x = Seeder(dbapi(s))
        (did,) = x.deals([(1, "EURUSD", "sell", 100, ms(20))])
        x.accruals([(did, seeded.aurora, seeded.clients["c1"], 1, 0, "lot:FX", 420, "USD",
                     ms(20))], book=False)  # accrued, never booked
    (us, _) = reports.commission_statement(desk, seeded.aurora, *OCTOBER).summaries
    assert (us.accrued, us.booked, us.closing) == (OCT_USD + 420, OCT_USD, OCT_USD)
    assert us.difference == -420
    out = tmp_path / "diff.pdf"
    reports.commission_statement_pdf(desk, seeded.aurora, *OCTOBER, out)
    text = "\n".join(pages_text(out))
    assert "Difference: ledger bookings do not match the accruals" in text
    assert "-4.20 USD" in text


# -- the statement as a PDF -------------------------------------------------------------


def test_statement_pdf_prints_header_summary_and_breakdowns(desk: Desk, seeded: Seeded,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "aurora.pdf"
    pages = reports.commission_statement_pdf(desk, seeded.aurora, *OCTOBER, out)
    texts = pages_text(out)
    assert pages == len(texts) == 2
    for n, page in enumerate(texts, start=1):
        assert f"Page {n} of 2" in page and "Period: 2026-10-01 to 2026-10-31" in page
    text = "\n".join(texts)
    for expected in ("Test Markets Ltd", "IB commission statement",
                     "Aurora Partners", "referral code AUR", "Upline: none (a top-level partner)",
                     "Plans: Standard FX", "UTC+2", "Summary, USD", "Summary, EUR",
                     "Payable per ledger", "By tier", "By symbol", "By client",
                     "Commission payout to Aurora Partners", "payout, entry #"):
        assert expected in text, expected
    assert re.search(r"Generated by Ada Admin on \d{4}-\d\d-\d\d \d\d:\d\d UTC", text)
    lines = text.splitlines()

    def after(label: str, n: int = 1, start: int = 0) -> list[str]:
        i = lines.index(label, start)
        return lines[i + 1:i + 1 + n]

    assert after("Payable at the start of 2026-10-01, per ledger") == [usd(SEPT_ACCRUED)]
    assert after("Accrued: own clients (tier 0)") == [usd(OWN_USD)]
    assert after("Accrued: level 1 sub-partners' clients (tier 1)") == [usd(TIER1)]
    assert after("Accrued: level 2 sub-partners' clients (tier 2)") == [usd(TIER2)]
    assert after("Accrued: clawback (client no longer in this partner's tree)") == [
        usd(CLAWBACK)]
    assert after("Accrued in the period") == ["241.55 USD"]
    assert after("Paid out and other movements, per ledger") == [usd(-SEPT_ACCRUED)]
    assert after("Payable per ledger") == ["241.55 USD"]
    assert after("Payable per ledger", start=lines.index("Summary, EUR")) == ["21.00 EUR"]
    assert "Difference" not in text
    # Per client: number, deals, lots, commission; the Cyrillic name comes out as text.
    assert after(CYRILLIC, 4) == [f"#{seeded.clients['c1']}", "4", "4.10", "32.83 USD"]
    assert after("Smith, Jane", 4) == [f"#{seeded.clients['c3']}", "2", "1.00", "1.10 USD"]
    assert after("Nakamura, Ken", 4) == [f"#{seeded.clients['c4']}", "2", "2.00", "0.62 USD"]
    assert "Outside, Olga" not in text and "Delta Media" not in text
    # Per symbol.
    assert after("XAUUSD", 3) == ["1", "0.50", "5.00 USD"]
    assert after("USDJPY", 3) == ["1", "2.00", "1.12 USD"]
    assert after("CPA awards", 3) == ["1", "0.00", "200.00 USD"]
    assert after("Chargeback clawbacks", 3) == ["2", "0.00", "-0.80 USD"]
    # Each breakdown ends with a total per currency, the same in all three.
    by_symbol, by_client = lines.index("By symbol"), lines.index("By client")
    assert after("Total, USD", 2) == ["10", "241.55 USD"]             # by tier: no lots
    assert after("Total, USD", 3, by_symbol) == ["10", "8.10", "241.55 USD"]
    assert after("Total, USD", 3, by_client) == ["10", "8.10", "241.55 USD"]
    assert after("Total, EUR", 3, by_client) == ["1", "3.00", "21.00 EUR"]
    # The Arabic client is drawn joined (presentation forms) and reads back as the name.
    assert ARABIC in logical(text) and ARABIC not in text
    assert "7.77" not in text   # November's deal is outside the period


def test_a_partner_without_commission_gets_a_clear_statement(desk: Desk, seeded: Seeded,
                                                             tmp_path: Path) -> None:
    with desk.store.write() as s:
        quiet = Seeder(dbapi(s)).partner("Quiet Referrals", "QUI", seeded.coral)
    out = tmp_path / "quiet.pdf"
    assert reports.commission_statement_pdf(desk, quiet, *OCTOBER, out) == 1
    (text,) = pages_text(out)
    assert "No commission was accrued to this partner and nothing is payable." in text
    assert ("Upline: Coral Affiliates (COR) → Borealis IB (BOR) → Aurora Partners (AUR)"
            in text.replace("\n", " "))


def test_six_hundred_clients_page_with_totals_on_the_last_page(desk: Desk,
                                                              tmp_path: Path) -> None:
    with desk.store.write() as s:
        x = Seeder(dbapi(s))
        x.setting(SERVER_OFFSET, "0")
        plan = x.plan("Volume FX")
        big = x.partner("Большой Партнёр", "BIG")
        names = [f"Клиент {n:03d}, Иван" if n % 3 == 0 else
                 (ARABIC if n % 3 == 1 else f"Client {n:03d}, Jane") for n in range(600)]
        cids = x.clients([(name, big) for name in names])
        accounts = [x.account(cid, 900_000 + n) for n, cid in enumerate(cids)]
        symbols = ("EURUSD", "GBPUSD", "USDJPY", "XAUUSD", "AUDUSD")
        rows = [(accounts[n % 600], symbols[n % 5], "sell", 10 + n % 90,
                 ms(1 + n % 31, hour=n % 24, minute=n % 60)) for n in range(20_000)]
        deals = x.deals(rows)
        accruals = [(did, big, cids[n % 600], plan, 0, "lot:FX", 7 + n % 300, "USD", rows[n][4])
                    for n, did in enumerate(deals)]
        x.accruals(accruals)
    total = sum(a[6] for a in accruals)

    started = time.perf_counter()
    st = reports.commission_statement(desk, _id(desk, "BIG"), *OCTOBER)
    read = time.perf_counter() - started
    out = tmp_path / "big.pdf"
    started = time.perf_counter()
    pages = reports.commission_statement_pdf(desk, _id(desk, "BIG"), *OCTOBER, out)
    built = time.perf_counter() - started
    print(f"\n600 clients / 20,000 accruals: figures read in {read:.2f} s; the whole PDF "
          f"(read, laid out, written, audited) in {built:.2f} s, {pages} pages")
    assert len(st.clients) == 600 and st.summaries[0].accrued == total
    assert st.summaries[0].closing == total == _accrued_less_sent(desk, st.partner.id, "USD",
                                                                  st.ms_to)
    texts = pages_text(out)
    assert pages == len(texts) >= 10
    for n, text in enumerate(texts, start=1):
        assert f"Page {n} of {pages}" in text
        assert "Test Markets Ltd" in text and "Period: 2026-10-01 to 2026-10-31" in text
    # The client table's column titles repeat on every page it runs over.
    start = next(i for i, t in enumerate(texts) if "By client" in t)
    assert all("Commission" in t and "Lots" in t for t in texts[start:])
    everything = logical("\n".join(texts))
    for name in (names[0], names[1], names[2], names[299], names[599]):
        assert name in everything, name
    last = texts[-1].splitlines()
    i = last.index("Total, USD")
    assert last[i + 1:i + 4] == [f"{20_000:,}", f"{sum(r[3] for r in rows) / 100:,.2f}",
                                 usd(total)]
    assert built < 30


def _id(desk: Desk, code: str) -> int:
    return reports.partner_by_code(desk, code)


# -- the payout summary ------------------------------------------------------------------


def test_payout_summary_of_a_run(desk: Desk, seeded: Seeded, tmp_path: Path) -> None:
    summary = reports.payout_summary(desk, run_uid=SEPT_RUN)
    assert summary.run is not None and summary.run.prepared_by == "Max Manager"
    assert summary.period.label == "2026-09-01 to 2026-09-30"
    assert [(x.partner_code, x.status) for x in summary.lines] == [
        ("AUR", PayoutStatus.SENT), ("BOR", PayoutStatus.APPROVED),
        ("COR", PayoutStatus.PROPOSED), ("DLT", PayoutStatus.REJECTED)]
    assert summary.total("USD") == SEPT_ACCRUED + 710 and summary.total("EUR") == 300
    assert list(summary.counts.values()) == [1, 1, 1, 0, 1]
    # The first characters of a run's id are enough when only one run starts so.
    assert reports.payout_summary(desk, run_uid=SEPT_RUN[:8]).run == summary.run

    out = tmp_path / "run.pdf"
    assert reports.payout_summary_pdf(desk, out, run_uid=SEPT_RUN) == 1
    (text,) = pages_text(out)
    for expected in ("Test Markets Ltd", "Commission payout summary",
                     "Period: 2026-09-01 to 2026-09-30", f"Commission run {SEPT_RUN}",
                     "prepared by Max Manager", "Page 1 of 1", "Duplicate claim",
                     f"payout #{seeded.sent_payout}"):
        assert expected in text, expected
    lines = text.splitlines()
    # One line per payout: partner, code, currency, amount, status, prepared, approved.
    i = lines.index("Aurora Partners")
    assert lines[i + 2:i + 8] == ["AUR", "USD", "20.00 USD", "sent", "Max Manager",
                                  "Fiona Finance"]
    i = lines.index("Coral Affiliates")
    assert lines[i + 2:i + 8] == ["COR", "EUR", "3.00 EUR", "proposed", "Max Manager", "—"]
    # Totals per currency: proposed, approved, sent, paid, rejected, to pay.
    i = lines.index("USD", lines.index("Totals per currency"))
    assert lines[i + 1:i + 7] == ["0.00 USD", "7.10 USD", "20.00 USD", "0.00 USD",
                                  "50.00 USD", "27.10 USD"]
    i = lines.index("EUR", lines.index("Totals per currency"))
    assert lines[i + 1:i + 7] == ["3.00 EUR", "0.00 EUR", "0.00 EUR", "0.00 EUR",
                                  "0.00 EUR", "3.00 EUR"]
    counts = lines.index("Payouts by status")
    assert lines[counts + 3:counts + 15] == ["Proposed", "1", "Approved", "1", "Sent", "1",
                                             "Paid", "0", "Rejected", "1", "All payouts", "4"]


def test_payout_summary_of_a_period(desk: Desk, seeded: Seeded, tmp_path: Path) -> None:
    both = reports.payout_summary(desk, date_from=date(2026, 9, 1), date_to=date(2026, 10, 31))
    assert both.run is None and len(both.lines) == 6
    assert both.total("USD") == SEPT_ACCRUED + 710 + OCT_USD
    october = reports.payout_summary(desk, date_from=OCTOBER[0], date_to=OCTOBER[1])
    assert {(x.partner_code, x.currency, x.amount) for x in october.lines} == {
        ("AUR", "EUR", OCT_EUR), ("AUR", "USD", OCT_USD)}
    out = tmp_path / "october.pdf"
    assert reports.payout_summary_pdf(desk, out, date_from=OCTOBER[0],
                                      date_to=OCTOBER[1]) == 1
    (text,) = pages_text(out)
    assert "Payouts for periods ending 2026-10-01 to 2026-10-31" in text
    assert "241.55 USD" in text and "21.00 EUR" in text and "Borealis" not in text
    empty = tmp_path / "empty.pdf"
    reports.payout_summary_pdf(desk, empty, date_from=date(2027, 1, 1),
                               date_to=date(2027, 1, 31))
    assert "There are no payouts here." in pages_text(empty)[0]


# -- permissions, audit, bad requests ---------------------------------------------------


def test_a_clerk_is_refused_and_finance_may_run_them(desk: Desk, seeded: Seeded,
                                                     tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    clerk = Desk(desk.store, users.add_user(desk, "cleo", "Cleo Clerk", Role.CLERK))
    with pytest.raises(PermissionDenied, match="run reports"):
        reports.commission_statement_pdf(clerk, seeded.aurora, *OCTOBER, folder / "c.pdf")
    with pytest.raises(PermissionDenied, match="run reports"):
        reports.payout_summary_pdf(clerk, folder / "p.pdf", run_uid=SEPT_RUN)
    with pytest.raises(PermissionDenied):
        reports.partner_by_code(clerk, "AUR")
    assert list(folder.iterdir()) == []
    finance = Desk(desk.store, users.add_user(desk, "fin2", "Fred Finance", Role.FINANCE))
    assert reports.commission_statement_pdf(finance, seeded.aurora, *OCTOBER,
                                            folder / "c.pdf") == 2


def test_reports_are_audited_without_partner_money(desk: Desk, seeded: Seeded,
                                                   tmp_path: Path) -> None:
    reports.commission_statement_pdf(desk, seeded.aurora, *OCTOBER, tmp_path / "aur.pdf")
    reports.payout_summary_pdf(desk, tmp_path / "run.pdf", run_uid=SEPT_RUN)
    with desk.store.read() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action.like("report.%"))
                            .order_by(AuditEntry.id)).all()
        logged = [(e.action, e.entity, e.entity_id, e.after) for e in entries]
    assert logged == [
        ("report.commission_statement", "partner", str(seeded.aurora),
         {"file": "aur.pdf", "period": "2026-10-01 to 2026-10-31", "pages": 2}),
        ("report.payout_summary", "commission_run", "1",
         {"file": "run.pdf", "period": "2026-09-01 to 2026-09-30", "pages": 1, "payouts": 4})]
    assert "241.55" not in json.dumps([e[3] for e in logged])


def test_bad_requests_are_clear_errors(desk: Desk, seeded: Seeded, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(NotFound, match="no partner with the referral code 'NOPE'"):
        reports.partner_by_code(desk, "NOPE")
    assert reports.partner_by_code(desk, "aur") == seeded.aurora  # case does not matter
    with pytest.raises(NotFound, match="no partner #999"):
        reports.commission_statement_pdf(desk, 999, *OCTOBER, folder / "x.pdf")
    with pytest.raises(ValidationFailed, match="starts"):
        reports.commission_statement_pdf(desk, seeded.aurora, OCTOBER[1], OCTOBER[0],
                                         folder / "x.pdf")
    with pytest.raises(ValidationFailed, match="either a commission run or a period"):
        reports.payout_summary(desk, run_uid=SEPT_RUN, date_from=OCTOBER[0])
    with pytest.raises(ValidationFailed, match="Choose a commission run"):
        reports.payout_summary(desk, date_from=OCTOBER[0])
    with pytest.raises(NotFound, match="no commission run 'zzzz'"):
        reports.payout_summary(desk, run_uid="zzzz")
    with pytest.raises(ValidationFailed, match="does not exist"):
        reports.payout_summary_pdf(desk, folder / "no" / "x.pdf", run_uid=SEPT_RUN)
    assert list(folder.iterdir()) == []
