"""Accruals from deals as they arrive: one per deal per beneficiary, exactly once.

For each deal of a referred client, the plan that applies on the deal's server date
gives the commission it generated (per lot, spread share, revenue share, CPA, or a
mix), split up the tree by the plan's tier shares, and each beneficiary's part is
rounded to the minor unit with its carried residue. Deals are taken in the order the
desk recorded them (their id) after a saved mark, so the same deals always give the
same accruals, and a replayed page adds nothing.

The ledger books what was accrued once per page: commission expense against what
is payable to each partner, one entry per server day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.commissions.book import Applied, Book
from app.commissions.plans import MICRO, Cpa, to_micro
from app.commissions.split import cascade, half_even, passed_up, round_with_carry
from app.ledger import chart
from app.ledger.chart import Accounts
from app.ledger.journal import Draft, cycle_collection_paused, post_many, stamp
from app.money import to_minor

ACCRUED = "commissions.deals_accrued"   # settings key: the highest deal id looked at
PAGE = 25_000
DAY_MS = 86_400_000
_TRADES = ("buy", "sell")

_DEALS = (
    "SELECT d.id, d.account_id, d.symbol, d.action, d.entry, d.volume, d.profit_minor,"
    " d.commission_minor, d.swap_minor, d.fee_minor, d.position_id, d.time_ms, d.reason,"
    ' a."group", a.currency, a.client_id, c.partner_id'
    " FROM deals d JOIN trading_accounts a ON a.id = d.account_id"
    " LEFT JOIN clients c ON c.id = a.client_id WHERE d.id > ? ORDER BY d.id LIMIT ?")
_INSERT = (
    "INSERT INTO commission_accruals (deal_id, partner_id, client_id, plan_id, tier, rule,"
    " exact_micro, revenue_micro, amount_minor, residue_micro, currency, time_ms)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")

Row = tuple[int, int, int, int, int, str, int, int, int, int, str, int]
Steps = tuple[tuple[int, int], ...]  # (beneficiary, share in bp it passes up; 0: keeps all)
Price = tuple[int, int, str]  # (per-lot micro, spread-share micro per lot x 10,000, rule)
_HALF = MICRO // 2


def mark(db: Any) -> int:
    row = db.execute("SELECT value FROM settings WHERE key = ?", (ACCRUED,)).fetchone()
    return int(row[0]) if row else 0


def set_mark(db: Any, deal_id: int) -> None:
    db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key)"
               " DO UPDATE SET value = excluded.value", (ACCRUED, str(deal_id)))


@dataclass
class CpaProgress:
    registered_ms: int
    deposited: dict[str, int] = field(default_factory=dict)   # first deposit by currency
    volume: int = 0
    awarded: bool = False


def steps(chain: tuple[int, ...], levels_bp: tuple[int, ...], *, whole: bool = False) -> Steps:
    """The chain with what each level passes up (split.passed_up): only as far as the
    levels that get a part, or the whole chain (`whole`) for clawing back from each."""
    shares = passed_up(levels_bp, len(chain))
    kept = chain if whole else chain[:len(shares) + 1]
    return tuple(zip(kept, shares + (0,) * (len(kept) - len(shares)), strict=True))


@dataclass(slots=True)  # not frozen: that __init__ is 4x slower, and a page makes thousands
class Route:
    """What accrual needs of the plan applied to a partner's client on one day, for one
    account group and currency; worked out once, not per deal."""

    ap: Applied
    steps: Steps
    counted: frozenset[str]     # the deal entries whose volume counts
    min_hold_ms: int
    revenue_factor: int         # micro per minor unit of revenue: share_bp x 100
    prices: dict[str, Price]    # by symbol; shared by the routes of the same terms,
                                # account group and currency


@dataclass
class Accruer:
    """One pass over a page of deals inside the caller's write transaction."""

    db: Any
    book: Book
    rows: list[Row] = field(default_factory=list)
    carry: dict[str, dict[int, int]] = field(default_factory=dict)  # currency, partner: residue
    opens: dict[tuple[int, int], int] = field(default_factory=dict)
    cpa: dict[int, CpaProgress] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    written: int = 0
    booked: list[Row] = field(default_factory=list)
    # (partner, server day, account group, currency) -> its route, None: no accrual
    _routes: dict[tuple[int, int, str, str], Route | None] = field(default_factory=dict)
    # (id of the terms, account group, currency) -> prices by symbol; by id, as terms hold
    # dicts (unhashable) and live as long as the book
    _prices: dict[tuple[int, str, str], dict[str, Price]] = field(default_factory=dict)
    _steps: dict[tuple[tuple[int, ...], tuple[int, ...]], Steps] = field(default_factory=dict)

    def load_carry(self) -> None:
        self.carry = {}
        for p, c, r in self.db.execute(
                "SELECT partner_id, currency, residue_micro FROM commission_carry"):
            self.carry.setdefault(c, {})[p] = r

    def save_carry(self) -> None:
        self.db.executemany(
            "INSERT INTO commission_carry (partner_id, currency, residue_micro) VALUES (?, ?, ?)"
            " ON CONFLICT (partner_id, currency) DO UPDATE SET residue_micro ="
            " excluded.residue_micro",
            [(p, c, r) for c, by in self.carry.items() for p, r in by.items()])

    def route(self, partner: int, day: int, account_group: str, currency: str) -> Route | None:
        """The route of a key not seen yet (run looks the known ones up itself)."""
        ap = self.book.applied(partner, day, account_group)
        found = None
        if ap is not None and ap.chain:
            # A page meets thousands of routes but few chains and plans: share their parts.
            t = ap.terms
            key = (ap.chain, t.levels_bp)
            chain_steps = self._steps.get(key)
            if chain_steps is None:
                chain_steps = self._steps[key] = steps(*key)
            prices_key = (id(t), account_group, currency)
            prices = self._prices.get(prices_key)
            if prices is None:
                prices = self._prices[prices_key] = {}
            found = Route(ap, chain_steps, t.counted_entries, t.min_hold_ms,
                          t.revenue_share_bp * 100, prices)
        self._routes[(partner, day, account_group, currency)] = found
        return found

    def price(self, route: Route, symbol: str, account_group: str, currency: str) -> Price:
        """(per-lot micro, spread-share micro per lot x 10,000, rule) for a symbol."""
        found = route.prices.get(symbol)
        if found is None:
            t, book = route.ap.terms, self.book
            group = book.symbols.of(symbol)
            lot = next((r for line in t.per_lot if line.matches(group, account_group)
                        and (r := book.rate(line, currency)) is not None), 0)
            spread = next((r for line in t.spread if line.matches(group, account_group)
                           and (r := book.rate(line, currency)) is not None), 0)
            rule = "+".join(p for p, on in (("lot:" + group, lot), ("spread:" + group, spread),
                                            ("revenue", t.revenue_share_bp)) if on)
            found = route.prices[symbol] = (lot, spread * t.spread_share_bp, rule)
        return found

    def run(self, deals: Iterable[tuple[Any, ...]]) -> None:
        # Runs once per deal: what does not change from deal to deal is looked up once
        # per route (plan, chain, prices) and kept in locals.
        offset, routes, opens, skipped = self.book.offset_ms, self._routes, self.opens, self.skipped
        share = self.share
        for (did, acc, symbol, action, entry, volume, profit, commission, swap, fee, pos,
             ms, reason, group, currency, client, partner) in deals:
            if partner is None:
                continue
            if entry == "in" and pos is not None:
                opens[(acc, pos)] = ms
            day = (ms + offset) // DAY_MS
            try:
                route = routes[(partner, day, group, currency)]
            except KeyError:
                route = self.route(partner, day, group, currency)
            if route is None:
                no_plan = self.book.applied(partner, day, group) is None
                skipped["no plan" if no_plan else "partner inactive"] += 1
                continue
            ap = route.ap
            t = ap.terms
            volume_part = revenue = 0
            rule = ""
            if action in _TRADES:
                try:
                    lot, spread, rule = route.prices[symbol]
                except KeyError:
                    lot, spread, rule = self.price(route, symbol, group, currency)
                if volume and entry in route.counted:
                    if route.min_hold_ms and self._held_ms(acc, pos, ms) < route.min_hold_ms:
                        skipped["held too short"] += 1
                    else:
                        volume_part = lot * volume // 100 + half_even(spread * volume,
                                                                      1_000_000)
                    if t.cpa is not None:
                        volume_part += self._cpa_on_volume(ap, client, did, ms, volume,
                                                           currency)
                if route.revenue_factor:
                    revenue = -(profit + commission + swap + fee) * route.revenue_factor
            elif action == "bonus" and t.revenue_share_bp:
                revenue, rule = -profit * t.revenue_share_bp * 100, "revenue:bonus"
            elif action == "charge" and reason.upper() == "CHARGEBACK":
                revenue = profit * t.revenue_share_bp * 100 if t.revenue_share_bp else 0
                self._clawback(ap, client, did, ms, currency, revenue)
                continue
            elif action == "balance" and reason.upper() == "DEPOSIT" and t.cpa is not None:
                volume_part = self._cpa_on_deposit(ap, client, did, ms, profit, currency)
                rule = "cpa"
            if volume_part or revenue:
                share(did, client, ap.plan_id, route.steps, rule or "cpa", volume_part,
                      revenue, currency, ms)

    def share(self, did: int, client: int, plan_id: int, steps: Steps, rule: str,
              volume_part: int, revenue: int, currency: str, ms: int,
              extra: dict[int, int] | None = None) -> None:
        """The accruals of a deal: split.cascade of the volume part and of the revenue
        part up the steps, each level's part rounded by split.round_with_carry. Both are
        inlined (half_even included) and the cascade walked once for both parts: as
        calls and lists per deal they were over half the time of the loop."""
        try:
            carry = self.carry[currency]
        except KeyError:
            carry = self.carry[currency] = {}
        add = self.rows.append
        v, r = volume_part, revenue  # still to share, from this level up
        for tier, (pid, passes) in enumerate(steps):
            if passes:  # the level above takes `passes` bp of each part, half to even
                up_v = up_r = 0
                if v:
                    up_v, rest = divmod(v * passes, 10_000)
                    if rest > 5_000 or (rest == 5_000 and up_v & 1):
                        up_v += 1
                if r:
                    up_r, rest = divmod(r * passes, 10_000)
                    if rest > 5_000 or (rest == 5_000 and up_r & 1):
                        up_r += 1
                own_v, own_r, v, r = v - up_v, r - up_r, up_v, up_r
            else:  # keeps all it got: nothing goes further up
                own_v, own_r, v, r = v, r, 0, 0
            if extra:
                own_v -= extra.pop(pid, 0)
            exact = own_v + own_r
            if not exact:
                continue
            total = exact + carry.get(pid, 0)
            paid, rest = divmod(total, MICRO)
            if rest > _HALF or (rest == _HALF and paid & 1):
                paid += 1
            residue = carry[pid] = total - paid * MICRO
            add((did, pid, client, plan_id, tier, rule, exact, own_r, paid, residue,
                 currency, ms))
        for pid, claw in (extra or {}).items():  # beneficiaries no longer up this tree
            paid, residue = round_with_carry(-claw, carry.get(pid, 0))
            carry[pid] = residue
            add((did, pid, client, plan_id, -1, rule, -claw, 0, paid, residue, currency, ms))

    # -- minimum holding time -------------------------------------------------------------

    def _held_ms(self, acc: int, pos: int | None, ms: int) -> int:
        if pos is None:
            return ms  # no position to measure: not short
        opened = self.opens.get((acc, pos))
        if opened is None:
            row = self.db.execute(
                "SELECT min(time_ms) FROM deals WHERE account_id = ? AND position_id = ?"
                " AND entry = 'in'", (acc, pos)).fetchone()
            opened = self.opens[(acc, pos)] = row[0] if row and row[0] is not None else 0
        return ms - opened

    # -- CPA ------------------------------------------------------------------------------

    def _progress(self, client: int, before: int, counted: frozenset[str]) -> CpaProgress:
        found = self.cpa.get(client)
        if found is not None:
            return found
        (registered,) = self.db.execute(
            "SELECT CAST(strftime('%s', created_at) AS INTEGER) * 1000 FROM clients"
            " WHERE id = ?", (client,)).fetchone()
        p = CpaProgress(int(registered))
        p.awarded = self.db.execute("SELECT 1 FROM commission_cpa_awards WHERE client_id = ?",
                                    (client,)).fetchone() is not None
        if not p.awarded:
            for action, entry, volume, profit, currency, reason in self.db.execute(
                    "SELECT d.action, d.entry, d.volume, d.profit_minor, a.currency, d.reason"
                    " FROM trading_accounts a JOIN deals d ON d.account_id = a.id"
                    " WHERE a.client_id = ? AND d.id < ? ORDER BY d.id", (client, before)):
                if action == "balance" and reason.upper() == "DEPOSIT" and profit > 0:
                    p.deposited.setdefault(currency, profit)
                elif action in _TRADES:
                    p.volume += volume if entry in counted else 0
        self.cpa[client] = p
        return p

    def _cpa_on_volume(self, ap: Applied, client: int, did: int, ms: int, volume: int,
                       currency: str) -> int:
        p = self._progress(client, did, ap.terms.counted_entries)
        if p.awarded:
            return 0
        p.volume += volume
        return self._award(ap, client, did, ms, currency, p)

    def _cpa_on_deposit(self, ap: Applied, client: int, did: int, ms: int, amount: int,
                        currency: str) -> int:
        p = self._progress(client, did, ap.terms.counted_entries)
        if p.awarded or amount <= 0:
            return 0
        p.deposited.setdefault(currency, amount)
        return self._award(ap, client, did, ms, currency, p)

    def _award(self, ap: Applied, client: int, did: int, ms: int, currency: str,
               p: CpaProgress) -> int:
        cpa = ap.terms.cpa
        assert cpa is not None
        if (ms > p.registered_ms + cpa.within_days * DAY_MS or p.volume < cpa.min_volume
                or not _deposit_ok(cpa, p.deposited)):
            return 0
        amount = cpa.amounts.get(currency)
        if amount is None:
            self.skipped["no CPA amount for the currency"] += 1
            return 0
        p.awarded = True
        self.db.execute("INSERT INTO commission_cpa_awards (client_id, partner_id, plan_id,"
                        " deal_id) VALUES (?, ?, ?, ?)", (client, ap.chain[0], ap.plan_id, did))
        return to_micro(amount, currency, "CPA amount")

    # -- chargebacks ----------------------------------------------------------------------

    def _clawback(self, ap: Applied, client: int, did: int, ms: int, currency: str,
                  revenue: int) -> None:
        """A chargeback takes back, from each beneficiary, the per-lot, spread and CPA
        commission of the client's deals in the plan's clawback window (revenue share is
        already net of the chargeback), and the client's CPA once."""
        self.flush()
        t = ap.terms
        claw: dict[int, int] = defaultdict(int)
        start = None
        if t.clawback_days:
            (prev,) = self.db.execute(
                "SELECT max(d.time_ms) FROM trading_accounts a JOIN deals d"
                " ON d.account_id = a.id WHERE a.client_id = ? AND d.action = 'charge'"
                " AND upper(d.reason) = 'CHARGEBACK' AND d.id < ?", (client, did)).fetchone()
            start = max(ms - t.clawback_days * DAY_MS, prev if prev is not None else -1)
            for pid, amount in self.db.execute(
                    "SELECT ca.partner_id, sum(ca.exact_micro - ca.revenue_micro)"
                    " FROM trading_accounts a JOIN deals d ON d.account_id = a.id"
                    " AND d.time_ms > ? AND d.time_ms <= ?"
                    " JOIN commission_accruals ca ON ca.deal_id = d.id"
                    " WHERE a.client_id = ? AND ca.currency = ? GROUP BY ca.partner_id",
                    (start, ms, client, currency)):
                claw[pid] += amount
        award = self.db.execute(
            "SELECT w.deal_id, d.time_ms, a.currency, a.\"group\", w.partner_id"
            " FROM commission_cpa_awards w JOIN deals d ON d.id = w.deal_id"
            " JOIN trading_accounts a ON a.id = d.account_id"
            " WHERE w.client_id = ? AND w.clawback_deal_id IS NULL", (client,)).fetchone()
        if award is not None:
            _, award_ms, award_currency, award_group, direct = award
            then = self.book.applied(direct, self.book.day_number(award_ms), award_group)
            cpa = then.terms.cpa if then is not None else None
            if cpa is not None and cpa.clawback and then is not None:
                if award_currency != currency:
                    self.skipped["CPA clawback in another currency"] += 1
                else:
                    if start is None or award_ms <= start:  # not already in the window
                        amount = to_micro(cpa.amounts[award_currency], currency, "CPA")
                        for pid, part in zip(then.chain, cascade(
                                amount, then.terms.levels_bp, len(then.chain)), strict=False):
                            claw[pid] += part
                    self.db.execute("UPDATE commission_cpa_awards SET clawback_deal_id = ?"
                                    " WHERE client_id = ?", (did, client))
        claws = {p: c for p, c in claw.items() if c}
        if claws or revenue:
            self.share(did, client, ap.plan_id, steps(ap.chain, t.levels_bp, whole=True),
                       "clawback", 0, revenue, currency, ms, extra=claws)

    # -- writing --------------------------------------------------------------------------

    def flush(self) -> None:
        if self.rows:
            self.db.executemany(_INSERT, self.rows)
            self.written += len(self.rows)
            self.booked.extend(self.rows)
            self.rows = []


