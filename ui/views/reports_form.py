"""The report form on the Reports page: which report, and what it asks for (client,
partner, commission run, period), shown or hidden as the library says each kind
needs. The choices (clients found by name, partners, runs) are read on the worker."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.services import report_library
from app.services.report_library import KINDS, Param, ReportKind, ReportParams
from app.services.workspace import Desk
from ui.views.partners_period import PeriodPicker
from ui.worker import DbWorker

SEARCH_DELAY_MS = 250  # typing pauses this long before the clients are searched
EVERY_CLIENT = "Every client (the whole audit log of the period)"
NO_RUN = "No run: the payouts of periods ending in the period"


class ReportForm(QWidget):
    changed = Signal()

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.kind_box = QComboBox()
        for k in KINDS.values():
            self.kind_box.addItem(k.title, k.name)
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.about.setObjectName("reportAbout")
        self.client_search = QLineEdit()
        self.client_search.setPlaceholderText("Find a client by name or number")
        self.client_box = QComboBox()
        self.client_box.setMinimumContentsLength(28)
        self.client_row = QWidget()
        row = QHBoxLayout(self.client_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.client_search)
        row.addWidget(self.client_box, 1)
        self.partner_box = QComboBox()
        self.run_box = QComboBox()
        self.period = PeriodPicker("")
        self.period.set_period(*self.period.choices["Last month"])
        self.use_period = QCheckBox("Limit to a period")
        self.use_period.setChecked(True)
        self.period_row = QWidget()
        prow = QHBoxLayout(self.period_row)
        prow.setContentsMargins(0, 0, 0, 0)
        prow.addWidget(self.use_period)
        prow.addWidget(self.period)
        prow.addStretch(1)
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.addRow("Report", self.kind_box)
        self.layout_.addRow("", self.about)
        self.layout_.addRow("Client", self.client_row)
        self.layout_.addRow("Partner", self.partner_box)
        self.layout_.addRow("Commission run", self.run_box)
        self.layout_.addRow("Period", self.period_row)
        self._rows = {Param.CLIENT: self.client_row, Param.PARTNER: self.partner_box,
                      Param.RUN: self.run_box, Param.PERIOD: self.period_row}
        self._clients: list[tuple[int, str]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.search_clients)
        self.client_search.textChanged.connect(lambda _t: self._timer.start())
        self.kind_box.currentIndexChanged.connect(lambda _i: self._show_kind())
        self.run_box.currentIndexChanged.connect(lambda _i: self._run_chosen())
        self.use_period.toggled.connect(self.period.setEnabled)
        for signal in (self.client_box.currentIndexChanged, self.partner_box.currentIndexChanged,
                       self.run_box.currentIndexChanged, self.use_period.toggled):
            signal.connect(lambda *_a: self.changed.emit())
        self.period.changed.connect(self.changed.emit)
        self._show_kind()

    # -- what is chosen -----------------------------------------------------------------
    def kind(self) -> ReportKind:
        return KINDS[str(self.kind_box.currentData())]

    def set_kind(self, name: str) -> None:
        self.kind_box.setCurrentIndex(self.kind_box.findData(name))

    def params(self) -> ReportParams:
        k = self.kind()
        takes = set(k.params)
        period = None
        if Param.PERIOD in takes and self.use_period.isChecked():
            period = report_library.period_of(*self.period.period())
        client = self.client_box.currentData() if Param.CLIENT in takes else None
        partner = self.partner_box.currentData() if Param.PARTNER in takes else None
        run = self.run_box.currentData() if Param.RUN in takes else None
        return ReportParams(period, client, partner, run)

    def describe(self) -> str:
        """The report and its parameters in a few words, for messages and file names."""
        k, p = self.kind(), self.params()
        parts = [k.title]
        if p.client_id is not None:
            parts.append(self.client_box.currentText())
        if p.partner:
            parts.append(self.partner_box.currentText())
        if p.run:
            parts.append(f"run {p.run[:8]}")
        if p.period is not None:
            parts.append(p.period.label)
        return ", ".join(parts)

    # -- showing the kind's parameters ---------------------------------------------------
    def _show_kind(self) -> None:
        k = self.kind()
        self.about.setText(k.help[:1].upper() + k.help[1:] + ".")
        for param, widget in self._rows.items():
            self.layout_.setRowVisible(widget, param in k.params)
        optional_period = Param.PERIOD in k.optional
        self.use_period.setVisible(optional_period)
        if not optional_period:
            self.use_period.setChecked(True)
        self._fill_clients(self._clients)  # an optional client is offered as 'none' first

    def _run_chosen(self) -> None:
        # A run brings its own period: the period is for payouts without one.
        if Param.RUN in self.kind().params:
            self.use_period.setChecked(self.run_box.currentData() is None)

    # -- choices, read on the worker ---------------------------------------------------
    def load_choices(self) -> None:
        desk = self.desk

        def job() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
            return report_library.partner_choices(desk), report_library.run_choices(desk)

        self.worker.submit(job, self._fill_choices, owner=self)
        self.search_clients()

    def _fill_choices(self, found: tuple[list[tuple[str, str]], list[tuple[str, str]]]) -> None:
        partners, runs = found
        self.partner_box.clear()
        for code, name in partners:
            self.partner_box.addItem(f"{name} ({code})", code)
        self.run_box.blockSignals(True)
        self.run_box.clear()
        self.run_box.addItem(NO_RUN, None)
        for uid, label in runs:
            self.run_box.addItem(label, uid)
        self.run_box.blockSignals(False)
        self._run_chosen()

    def search_clients(self) -> None:
        desk, text = self.desk, self.client_search.text()
        self.worker.submit(lambda: report_library.client_choices(desk, text),
                           self._fill_clients, owner=self)

    def _fill_clients(self, found: list[tuple[int, str]]) -> None:
        self._clients = found
        keep = self.client_box.currentData()
        self.client_box.blockSignals(True)
        self.client_box.clear()
        if Param.CLIENT in self.kind().optional:
            self.client_box.addItem(EVERY_CLIENT, None)
        for client_id, name in found:
            self.client_box.addItem(f"{name} (#{client_id})", client_id)
        again = self.client_box.findData(keep) if keep is not None else -1
        self.client_box.setCurrentIndex(max(again, 0))
        self.client_box.blockSignals(False)
        self.changed.emit()
