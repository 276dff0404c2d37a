"""The payment providers a broker works with, by method, and what each charges.

The fee is the provider's charge to the broker for moving the money (shown to the
clerk before sending, posted as the broker's expense when the payment completes).
The gateway applies the same schedule to payments a desk asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from app.errors import ValidationFailed
from app.models.payments import PaymentMethod


@dataclass(frozen=True)
class Provider:
    name: str
    method: PaymentMethod
    percent: Decimal  # of the amount


PROVIDERS: dict[str, Provider] = {p.name: p for p in (
    Provider("Stripe", PaymentMethod.CARD, Decimal("2.0")),
    Provider("Checkout.com", PaymentMethod.CARD, Decimal("1.8")),
    Provider("Nuvei", PaymentMethod.CARD, Decimal("2.5")),
    Provider("SEPA", PaymentMethod.BANK_WIRE, Decimal("0")),
    Provider("SWIFT", PaymentMethod.BANK_WIRE, Decimal("0.1")),
    Provider("Skrill", PaymentMethod.E_WALLET, Decimal("1.0")),
    Provider("Neteller", PaymentMethod.E_WALLET, Decimal("1.0")),
    Provider("BitGo", PaymentMethod.CRYPTO, Decimal("0.5")),
    Provider("Fireblocks", PaymentMethod.CRYPTO, Decimal("0.4")),
)}


def providers_for(method: PaymentMethod) -> list[str]:
    return [p.name for p in PROVIDERS.values() if p.method is method]


def provider(name: str, method: PaymentMethod) -> Provider:
    found = PROVIDERS.get(name)
    if found is None or found.method is not method:
        raise ValidationFailed(
            f"{name} does not take {method.value.replace('_', ' ')} payments; choose one of "
            f"{', '.join(providers_for(method))}.", "provider")
    return found


def fee(p: Provider, amount_minor: int) -> int:
    """The provider's fee in the payment's minor units, rounded half to even."""
    return int((Decimal(amount_minor) * p.percent / 100).quantize(Decimal(1),
                                                                  rounding=ROUND_HALF_EVEN))
