"""What a client account statement says, read from the ledger as plain data.

The ledger keeps a client's balances as liabilities (credit positive from the
broker's side); the statement turns them round to read as the client does: money
paid in or won is a credit that raises the balance, money taken out or lost a debit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app.errors import NotFound
from app.ledger import chart
from app.reports.document import Period


@dataclass(frozen=True)
class StatementLine:
    posted_at: datetime
    entry_id: int
    description: str
    source_kind: str  # what posted it (deal, payment, reversal) and which one
    source_ref: str
    amount: int  # minor units as the client sees it: positive raises the balance
    balance: int

    @property
    def reference(self) -> str:
        return f"{self.source_kind}:{self.source_ref}"

    @property
    def debit(self) -> int:
        return max(-self.amount, 0)

    @property
    def credit(self) -> int:
        return max(self.amount, 0)


@dataclass(frozen=True)
class AccountStatement:
    code: str
    title: str
    currency: str
    opening: int
    lines: tuple[StatementLine, ...]

    @property
    def total_debit(self) -> int:
        return sum(x.debit for x in self.lines)

    @property
    def total_credit(self) -> int:
        return sum(x.credit for x in self.lines)

    @property
    def closing(self) -> int:
        return self.opening + sum(x.amount for x in self.lines)


@dataclass(frozen=True)
class ClientStatement:
    client_id: int
    client_name: str
    period: Period
    accounts: tuple[AccountStatement, ...]


def _bounds(period: Period) -> tuple[str, str]:
    """The period as the store's UTC timestamp text compares: [from, day after to)."""
    return f"{period.date_from:%Y-%m-%d}", f"{period.date_to + timedelta(days=1):%Y-%m-%d}"


def _accounts(db: Any, client_id: int) -> list[tuple[str, str, str]]:
    """(code, title, currency) of every account that holds this client's money:
    each trading account (listed even before its first posting), credit on them
    and money held off the platform, as far as the ledger has opened them."""
    out: list[tuple[str, str, str]] = []
    trading = db.execute("SELECT platform, login, currency FROM trading_accounts"
                         " WHERE client_id = ? AND currency != '' ORDER BY login, platform",
                         (client_id,)).fetchall()
    for platform, login, currency in trading:
        out.append((chart.trading(platform, login, currency),
                    f"Trading account {login} ({platform}), {currency}", currency))
    for platform, login, currency in trading:
        code = chart.credit(platform, login, currency)
        if db.execute("SELECT 1 FROM ledger_accounts WHERE code = ?", (code,)).fetchone():
            out.append((code, f"Credit on trading account {login} ({platform}), {currency}",
                        currency))
    for code, currency in db.execute("SELECT code, currency FROM ledger_accounts"
                                     " WHERE client_id = ? AND code LIKE 'client_money:%'"
                                     " ORDER BY currency", (client_id,)):
        out.append((code, f"Money held for withdrawals in progress, {currency}", currency))
    return out


def _lines(db: Any, code: str, start: str, end: str) -> tuple[int, list[StatementLine]]:
    row = db.execute("SELECT id FROM ledger_accounts WHERE code = ?", (code,)).fetchone()
    if row is None:
        return 0, []
    (opening,) = db.execute(
        "SELECT coalesce(sum(p.amount_minor), 0) FROM postings p JOIN journal_entries j"
        " ON j.id = p.entry_id WHERE p.ledger_account_id = ? AND j.posted_at < ?",
        (row[0], start)).fetchone()
    balance = -int(opening)
    lines = []
    for entry, at, memo, kind, ref, reason, amount in db.execute(
            "SELECT j.id, j.posted_at, j.memo, j.source_kind, j.source_ref, j.reason,"
            " p.amount_minor FROM postings p JOIN journal_entries j ON j.id = p.entry_id"
            " WHERE p.ledger_account_id = ? AND j.posted_at >= ? AND j.posted_at < ?"
            " ORDER BY j.posted_at, j.id, p.id", (row[0], start, end)):
        seen = -int(amount)
        balance += seen
        lines.append(StatementLine(
            datetime.fromisoformat(at).replace(tzinfo=UTC), int(entry),
            f"{memo} — {reason}" if reason else memo, kind, ref, seen, balance))
    return -int(opening), lines


def read_statement(db: Any, client_id: int, period: Period) -> ClientStatement:
    """A client's statement for a period; `db` is a driver connection to read with."""
    row = db.execute("SELECT display_name FROM clients WHERE id = ?", (client_id,)).fetchone()
    if row is None:
        raise NotFound(f"There is no client #{client_id}.")
    start, end = _bounds(period)
    accounts = []
    for code, title, currency in _accounts(db, client_id):
        opening, lines = _lines(db, code, start, end)
        accounts.append(AccountStatement(code, title, currency, opening, tuple(lines)))
    return ClientStatement(client_id, str(row[0]), period, tuple(accounts))
