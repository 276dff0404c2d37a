"""A break as a run finds it, before it is kept as an exception."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.models.reconciliation import BreakKind
from app.money import format_money, from_minor

if TYPE_CHECKING:
    from app.reconcile.books import Deal, Payment


@dataclass(slots=True)
class Break:
    kind: BreakKind
    key: str                # what is out of line; stable across runs
    figures: str            # what the amounts are; a change makes a new signature
    summary: str
    currency: str = ""
    difference: int = 0     # minor units of `currency`
    client_id: int | None = None
    ledger_side: dict[str, Any] | None = None
    platform_side: dict[str, Any] | None = None
    provider_side: dict[str, Any] | None = None
    # How much of the gap between the platform's and the ledger's balance of one
    # trading account this break accounts for (platform minus ledger, minor units), so
    # the balance check reports only what no item break explains.
    account_id: int | None = None
    effect: int = 0
    # The records behind it, so a run can attach the ledger entries and statement
    # lines that concern them.
    payment: Payment | None = None
    deals: list[Deal] = field(default_factory=list)

    @property
    def signature(self) -> str:
        text = f"{self.currency}:{self.difference}:{self.figures}"
        if len(text) <= 160:
            return text
        return f"{self.currency}:{self.difference}:" + hashlib.sha256(
            self.figures.encode()).hexdigest()[:40]


def amount(minor: int, currency: str) -> dict[str, Any]:
    """An amount as JSON: exact decimal text for people, minor units for programs."""
    try:
        text = str(from_minor(minor, currency))
    except Exception:  # a currency the desk does not know: minor units only
        text = str(minor)
    return {"amount": text, "amount_minor": minor, "currency": currency}


def money(minor: int, currency: str) -> str:
    try:
        return format_money(minor, currency)
    except Exception:
        return f"{minor} (minor units) {currency}".strip()
