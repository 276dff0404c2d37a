"""Deposits in other currencies, in US cents: the desk has no exchange-rate table, so
it uses the trading platform's last quote of the currency against USD. Arithmetic is
Decimal throughout and rounds once, to the cent (half to even)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.trading import Quote
from app.money import CURRENCIES, from_minor

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Rate:
    currency: str
    symbol: str  # EURUSD or USDJPY
    mid: Decimal  # halfway between the platform's bid and ask

    @property
    def inverted(self) -> bool:
        return self.symbol.startswith("USD")

    def describe(self) -> str:
        return f"{self.symbol} {self.mid.normalize():f}"


def usd_rates(s: Session) -> dict[str, Rate]:
    rates: dict[str, Rate] = {}
    for symbol, bid, ask in s.execute(select(Quote.symbol, Quote.bid, Quote.ask)):
        if bid <= 0 or ask <= 0:
            continue
        mid = (bid + ask) / 2
        if symbol.endswith("USD") and symbol[:-3] in CURRENCIES:
            rates[symbol[:-3]] = Rate(symbol[:-3], symbol, mid)
        elif symbol.startswith("USD") and symbol[3:] in CURRENCIES:
            rates.setdefault(symbol[3:], Rate(symbol[3:], symbol, mid))
    return rates


def to_usd_minor(minor: int, currency: str, rates: dict[str, Rate]) -> int | None:
    """US cents for an amount in `currency` minor units; None when no quote converts it."""
    if currency == "USD":
        return minor
    rate = rates.get(currency)
    if rate is None:
        return None
    amount = from_minor(minor, currency)
    usd = amount / rate.mid if rate.inverted else amount * rate.mid
    return int(usd.quantize(CENT, rounding=ROUND_HALF_EVEN).scaleb(2))
