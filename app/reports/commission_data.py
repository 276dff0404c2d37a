"""What an IB commission statement says, read from the accruals and the ledger.

The period is in server dates: a deal belongs to the day the trading platform's clock
showed (`Book.ms_range`), which is also the day its commission was booked on. Every
money figure is `amount_minor` of the accruals (what was actually credited, rounded
with the carried residue), never the exact micro amounts, so the statement adds up to
what the ledger holds for the partner: its `ib_payable:P{id}:{CUR}` account.

The summary reconciles per currency: payable at the start of the period per ledger,
plus what was accrued in the period, less what left the payable account other than by
accrual (payouts sent, corrections), is the payable at the end; the ledger's own
figure is printed next to it, and any difference is shown, not hidden.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from app.commissions.accrue import stamp_ms
from app.commissions.book import Book
from app.commissions.tree import Tree
from app.errors import NotFound
from app.reports.document import Period

# The source kind accrual bookings (and recalculations) post under; every other entry
# on a payable account is a payout or a correction.
ACCRUAL_SOURCE = "commission"
# Lots count the buy and sell deals only; balance operations carry no volume.
_VOLUME = "sum(CASE WHEN d.action IN ('buy', 'sell') THEN d.volume ELSE 0 END)"
_EPOCH = date(1970, 1, 1).toordinal()
# Accruals without a symbol: what they were for, by rule.
_RULE_LABELS = {"cpa": "CPA awards", "revenue:bonus": "Bonuses (revenue share)",
                "clawback": "Chargeback clawbacks"}


@dataclass(frozen=True)
class PartnerRef:
    id: int
    name: str
    code: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


def tier_label(tier: int) -> str:
    if tier == 0:
        return "Own clients"
    if tier < 0:
        return "Clawback (client no longer in this partner's tree)"
    return f"Level {tier} sub-partners' clients"


@dataclass(frozen=True)
class CurrencySummary:
    currency: str
    opening: int            # payable per ledger at the start of the period
    by_tier: tuple[tuple[int, int], ...]   # (tier, accrued), tiers ascending, -1 last
    paid: int               # taken out of the payable account in the period, not accrual
    booked: int             # accrual bookings in the ledger in the period
    closing: int            # payable per ledger at the end of the period

    @property
    def accrued(self) -> int:
        return sum(a for _, a in self.by_tier)

    @property
    def expected(self) -> int:
        """Payable at the end as the accruals say: opening + accrued - paid."""
        return self.opening + self.accrued - self.paid

    @property
    def difference(self) -> int:
        """Ledger less accruals: non-zero when bookings and accruals disagree."""
        return self.closing - self.expected


@dataclass(frozen=True)
class Line:
    """One row of a breakdown: per client, per symbol or per tier."""

    label: str
    currency: str
    deals: int
    volume: int   # hundredths of a lot, of the buy and sell deals
    amount: int   # minor units of `currency`
    detail: str = ""


@dataclass(frozen=True)
class Movement:
    """An entry on the payable account other than an accrual booking."""

    entry_id: int
    posted_at: datetime
    memo: str
    source_kind: str
    source_ref: str
    currency: str
    amount: int   # minor units; positive takes money out of the payable (a payout)


@dataclass(frozen=True)
class PartnerPayout:
    id: int
    period_start: date
    period_end: date
    currency: str
    amount: int
    status: str
    approved_by: str


@dataclass(frozen=True)
class CommissionStatement:
    partner: PartnerRef
    upline: tuple[PartnerRef, ...]   # parent first, as on the last day of the period
    period: Period
    ms_from: int
    ms_to: int
    offset_minutes: int
    plans: tuple[str, ...]
    summaries: tuple[CurrencySummary, ...]
    clients: tuple[Line, ...]
    symbols: tuple[Line, ...]
    tiers: tuple[Line, ...]
    movements: tuple[Movement, ...]
    payouts: tuple[PartnerPayout, ...]


def totals(lines: tuple[Line, ...]) -> list[Line]:
    """A total line per currency, currencies in order."""
    out: dict[str, list[int]] = {}
    for x in lines:
        t = out.setdefault(x.currency, [0, 0, 0])
        t[0] += x.deals
        t[1] += x.volume
        t[2] += x.amount
    return [Line("Total", c, d, v, a) for c, (d, v, a) in sorted(out.items())]


def find_partner(db: Any, code: str) -> int:
    """A partner's id by referral code (exact, else ignoring case)."""
    row = db.execute("SELECT id FROM partners WHERE referral_code = ?", (code,)).fetchone()
    if row is None:
        rows = db.execute("SELECT id FROM partners WHERE lower(referral_code) = lower(?)",
                          (code,)).fetchall()
        row = rows[0] if len(rows) == 1 else None
    if row is None:
        raise NotFound(f"There is no partner with the referral code {code!r}.")
    return int(row[0])


