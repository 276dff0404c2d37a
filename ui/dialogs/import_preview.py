"""The rows of a client import preview as a table: what was read, what will happen to
each row, and its problems, with the rows and cells in trouble coloured."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from app.crm.client_import import ImportPreview, ImportRow

Index = QModelIndex | QPersistentModelIndex

# (header, the preview's field name); the file's own column names vary (see import_file).
COLUMNS = (("Line", ""), ("Result", ""), ("Problems", ""), ("Kind", "kind"),
           ("First name", "first_name"),
           ("Last name", "last_name"), ("Company", "company_name"), ("Email", "email"),
           ("Phone", "phone"), ("Country", "country"), ("Date of birth", "date_of_birth"),
           ("Segment", "segment"), ("Status", "status"), ("Manager", "manager"),
           ("Tags", "tags"))
PROBLEMS = 2  # the column that says what is wrong
PROBLEM_ROW = QColor("#fbe3e4")
PROBLEM_CELL = QColor("#f1a9ad")
DUPLICATE_ROW = QColor("#fff1c7")
DARK_TEXT = QColor("#1f1f1f")


def result_text(row: ImportRow) -> str:
    if row.data is None:
        return "Not imported: fix the file"
    if row.duplicate:
        return "Skipped: already here"
    return "Will be imported"


def problems_text(row: ImportRow) -> str:
    if row.problems:
        return " ".join(f"{p.field.replace('_', ' ')}: {p.message}" for p in row.problems)
    return row.duplicate


class ImportPreviewModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[ImportRow] = []
        self.shown: list[int] = []
        self.only_attention = False

    def set_preview(self, preview: ImportPreview | None) -> None:
        self.beginResetModel()
        self.rows = [] if preview is None else list(preview.rows)
        self._select()
        self.endResetModel()

    def set_only_attention(self, on: bool) -> None:
        """Show only rows that will not be imported (problems and duplicates)."""
        self.beginResetModel()
        self.only_attention = on
        self._select()
        self.endResetModel()

    def _select(self) -> None:
        self.shown = [i for i, r in enumerate(self.rows)
                      if not self.only_attention or not r.importable]

    def row_at(self, row: int) -> ImportRow:
        return self.rows[self.shown[row]]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.shown)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        title, field = COLUMNS[index.column()]
        bad_fields = {p.field for p in row.problems}
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if role == Qt.ItemDataRole.ToolTipRole and not row.importable:
                return problems_text(row)
            if title == "Line":
                return str(row.line)
            if title == "Result":
                return result_text(row)
            if title == "Problems":
                return problems_text(row)
            return row.values.get(field, "")
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.data is None:
                return QBrush(PROBLEM_CELL if field and field in bad_fields else PROBLEM_ROW)
            if row.duplicate:
                return QBrush(DUPLICATE_ROW)
            return None
        if role == Qt.ItemDataRole.ForegroundRole and not row.importable:
            return QBrush(DARK_TEXT)  # readable on the light colours in a dark theme too
        if role == Qt.ItemDataRole.TextAlignmentRole and title == "Line":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section][0]
        return None
