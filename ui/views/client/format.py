"""How the client screens write values: statuses, dates, money, read-only tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

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


def read_only_table(columns: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(24)
    table.setAlternatingRowColors(True)
    table.setWordWrap(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return table


def fill_table(table: QTableWidget, rows: list[tuple[str, ...]], *,
               right: tuple[int, ...] = (), attention: set[int] | None = None) -> None:
    """Replace the table's rows; `right` columns align right (amounts), `attention`
    rows show in red (overdue, rejected)."""
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, text in enumerate(values):
            item = QTableWidgetItem(text)
            if c in right:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if attention and r in attention:
                item.setForeground(ATTENTION)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    header = table.horizontalHeader()
    header.setStretchLastSection(False)  # sizing to contents ended the stretch: renew it
    header.setStretchLastSection(True)
