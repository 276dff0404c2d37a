"""What deals and payments post to the ledger.

Deals come from the platform's mirror. A trade's profit, swap, commission and fee
move the client's trading balance against the broker's trading P&L and fees income.
`deal_lines` states what each kind of deal posts; pages of mirrored deals are posted
in SQL by that rule (see `post_new_deals`).
Balance operations post by their kind; those the platform made for a payment event
(reason DEPOSIT, WITHDRAWAL, REFUND or CHARGEBACK) are the platform's copy of a
payment and post nothing: the payment posts, and reconciliation matches the two.

Payments post when the money moved: a completed deposit moves money from the
provider's clearing account to the client's trading balance (the provider's fee is
the broker's expense), a completed withdrawal the other way, and a refund or
chargeback of a deposit takes it back. Each of these events posts once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.errors import ValidationFailed
from app.ledger import chart
from app.ledger.chart import Accounts
from app.ledger.journal import Draft, Line, check, currency_of, cycle_collection_paused, post_many
from app.money import format_money

DEALS_POSTED = "ledger.deals_posted_to"  # settings key: the highest deal id posted
# Balance and charge deals the platform makes for a payment event: the payment posts.
_PAYMENT_SIDE = {"DEPOSIT", "WITHDRAWAL", "REFUND", "CHARGEBACK"}
# Balance operations by action: the broker's account on the other side.
_OPERATIONS = {"balance": "adjustments", "correction": "adjustments", "bonus": "bonus_credit",
               "charge": "fees_income", "commission": "fees_income"}
_MONEY_MOVED = {"completed", "refunded", "charged_back"}
# Withdrawal statuses in which the platform has taken the money off the account, and
# those after which it gives it back.
_HELD = {"approved", "processing", "completed"}
_RETURNED = {"failed", "rejected", "cancelled"}


def deal_lines(platform: str, login: int, currency: str, action: str, profit: int,
               commission: int, swap: int, fee: int, reason: str,
               ) -> tuple[tuple[str, int], ...]:
    """(account code, amount) pairs; plain tuples, as a million deals make three each."""
    trading = chart.trading(platform, login, currency)
    if action in ("buy", "sell"):
        return ((trading, -(profit + commission + swap + fee)),
                (chart.house("trading_pnl", currency), profit + swap),
                (chart.house("fees_income", currency), commission + fee))
    if action in ("balance", "charge") and reason.upper() in _PAYMENT_SIDE:
        return ()
    if action == "credit":
        return ((chart.credit(platform, login, currency), -profit),
                (chart.house("bonus_credit", currency), profit))
    if action == "agent":  # commission paid to an introducing broker's account
        return ((trading, -profit), (chart.ib_payable("platform", currency), profit))
    return ((trading, -profit),
            (chart.house(_OPERATIONS.get(action, "adjustments"), currency), profit))


# A page of deals is posted in SQL: a backlog of a million deals is read, turned
# into entries and written without a Python object per deal (measured: twice the
# entries/s of building drafts in Python). Trades, nearly every deal, are split into
# their lines here, by the rule `deal_lines` states; the few other deals go through
# `deal_lines` itself. A property test holds the two to the same result.
_PAGE_TABLES = (
    "CREATE TEMP TABLE IF NOT EXISTS ledger_page_accounts (trading_account INTEGER PRIMARY"
    " KEY, trading INTEGER NOT NULL, pnl INTEGER NOT NULL, fees INTEGER NOT NULL)",
    # `amount` has no type affinity on purpose: a sum SQLite turned into a float stays a
    # float there (an INTEGER column would round it back), so the check below sees it.
    "CREATE TEMP TABLE IF NOT EXISTS ledger_page_lines (deal INTEGER NOT NULL, line INTEGER"
    " NOT NULL, account INTEGER NOT NULL, amount BLOB NOT NULL, currency TEXT NOT NULL,"
    " PRIMARY KEY (deal, line)) WITHOUT ROWID",
    "CREATE TEMP TABLE IF NOT EXISTS ledger_page_entries (deal INTEGER PRIMARY KEY,"
    " entry INTEGER NOT NULL)",
)
_RANGE = "d.id > ?1 AND d.id <= ?2"
_TRADE_LINES = f"""
    INSERT INTO ledger_page_lines (deal, line, account, amount, currency)
    SELECT deal, line, account, amount, currency FROM (
      SELECT d.id AS deal, k.line, a.currency,
             CASE k.line WHEN 0 THEN x.trading WHEN 1 THEN x.pnl ELSE x.fees END AS account,
             CASE k.line
               -- summed as the other two lines are, so only a line itself can overflow
               WHEN 0 THEN -((d.profit_minor + d.swap_minor) + (d.commission_minor + d.fee_minor))
               WHEN 1 THEN d.profit_minor + d.swap_minor
               ELSE d.commission_minor + d.fee_minor END AS amount
      FROM deals d CROSS JOIN (SELECT 0 AS line UNION ALL SELECT 1 UNION ALL SELECT 2) k
      JOIN trading_accounts a ON a.id = d.account_id
      JOIN ledger_page_accounts x ON x.trading_account = d.account_id
      WHERE {_RANGE} AND d.action IN ('buy', 'sell'))
    WHERE amount != 0"""
# Platform milliseconds as the store writes UTC timestamps, in integers (exact). SQLite
# divides towards zero, so the milliseconds are floored by hand for times before 1970.
_MILLIS = "((d.time_ms % 1000 + 1000) % 1000)"
_STAMP = (f"strftime('%Y-%m-%d %H:%M:%S', (d.time_ms - {_MILLIS}) / 1000, 'unixepoch') || '.'"
          f" || printf('%03d', {_MILLIS}) || '000'")


_INT64 = 2**63


def _too_large(deal: int) -> ValidationFailed:
    return ValidationFailed(f"Deal #{deal} has amounts too large to post; nothing from its "
                            "page was posted.", "deal")


def _page_end(db: Any, since: int, limit: int) -> int | None:
    """The last deal of the page after `since`. A deal whose account is not known yet
    (no currency) waits, and so do the deals after it: the mark of what was posted
    only moves over deals that were."""
    (end,) = db.execute("SELECT max(id) FROM (SELECT id FROM deals WHERE id > ? ORDER BY id"
                        " LIMIT ?)", (since, limit)).fetchone()
    if end is None:
        return None
    (waiting,) = db.execute(
        f"SELECT min(d.id) FROM deals d WHERE {_RANGE} AND d.account_id IN"
        " (SELECT id FROM trading_accounts WHERE currency = '')", (since, end)).fetchone()
    if waiting is not None:
        (end,) = db.execute("SELECT max(id) FROM deals WHERE id > ? AND id < ?",
                            (since, waiting)).fetchone()
    return None if end is None else int(end)


def _lines_of(db: Any, accounts: Accounts, where: str, params: tuple[int, ...]
              ) -> list[tuple[int, int, int, int, str]]:
    """Lines built by `deal_lines` itself and checked to balance, for the deals SQL
    does not split: those that are not trades (balance operations, credit, agent
    commission), and trades whose sums went past 64 bits on the way."""
    rows = db.execute(
        "SELECT d.id, a.platform, a.login, a.currency, d.action, d.profit_minor,"
        " d.commission_minor, d.swap_minor, d.fee_minor, d.reason FROM deals d"
        f" JOIN trading_accounts a ON a.id = d.account_id WHERE {where}", params).fetchall()
    built = [(row[0], check(deal_lines(*row[1:]))) for row in rows]
    for deal, lines in built:
        if any(not -_INT64 <= amount < _INT64 for _, amount in lines):
            raise _too_large(deal)
    ids = accounts.ids_of({code for _, lines in built for code, _ in lines})
    return [(deal, n, ids[code], amount, currency_of(code))
            for deal, lines in built for n, (code, amount) in enumerate(lines)]


def _trade_accounts(db: Any, accounts: Accounts, since: int, end: int
                    ) -> list[tuple[int, int, int, int]]:
    """(trading account, its trading balance, trading P&L, fees income) ledger ids for
    the accounts the page's trades are on, opening missing ledger accounts. Codes are
    the trading account's own (its platform, login and currency), for every deal."""
    codes = {ta: (chart.trading(platform, login, currency),
                  chart.house("trading_pnl", currency), chart.house("fees_income", currency))
             for ta, platform, login, currency in db.execute(
                 "SELECT id, platform, login, currency FROM trading_accounts WHERE id IN"
                 f" (SELECT d.account_id FROM deals d WHERE {_RANGE}"
                 " AND d.action IN ('buy', 'sell'))", (since, end))}
    ids = accounts.ids_of({code for three in codes.values() for code in three})
    return [(ta, ids[t], ids[p], ids[f]) for ta, (t, p, f) in codes.items()]


