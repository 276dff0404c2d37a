"""A period of server dates for the partner screens: a few named choices (this month,
last month, ...) and the two dates, which can also be set by hand."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from ui.dialogs.partner_form import date_edit, to_date, to_qdate

CUSTOM = "Chosen dates"


def presets(today: date) -> dict[str, tuple[date, date]]:
    month = today.replace(day=1)
    last_month = (month - timedelta(days=1)).replace(day=1)
    quarter = month.replace(month=(month.month - 1) // 3 * 3 + 1)
    back = month.year * 12 + month.month - 1 - 11   # twelve months, this one included
    return {"This month": (month, today),
            "Last month": (last_month, month - timedelta(days=1)),
            "This quarter": (quarter, today),
            "This year": (month.replace(month=1), today),
            "Last 12 months": (date(back // 12, back % 12 + 1, 1), today)}


class PeriodPicker(QWidget):
    changed = Signal()

    def __init__(self, label: str = "Period", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = presets(date.today())
        self.preset = QComboBox()
        self.preset.addItems([*self.choices, CUSTOM])
        first, last = self.choices["This month"]
        self.first, self.last = date_edit(first), date_edit(last)
        self._quiet = False
        self.preset.currentTextChanged.connect(self._chosen)
        for edit in (self.first, self.last):
            edit.dateChanged.connect(lambda _d: self._typed())
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        if label:
            row.addWidget(QLabel(label))
        row.addWidget(self.preset)
        row.addWidget(self.first)
        row.addWidget(QLabel("to"))
        row.addWidget(self.last)

    def period(self) -> tuple[date, date]:
        return to_date(self.first.date()), to_date(self.last.date())

    def set_period(self, first: date, last: date) -> None:
        self._quiet = True
        self.first.setDate(to_qdate(first))
        self.last.setDate(to_qdate(last))
        self.preset.setCurrentText(next((n for n, p in self.choices.items()
                                         if p == (first, last)), CUSTOM))
        self._quiet = False
        self.changed.emit()

    def _chosen(self, name: str) -> None:
        if name in self.choices and not self._quiet:
            self.set_period(*self.choices[name])

    def _typed(self) -> None:
        if self._quiet:
            return
        self._quiet = True
        self.preset.setCurrentText(next((n for n, p in self.choices.items()
                                         if p == self.period()), CUSTOM))
        self._quiet = False
        self.changed.emit()
