"""A table model over a ledger service that answers in pages (app.ledger.views.Page).

The ledger's lists (100k accounts, a house account's million postings) are summed,
sorted and searched in SQL by the service; this model asks for the first page and the
total on reload, then for the pages the view scrolls to, always on the DB worker.
The lazy SQL model (ui/lazy_model.py) reads listings straight from the store; the
ledger goes through its services instead, so their permission checks hold here too.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from app.ledger.views import Page
from app.money import exponent, from_minor
from ui.messages import user_message
from ui.worker import DbWorker

PAGE = 200
MAX_PAGES = 40
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


class PagedModel(QAbstractTableModel):
    loaded = Signal(int)  # total rows after a reload
    failed = Signal(str)

    def __init__(self, worker: DbWorker, columns: Sequence[PagedColumn],
                 muted: Callable[[Any], bool] | None = None) -> None:
        super().__init__()
        self.worker, self.columns, self.muted = worker, columns, muted
        self.fetch: Fetch | None = None
        self.search = ""
        self.sort_column = 0
        self.descending = False
        self._total = 0
        self._pages: OrderedDict[int, list[Any]] = OrderedDict()
        self._asked: set[int] = set()
        self._generation = 0

    def set_fetch(self, fetch: Fetch | None) -> None:
        self.fetch = fetch
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        fetch, gen = self.fetch, self._generation
        if fetch is None:
            self._reset(gen, Page(0, []))
            return
        args = (self.search, self.sort_column, self.descending)
        self.worker.submit(lambda: fetch(*args, 0, PAGE), lambda p: self._reset(gen, p),
                           self._fail, owner=self)

    def _reset(self, gen: int, page: Page[Any]) -> None:
        if gen != self._generation:
            return  # a newer search, sort or account superseded this answer
        self.beginResetModel()
        self._total = page.total
        self._pages = OrderedDict({0: page.rows})
        self._asked = set()
        self.endResetModel()
        self.loaded.emit(page.total)

    def _fail(self, error: BaseException) -> None:
        self.failed.emit(user_message(error))

    def _request(self, number: int) -> None:
        fetch = self.fetch
        if number in self._asked or fetch is None:
            return
        self._asked.add(number)
        gen, args = self._generation, (self.search, self.sort_column, self.descending)
        self.worker.submit(lambda: fetch(*args, number * PAGE, PAGE),
                           lambda p: self._arrived(gen, number, p), self._fail, owner=self)

    def _arrived(self, gen: int, number: int, page: Page[Any]) -> None:
        self._asked.discard(number)
        if gen != self._generation:
            return
        self._pages[number] = page.rows
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        first = number * PAGE
        last = min(first + len(page.rows), self._total) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0),
                                  self.index(last, len(self.columns) - 1))

    def item(self, row: int) -> Any:
        """The row's record, or None while its page is on its way."""
        page = self._pages.get(row // PAGE)
        if page is None:
            self._request(row // PAGE)
            return None
        self._pages.move_to_end(row // PAGE)
        offset = row % PAGE
        return page[offset] if offset < len(page) else None

    # -- Qt model API ----------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._total

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