@cycle_collection_paused()
def post_new_deals(db: Any, accounts: Accounts, limit: int = -1) -> int | None:
    """Post the deals mirrored since the last call, at most `limit` of them (deals are
    immutable on the platform: a correction is a new deal), one entry per deal with a
    non-zero line, in deal order; a deal posted before is skipped. Returns entries
    written, or None when no deal was waiting."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", (DEALS_POSTED,)).fetchone()
    since = int(row[0]) if row else 0
    end = _page_end(db, since, limit)
    if end is None:
        return None
    for create in _PAGE_TABLES:
        db.execute(create)
    try:
        db.executemany("INSERT INTO ledger_page_lines VALUES (?, ?, ?, ?, ?)",
                       _lines_of(db, accounts, f"{_RANGE} AND d.action NOT IN ('buy', 'sell')",
                                 (since, end)))
        db.executemany("INSERT INTO ledger_page_accounts VALUES (?, ?, ?, ?)",
                       _trade_accounts(db, accounts, since, end))
        db.execute(_TRADE_LINES, (since, end))
        # SQLite turns an integer sum past 64 bits into a float (even when the line it
        # makes fits): such a deal is split again in Python's exact integers, and
        # refused if a line itself does not fit.
        floats = [deal for (deal,) in db.execute(
            "SELECT DISTINCT deal FROM ledger_page_lines WHERE typeof(amount) != 'integer'")]
        for i in range(0, len(floats), 900):
            chunk = floats[i:i + 900]
            marks = ",".join("?" * len(chunk))
            db.execute(f"DELETE FROM ledger_page_lines WHERE deal IN ({marks})", chunk)
            db.executemany("INSERT INTO ledger_page_lines VALUES (?, ?, ?, ?, ?)",
                           _lines_of(db, accounts, f"d.id IN ({marks})", tuple(chunk)))
        (last,) = db.execute("SELECT coalesce(max(id), 0) FROM journal_entries").fetchone()
        db.execute(
            "INSERT INTO ledger_page_entries (deal, entry) SELECT d.id, ?3 + row_number() OVER"
            f" (ORDER BY d.id) FROM deals d WHERE {_RANGE} AND EXISTS (SELECT 1 FROM"
            " ledger_page_lines l WHERE l.deal = d.id) AND NOT EXISTS (SELECT 1 FROM"
            " journal_entries j WHERE j.source_kind = 'deal'"
            " AND j.source_ref = d.platform || ':' || d.ticket)", (since, end, last))
        written = db.execute(
            "INSERT INTO journal_entries (id, posted_at, memo, source_kind, source_ref, reason)"
            f" SELECT e.entry, {_STAMP}, 'Deal ' || d.ticket || ' (' || d.action"
            " || iif(d.symbol != '', ' ' || d.symbol, '') || ') on ' || a.login, 'deal',"
            " d.platform || ':' || d.ticket, '' FROM ledger_page_entries e"
            " JOIN deals d ON d.id = e.deal JOIN trading_accounts a ON a.id = d.account_id"
            " ORDER BY e.entry").rowcount
        db.execute("INSERT INTO postings (entry_id, ledger_account_id, amount_minor, currency)"
                   " SELECT e.entry, l.account, l.amount, l.currency FROM ledger_page_lines l"
                   " JOIN ledger_page_entries e ON e.deal = l.deal ORDER BY l.deal, l.line")
    finally:
        for table in ("ledger_page_lines", "ledger_page_accounts", "ledger_page_entries"):
            db.execute(f"DELETE FROM temp.{table}")
    db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key)"
               " DO UPDATE SET value = excluded.value", (DEALS_POSTED, str(end)))
    return int(written)


@dataclass(frozen=True, slots=True)
class Payment:
    """What posting needs of a mirrored payment."""

    external_id: str
    direction: str
    status: str
    platform: str
    login: int | None
    client_id: int
    provider: str
    amount: int  # in the payment's currency
    fee: int
    currency: str
    at: datetime
    # Set when the trading account is in another currency: the amount booked on it.
    account_amount: int | None = None
    account_currency: str = ""
    # The platform took the money out of the account (approval passed) at some point.
    was_held: bool = False


def _converted(amount: int, currency: str, booked: int, booked_currency: str,
               ) -> tuple[Line, Line]:
    """FX legs that carry `amount` in one currency over as `booked` in another; each
    currency's legs still balance on their own."""
    return (Line(chart.house("fx", currency), -amount),
            Line(chart.house("fx", booked_currency), booked))


