"""What a reconciliation run reads: trading accounts with the platform's balance, the
ledger's trading balances, payments, the platform's payment deals, provider lines
and the dates the statements cover. Plain rows from a few queries, because a run
covers every account of the book (100k and more) in seconds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.ledger import chart
from app.ledger.sources import DEALS_POSTED, deal_lines

# Balance deals the platform makes for a payment: its credit or debit (reason DEPOSIT
# or WITHDRAWAL, which the ledger leaves to the payment) and the refund or chargeback
# that takes a deposit back.
PAYMENT_REASONS = frozenset({"DEPOSIT", "WITHDRAWAL"})
TAKE_BACK_REASONS = frozenset({"REFUND", "CHARGEBACK"})
# Payment events that move money at the provider, as statements list them.
MONEY_EVENTS = ("completed", "refunded", "charged_back")
HELD = frozenset({"approved", "processing", "completed"})
RETURNED = frozenset({"failed", "rejected", "cancelled"})
_WORD = re.compile(r"[A-Za-z0-9_.:-]+")


@dataclass(slots=True)
class Account:
    id: int
    platform: str
    login: int
    currency: str
    client_id: int | None
    balance: int | None          # the platform's, None before its first state

    @property
    def code(self) -> str:
        return chart.trading(self.platform, self.login, self.currency)


@dataclass(slots=True)
class Payment:
    id: int
    ext: str
    direction: str
    status: str
    account_id: int | None
    client_id: int
    provider: str
    provider_ref: str
    amount: int
    fee: int
    currency: str
    account_amount: int | None
    ticket: int | None
    updated: str
    was_held: bool

    @property
    def booked(self) -> int:
        """The amount in the trading account's currency."""
        return self.amount if self.account_amount is None else self.account_amount

    def as_json(self) -> dict[str, Any]:
        from app.reconcile.found import amount

        return {"payment": self.ext, "direction": self.direction, "status": self.status,
                "provider": self.provider, "provider_ref": self.provider_ref,
                **amount(self.amount, self.currency), "fee_minor": self.fee,
                "booked_minor": self.booked, "ticket": self.ticket}


@dataclass(slots=True)
class Deal:
    id: int
    platform: str
    ticket: int
    account_id: int
    action: str
    reason: str
    profit: int
    comment: str
    time_ms: int

    def names(self) -> list[str]:
        return _WORD.findall(self.comment)


@dataclass(slots=True)
class Line:
    id: int
    statement_id: int
    provider: str
    ref: str
    direction: str
    status: str
    amount: int
    fee: int
    currency: str
    value_date: str
    copies: int

    def as_json(self) -> dict[str, Any]:
        from app.reconcile.found import amount

        return {"statement": self.statement_id, "provider": self.provider,
                "provider_ref": self.ref, "type": self.direction, "status": self.status,
                **amount(self.amount, self.currency), "fee_minor": self.fee,
                "value_date": self.value_date, "copies": self.copies}


@dataclass(slots=True)
class Waiting:
    """Deals the ledger has not posted, per account: how many and what they move."""

    deals: int = 0
    effect: int = 0
    first_deal: int = 0


@dataclass
class Books:
    accounts: dict[int, Account] = field(default_factory=dict)
    ledger: dict[str, int] = field(default_factory=dict)     # trading code -> posting sum
    payments: list[Payment] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    # Take-back deals (refund, chargeback) that the ledger also posted as deals.
    posted_deals: set[tuple[str, int]] = field(default_factory=set)
    lines: list[Line] = field(default_factory=list)
    covered: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # payment id -> {event status: ISO date it happened}, read only with statements
    event_dates: dict[int, dict[str, str]] = field(default_factory=dict)
    waiting: dict[int, Waiting] = field(default_factory=dict)


