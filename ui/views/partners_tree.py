"""The partner tree as an item model: one node per partner under its upline, built
from the rows the tree read returns (each partner after its upline, siblings by name).

A node is found by its partner id (the index's internal id), so `index`, `parent` and
`rowCount` are dictionary look-ups: two thousand partners cost nothing to show, and
the view asks only for the rows it expands. Search keeps the partners whose name or
code matches, with their uplines so each stays where it is in the tree.
"""

from __future__ import annotations

from typing import Any, overload

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.commissions.performance import Amounts, TreeRow
from app.money import format_money

COLUMNS = ("Partner", "Code", "Clients", "Month to date", "Status")
HEADER_TIPS = {3: "Commission earned from the 1st of the month to the date the tree is "
                  "shown as on.", 2: "Clients referred by the partner."}
NUMBERS = (2, 3)
MUTED = QColor("#6b6b6b")
ID_ROLE = Qt.ItemDataRole.UserRole
Index = QModelIndex | QPersistentModelIndex


def amounts_text(amounts: Amounts, empty: str = "—") -> str:
    return ", ".join(format_money(a, c) for c, a in amounts) or empty


def level_text(level: int) -> str:
    return "Top of the tree" if level == 0 else f"Level {level} below the top"


class PartnerTreeModel(QAbstractItemModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[int, TreeRow] = {}
        self.order: list[int] = []
        self.search = ""
        self._kids: dict[int, list[int]] = {0: []}   # 0: the invisible root
        self._up: dict[int, int] = {}
        self._pos: dict[int, int] = {}

    # -- contents ---------------------------------------------------------------------
    def set_rows(self, rows: list[TreeRow]) -> None:
        self.rows = {r.id: r for r in rows}
        self.order = [r.id for r in rows]
        self._rebuild()

    def set_search(self, text: str) -> None:
        if text.strip() != self.search:
            self.search = text.strip()
            self._rebuild()

    def matches(self) -> list[int]:
        needle = self.search.casefold()
        return [pid for pid in self.order if needle in self.rows[pid].name.casefold()
                or needle in self.rows[pid].code.casefold()] if needle else list(self.order)

    def _rebuild(self) -> None:
        self.beginResetModel()
        shown = set(self.matches())
        if self.search:  # keep each match's uplines, so it stays where it is
            for pid in list(shown):
                up = self.rows[pid].parent_id
                while up is not None and up in self.rows and up not in shown:
                    shown.add(up)
                    up = self.rows[up].parent_id
        kids: dict[int, list[int]] = {0: []}
        up_of: dict[int, int] = {}
        for pid in self.order:   # rows come uplines first, siblings in order
            if pid not in shown:
                continue
            parent = self.rows[pid].parent_id
            key = parent if parent is not None and parent in kids else 0
            up_of[pid] = key
            kids.setdefault(key, []).append(pid)
            kids.setdefault(pid, [])
        self._kids, self._up = kids, up_of
        self._pos = {pid: n for ids in kids.values() for n, pid in enumerate(ids)}
        self.endResetModel()

    def shown(self) -> int:
        return len(self._up)

    def partner_at(self, index: Index) -> TreeRow | None:
        return self.rows.get(index.internalId()) if index.isValid() else None

    def index_of(self, partner_id: int) -> QModelIndex:
        if partner_id not in self._up:
            return QModelIndex()
        return self.createIndex(self._pos[partner_id], 0, partner_id)

    # -- Qt model API -----------------------------------------------------------------
    def _id(self, index: Index) -> int:
        return index.internalId() if index.isValid() else 0

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        ids = self._kids.get(self._id(parent), [])
        if not (0 <= row < len(ids) and 0 <= column < len(COLUMNS)):
            return QModelIndex()
        return self.createIndex(row, column, ids[row])

    @overload
    def parent(self) -> QObject | None: ...
    @overload
    def parent(self, child: Index) -> QModelIndex: ...
    def parent(self, child: Index | None = None) -> QObject | QModelIndex | None:
        if child is None:
            return super().parent()
        if not child.isValid():
            return QModelIndex()
        up = self._up.get(child.internalId(), 0)
        return QModelIndex() if up == 0 else self.createIndex(self._pos[up], 0, up)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._kids.get(self._id(parent), ()))

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return self.rowCount(parent) > 0

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.partner_at(index)
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.name, row.code, f"{row.clients:,}", amounts_text(row.commission),
                    "Active" if row.active else "Inactive")[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return f"{row.name} ({row.code}) · {level_text(row.level)}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMBERS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and not row.active:
            return MUTED
        if role == ID_ROLE:
            return row.id
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(COLUMNS)):
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS.get(section)
        if (orientation == Qt.Orientation.Horizontal
                and role == Qt.ItemDataRole.TextAlignmentRole and section in NUMBERS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