def _deposit_ok(cpa: Cpa, deposited: dict[str, int]) -> bool:
    """The client's first deposit in some currency reached the plan's minimum there."""
    wanted = {c: to_minor(a, c) for c, a in cpa.min_first_deposit.items()}
    if not any(wanted.values()):
        return True
    return any(cur in wanted and amount >= wanted[cur] for cur, amount in deposited.items())


def stamp_ms(ms: int) -> str:
    return stamp(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms))


def book_to_ledger(db: Any, book: Book, rows: list[Row], first: int, last: int) -> int:
    """One entry per server day of the page: expense against each partner's payable."""
    # One flat dict and the day worked out inline: this loop sees every accrual.
    offset = book.offset_ms
    owed: dict[tuple[int, int, str], int] = {}  # (server day, partner, currency) -> paid
    latest: dict[int, int] = {}
    for (_, pid, _, _, _, _, _, _, paid, _, currency, ms) in rows:
        if paid:
            d = (ms + offset) // DAY_MS
            key = (d, pid, currency)
            owed[key] = owed.get(key, 0) + paid
            last_ms = latest.get(d)
            if last_ms is None or ms > last_ms:
                latest[d] = ms
    days: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for (d, pid, currency), amount in sorted(owed.items()):
        days[d].append((pid, currency, amount))
    drafts = []
    for d, amounts in days.items():
        lines: list[tuple[str, int]] = []
        expense: dict[str, int] = defaultdict(int)
        for pid, currency, amount in amounts:
            lines.append((chart.ib_payable(f"P{pid}", currency), -amount))
            expense[currency] += amount
        lines.extend((chart.house("ib_commission", currency), amount)
                     for currency, amount in sorted(expense.items()))
        day = book.day(latest[d])
        drafts.append(Draft("commission", f"deals {first}-{last} {day:%Y-%m-%d}",
                            f"Partner commission accrued on {day:%d %b %Y}", lines,
                            stamp_ms(latest[d])))
    return post_many(db, Accounts(db), drafts)


@cycle_collection_paused()  # a page's tuples hold no cycles
def accrue_new_deals(db: Any, limit: int = PAGE, *, book: Book | None = None,
                     to_ledger: bool = True, upto: int | None = None) -> int | None:
    """Accrue the deals recorded since the last call (at most `limit`); the number of
    accruals written, or None when no deal was waiting."""
    since = mark(db)
    if upto is not None:
        limit = min(limit, max(0, upto - since))
        if not limit:
            return None
    deals = db.execute(_DEALS, (since, limit)).fetchall()
    if not deals:
        return None
    book = book or Book.load(db)
    a = Accruer(db, book)
    a.load_carry()
    a.run(deals)
    a.flush()
    a.save_carry()
    if to_ledger and a.booked:
        book_to_ledger(db, book, a.booked, deals[0][0], deals[-1][0])
    set_mark(db, deals[-1][0])
    return a.written