def payment_drafts(p: Payment) -> list[Draft]:
    """Entries for what has happened to a payment so far, each with its own source
    key, so posting them again as the payment moves on adds only the new ones.

    A withdrawal is two-phase: when the platform takes the money (approval) it moves
    from the trading balance to the client's held money; on completion it leaves for
    the provider; if it fails, is rejected or cancelled after that, it goes back."""
    clearing = chart.clearing(p.provider, p.currency)
    side_currency = p.account_currency or p.currency
    side_amount = p.amount if p.account_amount is None else p.account_amount
    trading = (chart.trading(p.platform, p.login, side_currency) if p.login is not None
               else None)
    held = chart.client_money(p.client_id, side_currency)
    fx: tuple[Line, ...] = ()
    if p.account_amount is not None and p.account_currency != p.currency:
        fx = _converted(p.amount, p.currency, side_amount, side_currency)
        if p.direction == "withdrawal":
            fx = tuple(Line(line.code, -line.amount) for line in fx)
    shown = format_money(p.amount, p.currency)
    fee: tuple[Line, ...] = ()
    if p.fee:
        fee = (Line(chart.house("provider_fees", p.currency), p.fee), Line(clearing, -p.fee))
    what = f"{p.direction.capitalize()} {p.external_id} via {p.provider}, {shown}"
    drafts: list[Draft] = []
    if p.direction == "deposit":
        if p.status not in _MONEY_MOVED:
            return []
        client_side = trading or held
        moved = (Line(clearing, p.amount), *fx, Line(client_side, -side_amount), *fee)
        drafts.append(Draft("payment", f"{p.external_id}:completed", what, moved, p.at))
        if p.status != "completed":
            word = "Refund" if p.status == "refunded" else "Chargeback"
            back = tuple(Line(line.code, -line.amount) for line in moved[:len(moved) - len(fee)])
            drafts.append(Draft("payment", f"{p.external_id}:{p.status}",
                                f"{word} of deposit {p.external_id}, {shown}", back, p.at))
        return drafts
    holding = trading is not None and (p.status in _HELD or p.was_held)
    if holding and trading is not None:
        drafts.append(Draft("payment", f"{p.external_id}:held",
                            f"Withdrawal {p.external_id} held for payment, {shown}",
                            (Line(trading, side_amount), Line(held, -side_amount)), p.at))
        if p.status in _RETURNED:
            drafts.append(Draft("payment", f"{p.external_id}:released",
                                f"Withdrawal {p.external_id} {p.status}: money returned",
                                (Line(held, side_amount), Line(trading, -side_amount)), p.at))
    if p.status == "completed":
        paid_from = held if holding or trading is None else trading
        drafts.append(Draft("payment", f"{p.external_id}:completed", what,
                            (Line(paid_from, side_amount), *fx, Line(clearing, -p.amount),
                             *fee), p.at))
    return drafts


