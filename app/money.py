"""Exact money: integer minor units in the store, Decimal in code, never float."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from app.errors import ValidationFailed

# ISO 4217 exponents for the currencies a broker meets; crypto assets by convention of
# the major exchanges (satoshi for BTC, 8 places for the rest, USDT/USDC at 6).
_EXPONENTS: dict[str, int] = {
    "USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "AUD": 2, "CAD": 2, "NZD": 2, "SGD": 2,
    "HKD": 2, "CNY": 2, "ZAR": 2, "AED": 2, "SAR": 2, "TRY": 2, "PLN": 2, "CZK": 2,
    "SEK": 2, "NOK": 2, "DKK": 2, "RUB": 2, "UAH": 2, "INR": 2, "MXN": 2, "BRL": 2,
    "THB": 2, "MYR": 2, "IDR": 2, "PHP": 2, "EGP": 2, "NGN": 2, "KES": 2, "ILS": 2,
    "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "HUF": 2, "ISK": 0,
    "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3,
    "BTC": 8, "ETH": 8, "LTC": 8, "XRP": 6, "USDT": 6, "USDC": 6,
}

CURRENCIES: frozenset[str] = frozenset(_EXPONENTS)


def exponent(currency: str) -> int:
    try:
        return _EXPONENTS[currency]
    except KeyError:
        raise ValidationFailed(f"Unknown currency code: {currency!r}.", "currency") from None


def to_minor(amount: Decimal | str | int, currency: str) -> int:
    """Convert a decimal amount to minor units, refusing any rounding."""
    if isinstance(amount, float):
        raise TypeError("money must not be a float")
    try:
        value = Decimal(amount)
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"{amount!r} is not an amount of money.", "amount") from None
    if not value.is_finite():
        raise ValidationFailed(f"{amount!r} is not an amount of money.", "amount")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValidationFailed(
            f"{amount} {currency} has more decimal places than {currency} allows "
            f"({exponent(currency)}).",
            "amount",
        )
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def format_money(minor: int, currency: str) -> str:
    """`1234567` USD → `12,345.67 USD`: the form staff read on screens and statements."""
    places = exponent(currency)
    return f"{from_minor(minor, currency):,.{places}f} {currency}"


def lots(volume_hundredths: int) -> Decimal:
    """Volumes are stored as integer hundredths of a lot."""
    return Decimal(volume_hundredths).scaleb(-2)
