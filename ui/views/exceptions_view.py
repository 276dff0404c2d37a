"""Exceptions: one queue of what waits for somebody across the parts, the oldest first,
with a part filter. Double-clicking a row emits the record to open."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.queries.exceptions import AGE_BUCKETS, ExceptionRow, Part, age_bucket, exception_queue
from app.services.workspace import Desk
from ui.dialogs.exception_settings import ExceptionSettingsDialog
from ui.messages import user_message
from ui.worker import DbWorker

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Age", "Part", "Kind", "What", "Client", "Owner", "Due")
# Older than a month: shown in red, as the age buckets of the dashboard count it.
OLD_DAYS = 31
OLD = QColor("#b3261e")


class ExceptionModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[ExceptionRow] = []

    def set_rows(self, rows: list[ExceptionRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(COLUMNS)):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return row.summary
        if role == Qt.ItemDataRole.ForegroundRole and row.age_days >= OLD_DAYS:
            return OLD
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _text(row: ExceptionRow, column: int) -> str:
        if column == 0:
            return f"{row.age_days} d"
        if column == 1:
            return row.part.label
        if column == 2:
            return row.kind.label
        if column == 3:
            return row.summary
        if column == 4:
            return row.client_name
        if column == 5:
            return row.owner
        return f"{row.due:%Y-%m-%d}" if row.due else ""


class ExceptionsPage(QWidget):
    # The record to open (app.queries.exceptions.RecordRef): kind and local id.
    record_chosen = Signal(object)

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-exceptions")
        self.desk, self.worker = desk, worker
        self._asked = 0
        title = QLabel("Exceptions")
        title.setObjectName("pageTitle")
        self.part = QComboBox()
        self.part.setObjectName("exceptionPart")
        self.part.addItem("All parts", None)
        for part in Part:
            self.part.addItem(part.label, part.value)
        self.part.currentIndexChanged.connect(lambda _i: self.refresh())
        again = QPushButton("Refresh")
        again.clicked.connect(self.refresh)
        self.settings_button = QPushButton("Settings…")
        self.settings_button.setToolTip("When a payment counts as stuck, and how far ahead "
                                        "expiring documents show")
        self.settings_button.clicked.connect(self.open_settings)
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("exceptionSummary")
        self.summary.setWordWrap(True)
        self.model = ExceptionModel(self)
        self.table = QTableView()
        self.table.setObjectName("exceptionTable")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        for column, width in enumerate((60, 110, 190, 460, 180, 130, 90)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._chosen)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(QLabel("Part"))
        top.addWidget(self.part)
        top.addWidget(again)
        top.addWidget(self.settings_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def open_settings(self) -> ExceptionSettingsDialog:
        dialog = ExceptionSettingsDialog(self.desk, self.worker, self)
        dialog.saved.connect(lambda _text: self.refresh())
        dialog.open()
        return dialog

    def chosen_part(self) -> Part | None:
        value = self.part.currentData()
        return Part(value) if value else None

    def refresh(self) -> None:
        self._asked += 1
        number, desk, part = self._asked, self.desk, self.chosen_part()
        self.summary.setText("Loading…")
        self.worker.submit(lambda: (number, exception_queue(desk, part)), self._show,
                           self._error, owner=self)

    def _show(self, result: tuple[int, list[ExceptionRow]]) -> None:
        number, rows = result
        if number != self._asked:
            return  # the part changed meanwhile; its own result follows
        self.model.set_rows(rows)
        part = self.chosen_part()
        where = f" in {part.label}" if part else ""
        if not rows:
            self.summary.setText(f"Nothing is waiting{where}: no open exception.")
            return
        buckets = [0] * len(AGE_BUCKETS)
        for row in rows:
            buckets[age_bucket(row.age_days)] += 1
        ages = ", ".join(f"{n:,} {label}" for n, (label, _lo, _hi) in
                         zip(buckets, AGE_BUCKETS, strict=True))
        self.summary.setText(f"{len(rows):,} open exception(s){where}, oldest first: {ages}. "
                             "Double-click one to open it.")

    def _error(self, error: BaseException) -> None:
        self.summary.setText(user_message(error))

    def _chosen(self, index: QModelIndex) -> None:
        if index.isValid():
            self.record_chosen.emit(self.model.rows[index.row()].ref)