def post_payments(db: Any, accounts: Accounts, external_ids: Iterable[str]) -> int:
    """Post what the given (mirrored) payments' statuses say has happened."""
    ids = list(external_ids)
    drafts: list[Draft] = []
    held = ",".join(f"'{s}'" for s in sorted(_HELD))
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        marks = ",".join("?" * len(chunk))
        for (ext, direction, status, platform, login, client, provider, amount, fee,
             currency, updated, booked, account_currency, was_held) in db.execute(
                "SELECT p.external_id, p.direction, p.status, a.platform, a.login,"
                " p.client_id, p.provider, p.amount_minor, p.fee_minor, p.currency,"
                " p.updated_at, p.account_amount_minor, a.currency,"
                " EXISTS (SELECT 1 FROM payment_status_changes h WHERE h.payment_id = p.id"
                f" AND h.status IN ({held})) FROM payment_requests p"
                " LEFT JOIN trading_accounts a ON a.id = p.account_id"
                f" WHERE p.external_id IN ({marks})", chunk):
            at = datetime.fromisoformat(updated).replace(tzinfo=UTC)
            drafts += payment_drafts(Payment(
                ext, direction, status, platform or "", login, client, provider, amount, fee,
                currency, at, booked, (account_currency or "") if booked is not None else "",
                bool(was_held)))
    return post_many(db, accounts, drafts)
