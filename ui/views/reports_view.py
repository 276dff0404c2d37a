"""Reports: the library of PDF reports (filled in by the reporting issue)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class ReportsPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-reports")
        title = QLabel("Reports")
        title.setObjectName("pageTitle")
        empty = QLabel("No reports have been generated in this workspace yet.\n"
                       "Client statements, commission statements and compliance reports "
                       "will be listed here once they are run.")
        empty.setObjectName("emptyState")
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(empty, 1)

    def refresh(self) -> None:
        """Nothing to load yet."""
