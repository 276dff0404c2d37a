"""The case list (paged from SQL, filtered by status, assignee and lateness) beside the
chosen case's card."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.compliance import views
from app.compliance.views import CaseFilter
from app.models.compliance import CaseStatus
from app.services.workspace import Desk
from ui.lazy_model import SqlPageModel
from ui.views.compliance_alerts import combo
from ui.views.compliance_case_card import CaseCardPanel
from ui.widgets.tables import paged_view
from ui.worker import DbWorker

ACTIVE = (CaseStatus.OPEN, CaseStatus.INVESTIGATING)
STATUSES: tuple[tuple[str, object], ...] = (
    ("Open and investigating", ACTIVE), ("Open", (CaseStatus.OPEN,)),
    ("Investigating", (CaseStatus.INVESTIGATING,)), ("Closed", (CaseStatus.CLOSED,)),
    ("Every status", ()))


class CasesTab(QWidget):
    said = Signal(str, bool)

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self._want: int | None = None
        self.model = SqlPageModel(views.case_listing(CaseFilter()), desk.store, worker)
        self.status = combo(STATUSES)
        self.mine = QCheckBox("Assigned to me")
        self.past_due = QCheckBox("Past due only")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search title or client…")
        self.search.setClearButtonEnabled(True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(lambda: self.model.set_search(self.search.text()))
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.status.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.mine.toggled.connect(lambda _on: self.apply_filter())
        self.past_due.toggled.connect(lambda _on: self.apply_filter())
        self.count_label = QLabel("Loading…")
        filters = QHBoxLayout()
        for w in (self.status, self.mine, self.past_due):
            filters.addWidget(w)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.count_label)

        self.table = paged_view(self.model, (122, 180, 110, 86, 90, 126, 44))
        self.table.selectionModel().selectionChanged.connect(self._selection)
        self.empty = QLabel()
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        self.card = CaseCardPanel(desk, worker)
        self.card.changed.connect(lambda text: self._changed(text))
        scroll = QScrollArea()
        scroll.setWidget(self.card)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        split = QSplitter()
        split.addWidget(self.stack)
        split.addWidget(scroll)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([600, 720])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(split, 1)
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(lambda text: self.said.emit(text, True))

    def refresh(self) -> None:
        self.apply_filter()

    def filter(self) -> CaseFilter:
        statuses: Any = self.status.currentData()
        return CaseFilter(statuses=tuple(statuses),
                          assignee_id=self.desk.actor.id if self.mine.isChecked() else None,
                          past_due=self.past_due.isChecked())

    def apply_filter(self) -> None:
        self.model.listing = views.case_listing(self.filter())
        self.model.reload()

    def show_case(self, case_id: int) -> None:
        """Show a case (one just opened from the queue): its card at once, and its row
        selected once the list has it."""
        self._want = case_id
        if self.status.currentData() != ACTIVE or self.mine.isChecked() or \
                self.past_due.isChecked() or self.search.text():
            self.status.setCurrentIndex(0)   # a new case is open: the default list has it
            self.mine.setChecked(False)
            self.past_due.setChecked(False)
            self.search.clear()
            self.model.set_search("")
        self.card.show_case(case_id)
        self.apply_filter()

    def _loaded(self, count: int) -> None:
        self.count_label.setText(f"{count:,} case{'' if count == 1 else 's'}")
        if count:
            self.stack.setCurrentWidget(self.table)
        else:
            chosen = self.filter()
            narrowed = chosen != CaseFilter(today=chosen.today) or self.model.search.strip()
            self.empty.setText("No cases match these filters." if narrowed else
                               "No open cases. Open one from alerts in the queue.")
            self.stack.setCurrentWidget(self.empty)
        want, self._want = self._want or self.card.case_id, None
        row = next((r for r in range(min(count, 200)) if self.model.key_at(r) == want), None)
        if row is not None:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)
        elif self.card.case_id is not None:
            self.card.reload()  # no longer listed here, but still what is on show

    def _selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        key = self.model.key_at(rows[0].row()) if rows else None
        if key is not None and key != self.card.case_id:
            self.card.show_case(int(key))

    def _changed(self, text: str) -> None:
        self.said.emit(text, False)
        self._want = self.card.case_id
        self.model.reload()
