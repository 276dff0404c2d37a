"""How the client screens write values: statuses, dates, money, read-only tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from PySide6.QtGui import QColor

from app.models.crm import ClientStatus
from app.money import exponent

ATTENTION = QColor("#b3261e")
ERROR_STYLE = "color: #b3261e;"


def label(value: object) -> str:
    """An enum or code as a clerk reads it: kyc_pending → KYC pending."""
    if value is ClientStatus.KYC_PENDING:
        return "KYC pending"
    text = str(value.value if isinstance(value, Enum) else value)
    return text.replace("_", " ")


def sentence(text: str) -> str:
    """First letter up, the rest as it is ("KYC pending" stays)."""
    return text[:1].upper() + text[1:]


def when(value: datetime | None) -> str:
    """Stored times are UTC; the desk reads them in its own time zone."""
    return "" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M")


def day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return "—"
    try:
        places = exponent(currency)
    except Exception:  # an unknown code from the platform still shows its amount
        places = 2
    return f"{amount:,.{places}f} {currency}"
