"""What a partner brought in over a period, and the partner tree with its figures.

Read straight through the driver connection. Periods are server dates, as for
accruals (`Book.ms_range`): a deal belongs to the day the platform's clock showed,
and a client to the server day its record was created. Referred clients are those
linked to the partner now (`clients.partner_id`); commission is what the accruals
credited the partner (`amount_minor`), per tier: 0 for its own clients, n for
clients of partners n levels below it.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.commissions.accrue import stamp_ms
from app.commissions.book import Book
from app.commissions.plans import describe, parse_terms
from app.errors import BackdeskError, NotFound

Amounts = tuple[tuple[str, int], ...]   # (currency, minor units), currencies in order
# A client's trades and money: the partner's clients' accounts, deals in [from, to).
_EVER = (" FROM clients c JOIN trading_accounts t ON t.client_id = c.id"
         " JOIN deals d ON d.account_id = t.id WHERE c.partner_id = ?")
_DEALS = _EVER + " AND d.time_ms >= ? AND d.time_ms < ?"
_TRADE = "d.action IN ('buy', 'sell')"
_CLOSING = f"{_TRADE} AND d.entry IN ('out', 'inout')"
_DEPOSIT = "d.action = 'balance' AND upper(d.reason) = 'DEPOSIT' AND d.profit_minor > 0"
_START = date(1970, 1, 2)   # plans made without a date apply from the start


@dataclass(frozen=True)
class Month:
    first_day: date
    new_clients: int
    volume: int                 # hundredths of a lot, closing deals
    commission: Amounts


@dataclass(frozen=True)
class MoneyFlow:
    currency: str
    deposits: int               # minor units in
    withdrawals: int            # minor units out (positive)

    @property
    def net(self) -> int:
        return self.deposits - self.withdrawals


@dataclass(frozen=True)
class Performance:
    partner_id: int
    first: date
    last: date
    clients: int                # referred, all time
    new_clients: int            # created in the period
    funded: int                 # with a deposit, ever
    funded_in_period: int       # with a deposit in the period
    active: int                 # traded in the period
    volume: int                 # hundredths of a lot, closing deals in the period
    money: tuple[MoneyFlow, ...]
    commission: tuple[tuple[int, str, int], ...]   # (tier, currency, minor)
    sub_partners: int           # directly below, on the period's last day
    downline: int               # everyone below, on the period's last day
    months: tuple[Month, ...]

    def commission_total(self) -> Amounts:
        out: dict[str, int] = defaultdict(int)
        for _tier, cur, amount in self.commission:
            out[cur] += amount
        return tuple(sorted(out.items()))


@dataclass(frozen=True)
class TreeRow:
    id: int
    name: str
    code: str
    level: int                  # 0 at the top of the tree
    parent_id: int | None
    active: bool
    clients: int
    commission: Amounts         # in the month of the day, up to that day


def month_starts(first: date, last: date) -> list[date]:
    out, cur = [], first.replace(day=1)
    while cur <= last:
        out.append(cur)
        cur = date(cur.year + cur.month // 12, cur.month % 12 + 1, 1)
    return out


def _below(kids: dict[int | None, list[int]], pid: int) -> list[int]:
    out, todo, seen = [], list(kids.get(pid, ())), {pid}
    while todo:
        cur = todo.pop()
        if cur not in seen:
            seen.add(cur)
            out.append(cur)
            todo.extend(kids.get(cur, ()))
    return out


def _month(key: str) -> date:
    return date(int(key[:4]), int(key[5:7]), 1)


def read_performance(db: Any, book: Book, partner_id: int, first: date,
                     last: date) -> Performance:
    if partner_id not in book.tree.parent:
        raise NotFound(f"There is no partner #{partner_id}.")
    ms_from, ms_to = book.ms_range(first, last)
    period = (partner_id, ms_from, ms_to)
    shift = f"{book.offset_ms // 60_000:+d} minutes"      # UTC stamp -> server clock
    deal_month = "strftime('%Y-%m', (d.time_ms + ?) / 1000, 'unixepoch')"
    clients, new = db.execute(
        "SELECT count(*), coalesce(sum(created_at >= ? AND created_at < ?), 0)"
        " FROM clients WHERE partner_id = ?",
        (stamp_ms(ms_from), stamp_ms(ms_to), partner_id)).fetchone()
    (funded,) = db.execute(
        f"SELECT count(DISTINCT c.id){_EVER} AND {_DEPOSIT}", (partner_id,)).fetchone()
    funded_now, active, volume = db.execute(
        f"SELECT count(DISTINCT CASE WHEN {_DEPOSIT} THEN c.id END),"
        f" count(DISTINCT CASE WHEN {_TRADE} THEN c.id END),"
        f" coalesce(sum(CASE WHEN {_CLOSING} THEN d.volume END), 0)" + _DEALS,
        period).fetchone()
    money = [MoneyFlow(cur, int(dep), -int(wd)) for cur, dep, wd in db.execute(
        "SELECT t.currency,"
        " sum(CASE WHEN upper(d.reason) = 'DEPOSIT' THEN d.profit_minor ELSE 0 END),"
        " sum(CASE WHEN upper(d.reason) = 'WITHDRAWAL' THEN d.profit_minor ELSE 0 END)"
        + _DEALS + " AND d.action = 'balance'"
        " AND upper(d.reason) IN ('DEPOSIT', 'WITHDRAWAL') GROUP BY 1 ORDER BY 1", period)]
    commission = [(int(tier), cur, int(amount)) for tier, cur, amount in db.execute(
        "SELECT tier, currency, sum(amount_minor) FROM commission_accruals"
        " WHERE partner_id = ? AND time_ms >= ? AND time_ms < ?"
        " GROUP BY 1, 2 ORDER BY tier < 0, tier, currency", period)]
    months: dict[date, list[Any]] = {m: [0, 0, {}] for m in month_starts(first, last)}
    for key, n in db.execute(
            "SELECT strftime('%Y-%m', created_at, ?), count(*) FROM clients"
            " WHERE partner_id = ? AND created_at >= ? AND created_at < ? GROUP BY 1",
            (shift, partner_id, stamp_ms(ms_from), stamp_ms(ms_to))):
        months[_month(key)][0] = int(n)
    for key, vol in db.execute(
            f"SELECT {deal_month}, sum(d.volume)" + _DEALS + f" AND {_CLOSING} GROUP BY 1",
            (book.offset_ms, *period)):
        months[_month(key)][1] = int(vol)
    for key, cur, amount in db.execute(
            "SELECT strftime('%Y-%m', (time_ms + ?) / 1000, 'unixepoch'), currency,"
            " sum(amount_minor) FROM commission_accruals"
            " WHERE partner_id = ? AND time_ms >= ? AND time_ms < ? GROUP BY 1, 2",
            (book.offset_ms, *period)):
        months[_month(key)][2][cur] = int(amount)
    kids = book.tree.children(last)
    return Performance(
        partner_id, first, last, int(clients), int(new), int(funded), int(funded_now),
        int(active), int(volume), tuple(money), tuple(commission),
        len(kids.get(partner_id, ())), len(_below(kids, partner_id)),
        tuple(Month(m, n, v, tuple(sorted(c.items())))
              for m, (n, v, c) in sorted(months.items())))


def read_tree(db: Any, book: Book, day: date) -> list[TreeRow]:
    """Every partner, each after its upline (as on `day`), siblings by name."""
    tree = book.tree
    codes = {int(i): (str(c), bool(a)) for i, c, a in db.execute(
        "SELECT id, referral_code, active FROM partners")}
    clients = {int(p): int(n) for p, n in db.execute(
        "SELECT partner_id, count(*) FROM clients WHERE partner_id IS NOT NULL GROUP BY 1")}
    ms_from, ms_to = book.ms_range(day.replace(day=1), day)
    earned: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for pid, cur, amount in db.execute(
            # partner by partner through (partner_id, time_ms): one month, not all time
            "SELECT ca.partner_id, ca.currency, sum(ca.amount_minor) FROM partners p"
            " CROSS JOIN commission_accruals ca ON ca.partner_id = p.id"
            " AND ca.time_ms >= ? AND ca.time_ms < ? GROUP BY 1, 2 ORDER BY 1, 2",
            (ms_from, ms_to)):
        earned[int(pid)].append((str(cur), int(amount)))
    kids = tree.children(day)
    rows: list[TreeRow] = []
    seen: set[int] = set()

    def walk(top: int) -> None:
        todo: list[tuple[int, int]] = [(top, 0)]
        while todo:
            pid, level = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            code, active = codes.get(pid, ("", False))
            parent = tree.parent_on(pid, day) if level else None
            rows.append(TreeRow(pid, tree.names.get(pid, ""), code, level, parent, active,
                                clients.get(pid, 0), tuple(earned.get(pid, ()))))
            todo.extend((k, level + 1) for k in reversed(kids.get(pid, ())))

    for top in kids.get(None, ()):
        walk(top)
    # A partner whose upline is unknown here, or a loop: shown at the top, never lost.
    for pid in sorted(set(tree.parent) - seen, key=lambda i: tree.names.get(i, "").casefold()):
        walk(pid)
    return rows


# -- the card and the plans ----------------------------------------------------------------

@dataclass(frozen=True)
class PlanLine:
    """One plan assignment of a partner, with the terms that apply under it."""

    plan_id: int
    name: str
    group: str
    effective_from: date
    terms: str
    state: str                  # "in effect", "planned" or "replaced"


@dataclass(frozen=True)
class PartnerCard:
    id: int
    name: str
    code: str
    currency: str
    active: bool
    upline: tuple[tuple[int, str, str], ...]   # (id, name, code), parent first
    plans: tuple[PlanLine, ...]
    payout_login: int | None
    payout_currency: str


@dataclass(frozen=True)
class PlanVersionRow:
    effective_from: date
    terms: str
    created_by: str
    rules: dict[str, Any]
    tier_shares: dict[str, Any]


@dataclass(frozen=True)
class PlanRow:
    id: int
    name: str
    kind: str
    currency: str
    partners: int               # partners it is assigned to
    versions: tuple[PlanVersionRow, ...]   # oldest first

    def on(self, day: date) -> PlanVersionRow | None:
        i = bisect.bisect_right([v.effective_from for v in self.versions], day)
        return self.versions[i - 1] if i else None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _day(value: object) -> date:
    return date.fromisoformat(str(value)[:10])


def terms_text(kind: str, currency: str, rules: Any, tiers: Any) -> str:
    try:
        return describe(parse_terms(kind, currency, rules, tiers or {}))
    except BackdeskError as exc:   # rules that came from elsewhere and do not parse
        return f"Rules not readable: {exc.message}"


def read_card(db: Any, book: Book, partner_id: int, day: date) -> PartnerCard:
    row = db.execute(
        "SELECT p.name, p.referral_code, p.currency, p.active, t.login, t.currency"
        " FROM partners p LEFT JOIN trading_accounts t ON t.id = p.payout_account_id"
        " WHERE p.id = ?", (partner_id,)).fetchone()
    if row is None:
        raise NotFound(f"There is no partner #{partner_id}.")
    name, code, currency, active, login, login_cur = row
    codes = {int(i): str(c) for i, c in db.execute("SELECT id, referral_code FROM partners")}
    upline: list[tuple[int, str, str]] = []
    cur = book.tree.parent_on(partner_id, day)
    while cur is not None and cur != partner_id and len(upline) <= len(codes):
        upline.append((cur, book.tree.names.get(cur, ""), codes.get(cur, "")))
        cur = book.tree.parent_on(cur, day)
    plans = {p.id: p for p in read_plans(db)}
    lines: list[PlanLine] = []
    current: set[str] = set()
    for eff, group, plan_id in book.assignments.get(partner_id, ()):   # newest first
        plan = plans[plan_id]
        version = plan.on(max(day, eff))
        if eff > day:
            state = "planned"
        elif group in current:
            state = "replaced"
        else:
            state = "in effect"
            current.add(group)
        lines.append(PlanLine(plan_id, plan.name, group, eff,
                              version.terms if version else "no terms on that day", state))
    return PartnerCard(partner_id, str(name), str(code), str(currency), bool(active),
                       tuple(upline), tuple(lines), None if login is None else int(login),
                       str(login_cur or ""))


def read_plans(db: Any) -> list[PlanRow]:
    """Every plan with its versions, by name."""
    versions: dict[int, list[PlanVersionRow]] = defaultdict(list)
    plans = db.execute(
        "SELECT id, name, kind, currency, rules, tier_shares_bp,"
        " (SELECT count(DISTINCT partner_id) FROM plan_assignments a WHERE a.plan_id = p.id)"
        " FROM commission_plans p").fetchall()
    kinds = {int(p[0]): (str(p[2]), str(p[3])) for p in plans}
    for plan_id, eff, rules, tiers, who in db.execute(
            "SELECT v.plan_id, v.effective_from, v.rules, v.tier_shares_bp,"
            " coalesce(u.full_name, '') FROM commission_plan_versions v"
            " LEFT JOIN users u ON u.id = v.created_by ORDER BY v.plan_id, v.effective_from"):
        kind, cur = kinds[int(plan_id)]
        rules, tiers = _json(rules), _json(tiers) or {}
        versions[int(plan_id)].append(PlanVersionRow(
            _day(eff), terms_text(kind, cur, rules, tiers), str(who), rules, tiers))
    out = []
    for plan_id, name, kind, cur, rules, tiers, assigned in plans:
        found = versions.get(int(plan_id))
        if not found:   # a plan from before versions: its rules always applied
            rules, tiers = _json(rules), _json(tiers) or {}
            found = [PlanVersionRow(date.min, terms_text(kind, cur, rules, tiers), "", rules,
                                    tiers)]
        out.append(PlanRow(int(plan_id), str(name), str(kind), str(cur), int(assigned),
                           tuple(found)))
    out.sort(key=lambda p: (p.name.casefold(), p.id))
    return out


def from_the_start(day: date) -> bool:
    """A version or assignment dated before any real period: it always applied."""
    return day < _START
