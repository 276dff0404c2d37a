"""The dashboard's filter bar: the period, and which clients (country, segment, manager)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QWidget,
)

from app.analytics.figures import FilterChoices
from app.analytics.scope import ClientFilter, Span
from app.queries.dashboard import DEFAULT_WEEKS, default_span

CUSTOM = "custom"
# (key, label): weeks back from this one, or a calendar period so far.
PERIODS = (("4", "Last 4 weeks"), (str(DEFAULT_WEEKS), f"Last {DEFAULT_WEEKS} weeks"),
           ("26", "Last 26 weeks"), ("52", "Last 52 weeks"), ("month", "This month"),
           ("quarter", "This quarter"), ("year", "This year"), (CUSTOM, "Choose days…"))
_ANY = None
NO_SEGMENT = "(no segment)"


def span_for(key: str, today: date) -> Span:
    if key == "month":
        return Span(today.replace(day=1), today)
    if key == "quarter":
        return Span(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today)
    if key == "year":
        return Span(date(today.year, 1, 1), today)
    return default_span(today, int(key))


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class FilterBar(QWidget):
    """Emits `changed` whenever the period or the choice of clients changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.period = QComboBox()
        self.period.setObjectName("dashboardPeriod")
        for key, label in PERIODS:
            self.period.addItem(label, key)
        self.period.setCurrentIndex(1)
        self.period.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.period.setMinimumContentsLength(10)
        today = datetime.now(UTC).date()
        self.date_from, self.date_to = QDateEdit(), QDateEdit()
        for edit, day in ((self.date_from, today - timedelta(days=27)), (self.date_to, today)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDate(_qdate(day))
            edit.setVisible(False)
            edit.dateChanged.connect(lambda _d: self._custom_changed())
        self.country, self.segment, self.manager = QComboBox(), QComboBox(), QComboBox()
        for combo, everyone in ((self.country, "All countries"),
                                (self.segment, "All segments"),
                                (self.manager, "All managers")):
            combo.addItem(everyone, _ANY)
            # Narrow enough for a small window: long names are elided, not a minimum.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        self.country.setObjectName("dashboardCountry")
        self.segment.setObjectName("dashboardSegment")
        self.manager.setObjectName("dashboardManager")
        self.period.currentIndexChanged.connect(self._period_changed)
        for combo in (self.country, self.segment, self.manager):
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        # A window narrower than the bar clips its right end rather than refusing to
        # shrink (the main window remembers whatever size the person left it at).
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Period"))
        row.addWidget(self.period)
        row.addWidget(self.date_from)
        row.addWidget(self.date_to)
        row.addSpacing(12)
        row.addWidget(QLabel("Clients"))
        row.addWidget(self.country)
        row.addWidget(self.segment)
        row.addWidget(self.manager)
        row.addStretch(1)

    def set_choices(self, choices: FilterChoices) -> None:
        """Fill the client filters, keeping what was chosen when it is still offered."""
        for combo, values in (
                (self.country, [(c, c) for c in choices.countries]),
                (self.segment, [(s or NO_SEGMENT, s) for s in choices.segments]),
                (self.manager, [(name, uid) for uid, name in choices.managers])):
            chosen = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for label, value in values:
                combo.addItem(label, value)
            found = combo.findData(chosen) if chosen is not None else 0
            combo.setCurrentIndex(max(0, found))
            combo.blockSignals(False)

    def span(self, today: date | None = None) -> Span:
        key = str(self.period.currentData())
        if key == CUSTOM:
            first, last = _day(self.date_from.date()), _day(self.date_to.date())
            return Span(min(first, last), max(first, last))
        return span_for(key, today or datetime.now(UTC).date())

    def filters(self) -> ClientFilter:
        return ClientFilter(country=self.country.currentData(),
                            segment=self.segment.currentData(),
                            manager_id=self.manager.currentData())

    def _period_changed(self) -> None:
        custom = self.period.currentData() == CUSTOM
        self.date_from.setVisible(custom)
        self.date_to.setVisible(custom)
        self.changed.emit()

    def _custom_changed(self) -> None:
        if self.period.currentData() == CUSTOM:
            self.changed.emit()
