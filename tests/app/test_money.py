from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import ValidationFailed
from app.money import format_money, from_minor, lots, to_minor


def test_exact_conversion_per_currency_exponent() -> None:
    assert to_minor("12.34", "USD") == 1234
    assert to_minor("1500", "JPY") == 1500
    assert to_minor("1.234", "KWD") == 1234
    assert to_minor("0.00000001", "BTC") == 1
    assert from_minor(1234, "USD") == Decimal("12.34")


def test_rounding_is_refused_not_done() -> None:
    with pytest.raises(ValidationFailed, match="more decimal places"):
        to_minor("12.345", "USD")
    with pytest.raises(ValidationFailed, match="more decimal places"):
        to_minor("1.5", "JPY")


def test_floats_and_junk_are_refused() -> None:
    with pytest.raises(TypeError):
        to_minor(12.34, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match="not an amount"):
        to_minor("twelve", "USD")
    with pytest.raises(ValidationFailed, match="Unknown currency"):
        to_minor("1", "XYZ")


def test_formatting() -> None:
    assert format_money(123456789, "USD") == "1,234,567.89 USD"
    assert format_money(-5, "EUR") == "-0.05 EUR"
    assert lots(150) == Decimal("1.5")


@given(st.integers(min_value=-10**15, max_value=10**15),
       st.sampled_from(["USD", "JPY", "BTC", "KWD"]))
def test_round_trip(minor: int, currency: str) -> None:
    assert to_minor(from_minor(minor, currency), currency) == minor
