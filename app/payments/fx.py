"""Converting a payment into its trading account's currency.

The rate comes from the platform's quotes (the mid between bid and ask), directly,
inverted, or across the US dollar. It is fixed to RATE_PLACES decimals before use, so
the rate shown and stored reproduces the booked amount exactly; the amount is rounded
once, half to even, to the account currency's minor unit. The gateway and the desk
use this same rule, so the desk's preview is what the platform books.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal

from app.money import exponent, from_minor

RATE_PLACES = 8
_QUANTUM = Decimal(1).scaleb(-RATE_PLACES)


def mids(quotes: Iterable[tuple[str, Decimal, Decimal]]) -> dict[str, Decimal]:
    """Mid prices by symbol from (symbol, bid, ask), skipping empty quotes."""
    return {symbol: (bid + ask) / 2 for symbol, bid, ask in quotes if bid > 0 and ask > 0}


def _direct(prices: Mapping[str, Decimal], base: str, quote: str) -> Decimal | None:
    if base == quote:
        return Decimal(1)
    if (mid := prices.get(base + quote)) is not None:
        return mid
    if (mid := prices.get(quote + base)) is not None:
        return 1 / mid
    return None


def cross_rate(prices: Mapping[str, Decimal], base: str, quote: str) -> Decimal | None:
    """Units of `quote` for one unit of `base`, at RATE_PLACES; None without quotes."""
    rate = _direct(prices, base, quote)
    if rate is None:
        to_usd, from_usd = _direct(prices, base, "USD"), _direct(prices, "USD", quote)
        if to_usd is None or from_usd is None:
            return None
        rate = to_usd * from_usd
    return rate.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)


def convert(minor: int, currency: str, rate: Decimal, to_currency: str) -> int:
    """`minor` units of `currency` at `rate` (to_currency per currency), in
    to_currency's minor units."""
    amount = from_minor(minor, currency) * rate
    return int(amount.scaleb(exponent(to_currency)).quantize(Decimal(1),
                                                             rounding=ROUND_HALF_EVEN))


def rate_text(rate: Decimal) -> str:
    return format(rate.quantize(_QUANTUM), "f")
