"""The Fusion style (it follows the system's light or dark palette) and a few named styles."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

STYLE = """
QLabel#pageTitle { font-size: 16pt; font-weight: 600; }
QLabel#detailTitle { font-size: 13pt; font-weight: 600; }
QLabel#tileValue { font-size: 22pt; font-weight: 600; }
QFrame#tile { border-radius: 6px; padding: 8px; }
QLabel#emptyState { color: palette(mid); font-size: 12pt; padding: 40px; }
QLabel#formError { color: #c0392b; }
QLabel#formError[busy="true"] { color: palette(text); }
QListWidget#navigation { font-size: 11pt; }
QListWidget#navigation::item { padding: 6px 10px; }
"""


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    app.setStyleSheet(STYLE)
