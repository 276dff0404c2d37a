"""The reports generated in this workspace, newest first, as the audit log records
them (report.* entries): when, who, which report, previewed or saved, and where."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.services.report_library import HistoryLine
from ui.widgets.tables import fill_table, read_only_table

COLUMNS = ("When (UTC)", "Who", "Report", "How", "Period", "Pages", "File")


def row_of(line: HistoryLine) -> tuple[str, ...]:
    return (f"{line.at:%Y-%m-%d %H:%M}", line.who, line.title,
            "Preview" if line.preview else "Saved", line.period,
            "" if line.pages is None else str(line.pages), line.file)


class ReportHistory(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Reports generated in this workspace")
        self.title.setObjectName("sectionTitle")
        self.table = read_only_table(COLUMNS)
        self.lines: list[HistoryLine] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)

    def fill(self, lines: list[HistoryLine]) -> None:
        self.lines = lines
        fill_table(self.table, [row_of(x) for x in lines], right=(5,))
        self.title.setText(f"Reports generated in this workspace, newest first ({len(lines)})"
                           if lines else "No report has been generated in this workspace yet.")
