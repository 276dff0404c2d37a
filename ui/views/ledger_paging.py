"""A table model over a ledger service that answers in pages (app.ledger.views.Page).

The ledger's lists (100k accounts, a house account's million postings) are summed,
sorted and searched in SQL by the service; this model asks for the first page and the
total on reload, then for the pages the view scrolls to, always on the DB worker.
The lazy SQL model (ui/lazy_model.py) reads listings straight from the store; the
ledger goes through its services instead, so their permission checks hold here too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.ledger.views import Page
from app.money import exponent, from_minor
from ui.lazy_model import PAGE, PagedTable
from ui.messages import user_message
from ui.worker import DbWorker

MUTED = QColor("#6b6b6b")

# search text, sort column, descending, offset, limit -> one page and the total
Fetch = Callable[[str, int, bool, int, int], Page[Any]]
Index = QModelIndex | QPersistentModelIndex


def amount(minor: int, currency: str) -> str:
    """Minor units as the currency writes them, without its code (the column says it)."""
    return f"{from_minor(minor, currency):,.{exponent(currency)}f}"


@dataclass(frozen=True)
class PagedColumn:
    label: str
    cell: Callable[[Any], str]
    right: bool = False
    sortable: bool = True


class PagedModel(PagedTable):
    max_pages = 40

    def __init__(self, worker: DbWorker, columns: Sequence[PagedColumn],
                 muted: Callable[[Any], bool] | None = None) -> None:
        super().__init__(worker)
        self.columns, self.muted = columns, muted
        self.fetch: Fetch | None = None
        self.search = ""
        self.sort_column = 0
        self.descending = False

    def set_fetch(self, fetch: Fetch | None) -> None:
        self.fetch = fetch
        self.reload()

    def first_job(self) -> Callable[[], tuple[int, list[Any]]] | None:
        fetch, args = self.fetch, (self.search, self.sort_column, self.descending)
        if fetch is None:
            return None

        def job() -> tuple[int, list[Any]]:
            page = fetch(*args, 0, PAGE)
            return page.total, list(page.rows)
        return job

    def page_job(self, number: int) -> Callable[[], list[Any]] | None:
        fetch, args = self.fetch, (self.search, self.sort_column, self.descending)
        if fetch is None:
            return None
        return lambda: list(fetch(*args, number * PAGE, PAGE).rows)

    def fail_text(self, error: BaseException) -> str:
        return user_message(error)

    def item(self, row: int) -> Any:
        """The row's record, or None while its page is on its way."""
        return self.row(row)

    # -- Qt model API ----------------------------------------------------------
    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter) \
                if column.right else None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                        Qt.ItemDataRole.ForegroundRole):
            return None
        record = self.item(index.row())
        if role == Qt.ItemDataRole.ForegroundRole:
            return MUTED if record is not None and self.muted and self.muted(record) else None
        if record is None:
            return "…" if role == Qt.ItemDataRole.DisplayRole else None
        return column.cell(record)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(self.columns)):
            return self.columns[section].label
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns) or not self.columns[column].sortable:
            return
        self.sort_column = column
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    def set_search(self, text: str) -> None:
        if text != self.search:
            self.search = text
            self.reload()

    def set_heading(self, column: int, label: str) -> None:
        self.columns = [*self.columns[:column],
                        PagedColumn(label, self.columns[column].cell, self.columns[column].right,
                                    self.columns[column].sortable),
                        *self.columns[column + 1:]]
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, column, column)
