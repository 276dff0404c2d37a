"""The chart of accounts: what each ledger account holds, by a stable code.

Codes are built from the thing the account belongs to (a client, a trading
account, a payment provider, a partner) and the currency, so posting code finds or
opens an account without a lookup table kept by hand:

    trading:mt5:100234:USD      client trading balance of one trading account
    credit:mt5:100234:USD       credit the broker extended on that account
    client_money:17:EUR         a client's money off the platform (withdrawals held)
    clearing:Stripe:EUR         what a payment provider owes the broker (or the reverse)
    fees_income:USD             commissions and charges the broker earned
    provider_fees:USD           fees the payment providers charged the broker
    trading_pnl:USD             the broker's side of clients' trading results
    bonus_credit:USD            bonuses and credit given to clients
    ib_payable:P42:USD          commission owed to an introducing broker
    ib_commission:USD           commission the broker owes its partners (expense)
    fx:EUR                      currency conversion (one leg per currency)
    adjustments:USD             platform balance corrections not tied to a payment
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from app.models.ledger import LedgerKind

_KINDS: dict[str, tuple[LedgerKind, str]] = {
    "trading": (LedgerKind.LIABILITY, "Client trading balance, account {0}:{1}"),
    "credit": (LedgerKind.LIABILITY, "Credit on account {0}:{1}"),
    "client_money": (LedgerKind.LIABILITY, "Client money held, client #{0}"),
    "clearing": (LedgerKind.ASSET, "Provider clearing, {0}"),
    "fees_income": (LedgerKind.INCOME, "Fees and commissions income"),
    "provider_fees": (LedgerKind.EXPENSE, "Payment provider fees"),
    "trading_pnl": (LedgerKind.INCOME, "Trading P&L (broker side)"),
    "bonus_credit": (LedgerKind.EXPENSE, "Bonuses and credit"),
    "ib_payable": (LedgerKind.LIABILITY, "IB commission payable, partner {0}"),
    "ib_commission": (LedgerKind.EXPENSE, "Partner commission"),
    "fx": (LedgerKind.EQUITY, "FX conversion"),
    "adjustments": (LedgerKind.EQUITY, "Balance adjustments"),
}


@dataclass(frozen=True, slots=True)
class Account:
    code: str
    kind: LedgerKind
    name: str
    currency: str
    client_id: int | None = None
    provider: str = ""


def account(code: str) -> Account:
    """The account a code stands for; ValueError for a code outside the chart."""
    head, *middle, currency = code.split(":")
    if head not in _KINDS or not currency.isalpha() or not currency.isupper():
        raise ValueError(f"not a ledger account code: {code!r}")
    kind, name = _KINDS[head]
    client = int(middle[0]) if head == "client_money" else None
    provider = middle[0] if head == "clearing" else ""
    return Account(code, kind, f"{name.format(*middle)} ({currency})", currency, client,
                   provider)


@cache
def trading(platform: str, login: int, currency: str) -> str:
    return f"trading:{platform}:{login}:{currency}"


def credit(platform: str, login: int, currency: str) -> str:
    return f"credit:{platform}:{login}:{currency}"


def client_money(client_id: int, currency: str) -> str:
    return f"client_money:{client_id}:{currency}"


def clearing(provider: str, currency: str) -> str:
    return f"clearing:{provider.replace(':', '-')}:{currency}"


@cache
def house(head: str, currency: str) -> str:
    """The broker's own accounts: fees_income, provider_fees, trading_pnl, ..."""
    if head not in _KINDS:
        raise ValueError(head)
    return f"{head}:{currency}"


def ib_payable(partner: str, currency: str) -> str:
    return f"ib_payable:{partner}:{currency}"


class Accounts:
    """Ledger account ids by code within one transaction, opening missing ones."""

    def __init__(self, db: Any) -> None:
        self.db = db  # the driver connection of the caller's write transaction
        self.ids: dict[str, int] = {}

    def id(self, code: str) -> int:
        found = self.ids.get(code)
        if found is None:
            row = self.db.execute("SELECT id FROM ledger_accounts WHERE code = ?",
                                  (code,)).fetchone()
            if row is not None:
                found = self.ids[code] = int(row[0])
                return found
            found = self._open(code)
        return found

    def ids_of(self, codes: set[str]) -> dict[str, int]:
        """Ids of many codes with one query per 900, opening missing accounts."""
        missing = [c for c in codes if c not in self.ids]
        for i in range(0, len(missing), 900):
            chunk = missing[i:i + 900]
            marks = ",".join("?" * len(chunk))
            self.ids.update(self.db.execute(
                f"SELECT code, id FROM ledger_accounts WHERE code IN ({marks})", chunk))
        for code in missing:
            if code not in self.ids:
                self._open(code)
        return self.ids

    def _open(self, code: str) -> int:
        a = account(code)
        cur = self.db.execute(
            "INSERT INTO ledger_accounts (code, name, kind, currency, client_id, provider)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (a.code, a.name, a.kind.value, a.currency, a.client_id, a.provider))
        found = self.ids[code] = int(cur.lastrowid)
        return found
