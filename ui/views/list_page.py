"""A part's list: search box, lazy SQL table, and an empty state that says why it is empty."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.queries.listing import Listing
from app.workspace.store import Store
from ui.lazy_model import SqlPageModel
from ui.worker import DbWorker


class ListPage(QWidget):
    current_changed = Signal(object)  # the selected row's key, or None

    def __init__(self, title: str, listing: Listing, store: Store, worker: DbWorker, *,
                 empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"page-{listing.name}")
        self.empty_text = empty_text
        self.model = SqlPageModel(listing, store, worker)

        heading = QLabel(title)
        heading.setObjectName("pageTitle")
        self.count_label = QLabel("Loading…")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(320)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(lambda: self.model.set_search(self.search.text()))
        self.search.textChanged.connect(lambda _t: self._debounce.start())

        top = QHBoxLayout()
        top.addWidget(heading)
        top.addWidget(self.count_label)
        top.addStretch(1)
        self.toolbar = QHBoxLayout()
        top.addLayout(self.toolbar)
        top.addWidget(self.search)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(
            listing.default_sort,
            Qt.SortOrder.DescendingOrder if listing.default_descending
            else Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._selection)

        self.empty = QLabel()
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(self._failed)
        self._sized = False

    def refresh(self) -> None:
        self.model.reload()

    def _loaded(self, count: int) -> None:
        searching = bool(self.model.search.strip())
        self.count_label.setText(f"{count:,} shown" if searching else f"{count:,}")
        if count == 0:
            self.empty.setText(f"Nothing matches “{self.model.search.strip()}”."
                               if searching else self.empty_text)
            self.stack.setCurrentWidget(self.empty)
        else:
            self.stack.setCurrentWidget(self.table)
            if not self._sized:
                self._sized = True
                self.table.resizeColumnsToContents()

    def _failed(self, message: str) -> None:
        self.count_label.setText("")
        self.empty.setText(message)
        self.stack.setCurrentWidget(self.empty)

    def _selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self.current_changed.emit(self.current_key())

    def current_key(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.model.key_at(rows[0].row()) if rows else None

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()
