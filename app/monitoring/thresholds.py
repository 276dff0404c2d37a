"""A rule's thresholds: what kind of value each is, its allowed range, how it is read
from what a person typed (or a service was given) and how it is shown in words.

Amounts are US dollars as exact decimals, volumes are lots with two places, the rest
are whole numbers or yes/no. Values are stored in the rule's JSON as text (amounts,
lots), integers or booleans: never floats.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from app.errors import ValidationFailed

Value = Decimal | int | bool


class Kind(enum.StrEnum):
    USD = "usd"          # an amount in US dollars, two places
    LOTS = "lots"        # a volume in lots, two places
    WHOLE = "whole"      # days, hours, seconds, counts, percentages
    FLAG = "flag"        # yes or no


@dataclass(frozen=True)
class Threshold:
    name: str
    label: str           # what the form calls it, e.g. "Smallest deposit"
    kind: Kind
    default: Value
    low: Decimal | int = 0
    high: Decimal | int = 10**12
    unit: str = ""       # after a whole number: "days", "%", "seconds"

    def parse(self, raw: object) -> Value:
        """The value from text, an int, a Decimal or a bool; ValidationFailed in words."""
        if isinstance(raw, float):
            raise ValidationFailed(f"{self.label}: give the value as text or a whole number, "
                                   "never a float (money and lots are exact).", self.name)
        if self.kind is Kind.FLAG:
            return self._flag(raw)
        if isinstance(raw, bool):
            raise ValidationFailed(f"{self.label} is a number, not yes or no.", self.name)
        text = str(raw).strip().replace(",", "").replace("_", "")
        if self.kind is Kind.WHOLE:
            if not text.isascii() or not text.removeprefix("-").isdigit():
                raise ValidationFailed(f"{self.label} is a whole number{self._range()}; "
                                       f"{str(raw)[:20]!r} is not.", self.name)
            value: Decimal | int = int(text)
        else:
            for suffix in (" usd", " lots", " lot", "usd"):
                if text.lower().endswith(suffix):
                    text = text[: -len(suffix)].strip()
            try:
                value = Decimal(text)
            except InvalidOperation:
                raise ValidationFailed(f"{self.label} is an amount like "
                                       f"{self.show(self.default)}; {str(raw)[:20]!r} is not.",
                                       self.name) from None
            if not value.is_finite():
                raise ValidationFailed(f"{self.label} has at most two decimal places.",
                                       self.name)
            if not self.low <= value <= self.high:   # before quantize: 1e30 cannot be
                raise ValidationFailed(f"{self.label} must be{self._range()}; "
                                       f"{str(raw)[:20]!r} is not.", self.name)
            if value != value.quantize(Decimal("0.01")):
                raise ValidationFailed(f"{self.label} has at most two decimal places.",
                                       self.name)
            value = value.quantize(Decimal("0.01"))
        if not self.low <= value <= self.high:
            raise ValidationFailed(f"{self.label} must be{self._range()}; "
                                   f"{self.show(value)} is not.", self.name)
        return value

    def _flag(self, raw: object) -> bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("yes", "true", "on", "1", "y"):
            return True
        if text in ("no", "false", "off", "0", "n"):
            return False
        raise ValidationFailed(f"{self.label} is yes or no; {str(raw)[:20]!r} is neither.",
                               self.name)

    def _range(self) -> str:
        return f" from {self.show(self.low)} to {self.show(self.high)}"

    def show(self, value: Value | Decimal | int) -> str:
        """The value as the description and the forms write it."""
        if self.kind is Kind.FLAG:
            return "yes" if value else "no"
        if self.kind is Kind.USD:
            return f"{Decimal(value):,.2f} USD"
        if self.kind is Kind.LOTS:
            return f"{Decimal(value):.2f} lots"
        return f"{int(value):,}{self.unit}"

    def stored(self, value: Value) -> Any:
        """The JSON form: amounts and lots as text, the rest as they are."""
        return format(value, ".2f") if self.kind in (Kind.USD, Kind.LOTS) else value

    def edit_text(self, value: Value) -> str:
        """The value as a form shows it for editing."""
        if self.kind is Kind.FLAG:
            return "yes" if value else "no"
        if self.kind in (Kind.USD, Kind.LOTS):
            return format(Decimal(value), ".2f")
        return str(int(value))


def usd(name: str, label: str, default: str, low: str = "0.00",
        high: str = "1000000000.00") -> Threshold:
    return Threshold(name, label, Kind.USD, Decimal(default), Decimal(low), Decimal(high))


def lots(name: str, label: str, default: str, high: str = "100000.00") -> Threshold:
    return Threshold(name, label, Kind.LOTS, Decimal(default), Decimal(0), Decimal(high))


def whole(name: str, label: str, default: int, low: int, high: int,
          unit: str = "") -> Threshold:
    return Threshold(name, label, Kind.WHOLE, default, low, high, unit)


def flag(name: str, label: str, default: bool) -> Threshold:
    return Threshold(name, label, Kind.FLAG, default, 0, 1)
