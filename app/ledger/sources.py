"""What deals and payments post to the ledger.

Deals come from the platform's mirror. A trade's profit, swap, commission and fee
move the client's trading balance against the broker's trading P&L and fees income.
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
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from app.ledger import chart
from app.ledger.chart import Accounts
from app.ledger.journal import Draft, Line, cycle_collection_paused, post_many
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
_EPOCH = datetime(1970, 1, 1)


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


@lru_cache(maxsize=4096)
def _minute(minutes: int) -> str:
    return f"{_EPOCH + timedelta(minutes=minutes):%Y-%m-%d %H:%M}"


def _at(ms: int) -> str:
    """Platform milliseconds as the store writes UTC timestamps (exact, no float)."""
    # Deals come in time order, so the date and minute mostly repeat from one deal to
    # the next: a third faster than working out each from scratch.
    minutes, rest = divmod(ms, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{_minute(minutes)}:{seconds:02d}.{millis:03d}000"


@cycle_collection_paused()
def post_new_deals(db: Any, accounts: Accounts, limit: int = -1) -> int | None:
    """Post the deals mirrored since the last call, at most `limit` of them (deals are
    immutable on the platform: a correction is a new deal). Returns entries written,
    or None when no deal was waiting."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", (DEALS_POSTED,)).fetchone()
    since = int(row[0]) if row else 0
    rows = db.execute(
        "SELECT d.id, d.platform, d.ticket, a.login, a.currency, d.action, d.profit_minor,"
        " d.commission_minor, d.swap_minor, d.fee_minor, d.reason, d.time_ms, d.symbol"
        " FROM deals d JOIN trading_accounts a ON a.id = d.account_id"
        " WHERE d.id > ? ORDER BY d.id LIMIT ?", (since, limit)).fetchall()
    # A deal whose account is not known yet (no currency) waits, and so do the deals
    # after it: the mark of what was posted only moves over deals that were.
    known = next((n for n, r in enumerate(rows) if not r[4]), len(rows))
    rows = rows[:known]
    if not rows:
        return None
    drafts = []
    for (_, platform, ticket, login, currency, action, profit, commission, swap, fee,
         reason, ms, symbol) in rows:
        lines = deal_lines(platform, login, currency, action, profit, commission, swap, fee,
                           reason)
        if lines:
            what = f"{action} {symbol}" if symbol else action
            drafts.append(Draft("deal", f"{platform}:{ticket}",
                                f"Deal {ticket} ({what}) on {login}", lines, _at(ms)))
    written = post_many(db, accounts, drafts)
    db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key)"
               " DO UPDATE SET value = excluded.value", (DEALS_POSTED, str(rows[-1][0])))
    return written


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
