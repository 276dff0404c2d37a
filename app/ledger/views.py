"""Reading the ledger: balances, the trial balance, an account's statement, and a
client's money. Balances are sums of postings (read from the covering index), so
they are current the moment an entry is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.models.ledger import LedgerKind


@dataclass(frozen=True, slots=True)
class Balance:
    code: str
    name: str
    kind: LedgerKind
    currency: str
    amount: int          # minor units, debit positive

    @property
    def debit(self) -> int:
        return max(self.amount, 0)

    @property
    def credit(self) -> int:
        return max(-self.amount, 0)


@dataclass(frozen=True, slots=True)
class StatementLine:
    entry_id: int
    posted_at: datetime
    memo: str
    source_kind: str
    source_ref: str
    amount: int
    running: int


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def balance(db: Any, code: str) -> int:
    row = db.execute("SELECT coalesce(sum(p.amount_minor), 0) FROM postings p"
                     " JOIN ledger_accounts a ON a.id = p.ledger_account_id"
                     " WHERE a.code = ?", (code,)).fetchone()
    return int(row[0])


def trial_balance(db: Any) -> list[Balance]:
    """Every account with postings and its balance, by currency then code."""
    sums = dict(db.execute("SELECT ledger_account_id, sum(amount_minor) FROM postings"
                           " GROUP BY ledger_account_id"))
    return sorted((Balance(code, name, LedgerKind(kind), currency, int(sums[i]))
                   for i, code, name, kind, currency in db.execute(
                       "SELECT id, code, name, kind, currency FROM ledger_accounts")
                   if i in sums), key=lambda b: (b.currency, b.code))


def totals(rows: list[Balance]) -> dict[str, tuple[int, int]]:
    """Debits and credits per currency; equal when the ledger balances."""
    out: dict[str, tuple[int, int]] = {}
    for b in rows:
        d, c = out.get(b.currency, (0, 0))
        out[b.currency] = (d + b.debit, c + b.credit)
    return out


def statement(db: Any, code: str, limit: int = 500, offset: int = 0) -> list[StatementLine]:
    """An account's postings in order, each with the entry and source behind it and
    the balance after it (as the account's holder reads it: credit balances of
    liabilities shown positive is left to the screen)."""
    rows = db.execute(
        "SELECT j.id, j.posted_at, j.memo, j.source_kind, j.source_ref, p.amount_minor"
        " FROM postings p JOIN ledger_accounts a ON a.id = p.ledger_account_id"
        " JOIN journal_entries j ON j.id = p.entry_id WHERE a.code = ?"
        " ORDER BY j.posted_at, j.id, p.id", (code,)).fetchall()
    running = 0
    out = []
    for n, (entry, at, memo, kind, ref, amount) in enumerate(rows):
        running += amount
        if offset <= n < offset + limit:
            out.append(StatementLine(entry, _when(at), memo, kind, ref, amount, running))
    return out


def client_money(db: Any, client_id: int) -> dict[str, dict[str, int]]:
    """What the broker owes a client, per currency: trading balances, credit and money
    held off the platform, each as a positive amount owed."""
    out: dict[str, dict[str, int]] = {}
    for code, currency, amount in db.execute(
            "SELECT a.code, a.currency, sum(p.amount_minor) FROM ledger_accounts a"
            " JOIN postings p ON p.ledger_account_id = a.id"
            " WHERE a.code IN (SELECT 'trading:' || t.platform || ':' || t.login || ':'"
            " || t.currency FROM trading_accounts t WHERE t.client_id = ?1"
            " UNION SELECT 'credit:' || t.platform || ':' || t.login || ':' || t.currency"
            " FROM trading_accounts t WHERE t.client_id = ?1)"
            " OR a.client_id = ?1 GROUP BY a.id", (client_id,)):
        head = code.split(":", 1)[0]
        per = out.setdefault(currency, {"trading": 0, "credit": 0, "client_money": 0})
        per[head] += -int(amount)
    return out
