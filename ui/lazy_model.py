"""A table model that pages from SQL on the worker thread.

It knows the row count and holds a few pages; `data()` for a row not loaded yet
returns nothing and asks for its page, and the view repaints when the page lands.
Search and sort run in SQL, so a million rows cost what one page costs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from app.queries.listing import Listing
from app.workspace.store import Store
from ui.worker import DbWorker

PAGE = 200
MAX_PAGES = 50

Index = QModelIndex | QPersistentModelIndex


class PagedTable(QAbstractTableModel):
    """The paging both lazy models share: the total and a few pages held (least
    recently used dropped), pages asked for once on the worker, and answers from an
    older search or sort thrown away. Subclasses say how to read the first page with
    the total, and any other page."""

    loaded = Signal(int)  # row count after a (re)load
    failed = Signal(str)
    max_pages = MAX_PAGES

    def __init__(self, worker: DbWorker) -> None:
        super().__init__()
        self.worker = worker
        self._rows = 0
        self._pages: OrderedDict[int, list[Any]] = OrderedDict()
        self._asked: set[int] = set()
        self._generation = 0

    def first_job(self) -> Callable[[], tuple[int, list[Any]]] | None:
        """A job reading (total, first page) with the current search and sort."""
        raise NotImplementedError

    def page_job(self, number: int) -> Callable[[], list[Any]] | None:
        raise NotImplementedError

    def fail_text(self, error: BaseException) -> str:
        return getattr(error, "message", None) or f"Could not load the list: {error}"

    def reload(self) -> None:
        self._generation += 1
        gen, job = self._generation, self.first_job()
        if job is None:
            self._reset(gen, (0, []))
            return
        self.worker.submit(job, lambda res: self._reset(gen, res), self._fail, owner=self)

    def _reset(self, gen: int, result: tuple[int, list[Any]]) -> None:
        if gen != self._generation:
            return  # a newer search or sort superseded this one
        count, first = result
        self.beginResetModel()
        self._rows = count
        self._pages = OrderedDict({0: first})
        self._asked = set()
        self.endResetModel()
        self.loaded.emit(count)

    def _fail(self, error: BaseException) -> None:
        self.failed.emit(self.fail_text(error))

    def _request(self, page: int) -> None:
        job = None if page in self._asked else self.page_job(page)
        if job is None:
            return
        self._asked.add(page)
        gen = self._generation
        self.worker.submit(job, lambda rows: self._arrived(gen, page, rows), self._fail,
                           owner=self)

    def _arrived(self, gen: int, page: int, rows: list[Any]) -> None:
        self._asked.discard(page)
        if gen != self._generation:
            return
        self._pages[page] = rows
        while len(self._pages) > self.max_pages:
            self._pages.popitem(last=False)
        first = page * PAGE
        last = min(first + len(rows), self._rows) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0),
                                  self.index(last, self.columnCount() - 1))

    def row(self, row: int) -> Any:
        """The row's record, or None while its page is on its way."""
        page = self._pages.get(row // PAGE)
        if page is None:
            self._request(row // PAGE)
            return None
        self._pages.move_to_end(row // PAGE)
        offset = row % PAGE
        return page[offset] if offset < len(page) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows


class SqlPageModel(PagedTable):
    def __init__(self, listing: Listing, store: Store, worker: DbWorker) -> None:
        super().__init__(worker)
        self.listing, self.store = listing, store
        self.search = ""
        self.sort_column: int | None = None
        self.descending = listing.default_descending

    def first_job(self) -> Callable[[], tuple[int, list[Any]]]:
        text, sort, desc = self.search, self.sort_column, self.descending
        listing, store = self.listing, self.store

        def job() -> tuple[int, list[Any]]:
            with store.read() as s:
                return listing.count(s, text), list(listing.page(s, text, sort, desc, 0,
                                                                 PAGE))
        return job

    def page_job(self, number: int) -> Callable[[], list[Any]]:
        text, sort, desc = self.search, self.sort_column, self.descending
        listing, store = self.listing, self.store

        def job() -> list[Any]:
            with store.read() as s:
                return list(listing.page(s, text, sort, desc, number * PAGE, PAGE))
        return job

    # -- Qt model API ----------------------------------------------------------
    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.listing.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            col = self.listing.columns[index.column()]
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter) \
                if col.align_right else None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        row = self.row(index.row())
        if row is None:
            return "…" if role == Qt.ItemDataRole.DisplayRole else None
        return self.listing.cell(row, index.column())

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.listing.columns):
            return self.listing.columns[section].label
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.listing.columns) or \
                not self.listing.columns[column].sortable:
            return
        self.sort_column = column
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    def set_search(self, text: str) -> None:
        if text != self.search:
            self.search = text
            self.reload()

    def key_at(self, row: int) -> Any:
        data = self.row(row)
        return None if data is None else self.listing.row_key(data)