def _upline(tree: Tree, pid: int, day: date, refs: dict[int, PartnerRef]) -> list[PartnerRef]:
    out: list[PartnerRef] = []
    cur = tree.parent_on(pid, day)
    while cur is not None and cur != pid and len(out) <= len(tree.parent):
        if cur in refs:
            out.append(refs[cur])
        cur = tree.parent_on(cur, day)
    return out


def _below(tree: Tree, origin: int | None, pid: int, day: date) -> int | None:
    """The partner directly below `pid` on the way up from `origin` on `day`."""
    prev, cur, steps = None, origin, 0
    while cur is not None and steps <= len(tree.parent):
        if cur == pid:
            return prev
        prev, cur, steps = cur, tree.parent_on(cur, day), steps + 1
    return None


def _where(pid: int, ms_from: int, ms_to: int) -> tuple[str, tuple[int, int, int]]:
    return ("ca.partner_id = ? AND ca.time_ms >= ? AND ca.time_ms < ?", (pid, ms_from, ms_to))


def _clients(db: Any, pid: int, ms_from: int, ms_to: int) -> list[Line]:
    where, args = _where(pid, ms_from, ms_to)
    rows = db.execute(
        "SELECT ca.client_id, c.display_name, ca.currency, count(*),"
        f" {_VOLUME}, sum(ca.amount_minor)"
        " FROM commission_accruals ca JOIN deals d ON d.id = ca.deal_id"
        f" LEFT JOIN clients c ON c.id = ca.client_id WHERE {where}"
        " GROUP BY ca.client_id, ca.currency", args).fetchall()
    lines = [Line(name if name is not None else f"Client #{cid}", cur, int(n), int(vol),
                  int(amount), f"#{cid}") for cid, name, cur, n, vol, amount in rows]
    lines.sort(key=lambda x: (x.label.casefold(), int(x.detail[1:]), x.currency))
    return lines


def _symbols(db: Any, pid: int, ms_from: int, ms_to: int) -> list[Line]:
    where, args = _where(pid, ms_from, ms_to)
    rows = db.execute(
        "SELECT d.symbol, CASE WHEN d.symbol = '' THEN ca.rule ELSE '' END, ca.currency,"
        f" count(*), {_VOLUME},"
        " sum(ca.amount_minor) FROM commission_accruals ca JOIN deals d ON d.id = ca.deal_id"
        f" WHERE {where} GROUP BY 1, 2, 3", args).fetchall()
    lines = [Line(symbol or _RULE_LABELS.get(rule, rule or "Other"), cur, int(n), int(vol),
                  int(amount)) for symbol, rule, cur, n, vol, amount in rows]
    # Symbols by name, then the accruals no symbol explains.
    lines.sort(key=lambda x: (x.label in _RULE_LABELS.values(), x.label, x.currency))
    return lines


def _tiers(db: Any, book: Book, pid: int, ms_from: int, ms_to: int,
           refs: dict[int, PartnerRef]) -> list[Line]:
    """Per tier and the sub-partner directly below this one the commission came
    through. The client's own partner on the deal is the tier-0 accrual of the same
    deal (or, when tier 0 earned nothing, the client's partner now); the tree on the
    deal's server date leads from it up to this partner."""
    where, args = _where(pid, ms_from, ms_to)
    grouped: dict[tuple[int, int | None, int | None, str], list[int]] = defaultdict(
        lambda: [0, 0, 0])
    for tier, origin, day_number, cur, n, vol, amount in db.execute(
            "SELECT ca.tier, coalesce(o.partner_id, c.partner_id),"
            " (ca.time_ms + ?) / 86400000, ca.currency, count(*),"
            f" {_VOLUME},"
            " sum(ca.amount_minor) FROM commission_accruals ca"
            " JOIN deals d ON d.id = ca.deal_id"
            " LEFT JOIN commission_accruals o ON o.deal_id = ca.deal_id AND o.tier = 0"
            " LEFT JOIN clients c ON c.id = ca.client_id"
            f" WHERE {where} GROUP BY 1, 2, 3, 4", (book.offset_ms, *args)):
        via = None
        if tier > 0:
            via = _below(book.tree, origin, pid, date.fromordinal(_EPOCH + int(day_number)))
        # Through a sub-partner when the tree says which; else whose client it was.
        key = (int(tier), via, None if via is not None or tier == 0 else origin, cur)
        g = grouped[key]
        g[0] += int(n)
        g[1] += int(vol)
        g[2] += int(amount)
    keyed = []
    for (tier, via, origin, cur), (n, vol, amount) in grouped.items():
        if tier == 0:
            through = "—"
        elif via is not None:
            through = refs[via].label if via in refs else f"partner #{via}"
        elif origin is not None and origin in refs:
            through = f"client of {refs[origin].label}"
        else:
            through = "not known"
        keyed.append(((tier < 0, tier, through.casefold(), cur),
                      Line(tier_label(tier), cur, n, vol, amount, through)))
    keyed.sort(key=lambda k: k[0])
    return [line for _, line in keyed]