def _chunks(items: list[Any], size: int = 900) -> Any:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def read(db: Any) -> Books:
    b = Books()
    for aid, platform, login, currency, client, balance in db.execute(
            "SELECT a.id, a.platform, a.login, a.currency, a.client_id, s.balance_minor"
            " FROM trading_accounts a LEFT JOIN account_states s ON s.account_id = a.id"):
        b.accounts[aid] = Account(aid, platform, login, currency, client, balance)
    # A range on the unique code index; the sums come from the covering postings index.
    b.ledger = dict(db.execute(
        "SELECT l.code, (SELECT coalesce(sum(p.amount_minor), 0) FROM postings p"
        " WHERE p.ledger_account_id = l.id) FROM ledger_accounts l"
        " WHERE l.code >= 'trading:' AND l.code < 'trading;'"))
    held = ",".join(f"'{s}'" for s in sorted(HELD))
    was_held = {pid for (pid,) in db.execute(
        f"SELECT DISTINCT payment_id FROM payment_status_changes WHERE status IN ({held})")}
    b.payments = [Payment(pid, ext, direction, status, account, client, provider, ref, amount,
                          fee, currency, booked, ticket, str(updated), pid in was_held)
                  for (pid, ext, direction, status, account, client, provider, ref, amount,
                       fee, currency, booked, ticket, updated) in db.execute(
        "SELECT id, external_id, direction, status, account_id, client_id, provider,"
        " provider_ref, amount_minor, fee_minor, currency, account_amount_minor, ticket,"
        " updated_at FROM payment_requests WHERE external_id IS NOT NULL")]
    reasons = ",".join(f"'{r}'" for r in sorted(PAYMENT_REASONS | TAKE_BACK_REASONS))
    b.deals = [Deal(*row) for row in db.execute(
        "SELECT id, platform, ticket, account_id, action, upper(reason), profit_minor,"
        " comment, time_ms FROM deals WHERE action IN ('balance', 'charge')"
        f" AND upper(reason) IN ({reasons}) ORDER BY id")]
    take_back = [f"{d.platform}:{d.ticket}" for d in b.deals if d.reason in TAKE_BACK_REASONS]
    for chunk in _chunks(take_back):
        for (ref,) in db.execute(
                "SELECT source_ref FROM journal_entries WHERE source_kind = 'deal'"
                f" AND source_ref IN ({','.join('?' * len(chunk))})", chunk):
            platform, ticket = ref.rsplit(":", 1)
            b.posted_deals.add((platform, int(ticket)))
    b.lines = [Line(*row) for row in db.execute(
        "SELECT id, statement_id, provider, provider_ref, direction, status, amount_minor,"
        " fee_minor, currency, value_date, copies FROM provider_lines")]
    for provider, start, end in db.execute(
            "SELECT provider, period_from, period_to FROM provider_statements"
            " WHERE period_from IS NOT NULL AND period_to IS NOT NULL"):
        b.covered.setdefault(provider, []).append((str(start), str(end)))
    if b.covered:
        events = ",".join(f"'{s}'" for s in MONEY_EVENTS)
        for pid, status, at in db.execute(
                "SELECT payment_id, status, min(at) FROM payment_status_changes"
                f" WHERE status IN ({events}) GROUP BY payment_id, status"):
            b.event_dates.setdefault(pid, {})[status] = str(at)[:10]
    _read_waiting(db, b)
    return b


def _read_waiting(db: Any, b: Books) -> None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", (DEALS_POSTED,)).fetchone()
    since = int(row[0]) if row else 0
    for (did, aid, platform, login, currency, action, profit, commission, swap, fee,
         reason) in db.execute(
            "SELECT d.id, d.account_id, a.platform, a.login, a.currency, d.action,"
            " d.profit_minor, d.commission_minor, d.swap_minor, d.fee_minor, d.reason"
            " FROM deals d JOIN trading_accounts a ON a.id = d.account_id WHERE d.id > ?"
            " ORDER BY d.id", (since,)):
        w = b.waiting.setdefault(aid, Waiting(first_deal=did))
        w.deals += 1
        # What the ledger will post to the trading balance once it can (a liability:
        # the platform's balance moves by minus the posting).
        w.effect -= sum(amount for code, amount in deal_lines(
            platform, login, currency, action, profit, commission, swap, fee, reason)
            if code.startswith("trading:"))


def event_date(b: Books, p: Payment, status: str) -> str:
    return b.event_dates.get(p.id, {}).get(status) or p.updated[:10]


def ledger_entries(db: Any, payments: list[Payment],
                   deals: list[Deal]) -> dict[str, list[dict[str, Any]]]:
    """The journal entries behind some payments and deals, with what each moved on
    the trading account; by payment id or 'platform:ticket'."""
    out: dict[str, list[dict[str, Any]]] = {}
    refs = [f"{p.ext}:{event}" for p in payments
            for event in ("completed", "held", "released", "refunded", "charged_back")]
    wanted = [("payment", r) for r in refs] + [("deal", f"{d.platform}:{d.ticket}")
                                                for d in deals]
    for chunk in _chunks(wanted, 400):
        where = " OR ".join("(j.source_kind = ? AND j.source_ref = ?)" for _ in chunk)
        params = [x for pair in chunk for x in pair]
        for entry, kind, ref, memo, at, code, posted in db.execute(
                "SELECT j.id, j.source_kind, j.source_ref, j.memo, j.posted_at, l.code,"
                " p.amount_minor FROM journal_entries j JOIN postings p ON p.entry_id = j.id"
                " JOIN ledger_accounts l ON l.id = p.ledger_account_id"
                f" WHERE ({where}) AND (l.code LIKE 'trading:%' OR l.code LIKE"
                " 'client_money:%') ORDER BY j.id", params):
            owner = ref.rsplit(":", 1)[0] if kind == "payment" else ref
            out.setdefault(owner, []).append({
                "entry": entry, "source": f"{kind}:{ref}", "memo": memo, "posted_at": str(at),
                "account": code, "amount_minor": posted})
    return out