def _ledger(db: Any, pid: int, start: str, end: str) -> tuple[
        dict[str, tuple[int, int, int, int]], list[Movement]]:
    """Per currency of the partner's payable accounts: (opening, booked, paid, closing)
    as the partner sees them (what is owed positive), and the entries other than
    accrual bookings in the period."""
    out: dict[str, tuple[int, int, int, int]] = {}
    movements: list[Movement] = []
    prefix = f"ib_payable:P{pid}:"
    accounts = db.execute("SELECT id, currency FROM ledger_accounts"
                          " WHERE substr(code, 1, ?) = ?", (len(prefix), prefix)).fetchall()
    for account_id, cur in accounts:
        (opening,) = db.execute(
            "SELECT coalesce(sum(p.amount_minor), 0) FROM postings p JOIN journal_entries j"
            " ON j.id = p.entry_id WHERE p.ledger_account_id = ? AND j.posted_at < ?",
            (account_id, start)).fetchone()
        booked = paid = 0
        for entry, at, memo, kind, ref, amount in db.execute(
                "SELECT j.id, j.posted_at, j.memo, j.source_kind, j.source_ref, p.amount_minor"
                " FROM postings p JOIN journal_entries j ON j.id = p.entry_id"
                " WHERE p.ledger_account_id = ? AND j.posted_at >= ? AND j.posted_at < ?"
                " ORDER BY j.posted_at, j.id, p.id", (account_id, start, end)):
            if kind == ACCRUAL_SOURCE:
                booked -= int(amount)
            else:
                paid += int(amount)
                movements.append(Movement(int(entry),
                                          datetime.fromisoformat(at).replace(tzinfo=UTC),
                                          memo, kind, ref, cur, int(amount)))
        opening = -int(opening)
        out[cur] = (opening, booked, paid, opening + booked - paid)
    return out, movements


def _payouts(db: Any, pid: int, period: Period) -> list[PartnerPayout]:
    rows = db.execute(
        "SELECT p.id, p.period_start, p.period_end, p.currency, p.amount_minor, p.status,"
        " coalesce(u.full_name, '') FROM payouts p LEFT JOIN users u ON u.id = p.approved_by"
        " WHERE p.partner_id = ? AND p.period_end >= ? AND p.period_end <= ?"
        " ORDER BY p.period_end, p.id",
        (pid, period.date_from.isoformat(), period.date_to.isoformat())).fetchall()
    return [PartnerPayout(int(i), date.fromisoformat(str(s)[:10]), date.fromisoformat(str(e)[:10]),
                          cur, int(amount), str(status), str(approver))
            for i, s, e, cur, amount, status, approver in rows]


def read_commission_statement(db: Any, partner_id: int, period: Period) -> CommissionStatement:
    """A partner's commission statement; `db` is a driver connection to read with."""
    refs = {int(i): PartnerRef(int(i), str(n), str(c)) for i, n, c in db.execute(
        "SELECT id, name, referral_code FROM partners")}
    if partner_id not in refs:
        raise NotFound(f"There is no partner #{partner_id}.")
    book = Book.load(db)
    ms_from, ms_to = book.ms_range(period.date_from, period.date_to)
    where, args = _where(partner_id, ms_from, ms_to)
    by_tier: dict[str, dict[int, int]] = defaultdict(dict)
    for tier, cur, amount in db.execute(
            f"SELECT ca.tier, ca.currency, sum(ca.amount_minor) FROM commission_accruals ca"
            f" WHERE {where} GROUP BY 1, 2", args):
        by_tier[cur][int(tier)] = int(amount)
    plans = tuple(str(name) for (name,) in db.execute(
        "SELECT name FROM commission_plans WHERE id IN (SELECT DISTINCT ca.plan_id FROM"
        f" commission_accruals ca WHERE {where}) ORDER BY name", args))
    ledger, movements = _ledger(db, partner_id, stamp_ms(ms_from), stamp_ms(ms_to))
    (own_currency,) = db.execute("SELECT currency FROM partners WHERE id = ?",
                                 (partner_id,)).fetchone()
    summaries = []
    # The partner's own currency first, then the others its clients' accounts are in.
    for cur in sorted(by_tier.keys() | ledger.keys(), key=lambda c: (c != own_currency, c)):
        opening, booked, paid, closing = ledger.get(cur, (0, 0, 0, 0))
        if cur not in by_tier and not (opening or booked or paid or closing):
            continue  # a payable account with nothing in it yet
        tiers = tuple(sorted(by_tier.get(cur, {}).items(), key=lambda t: (t[0] < 0, t[0])))
        summaries.append(CurrencySummary(cur, opening, tiers, paid, booked, closing))
    return CommissionStatement(
        refs[partner_id], tuple(_upline(book.tree, partner_id, period.date_to, refs)), period,
        ms_from, ms_to, book.offset_ms // 60_000, plans, tuple(summaries),
        tuple(_clients(db, partner_id, ms_from, ms_to)),
        tuple(_symbols(db, partner_id, ms_from, ms_to)),
        tuple(_tiers(db, book, partner_id, ms_from, ms_to, refs)), tuple(movements),
        tuple(_payouts(db, partner_id, period)))
