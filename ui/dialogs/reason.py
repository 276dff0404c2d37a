"""Asking why before a refusal: the reason is required and kept (and often told to the
client or the partner), so it is asked for on its own."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)


class ReasonDialog(QDialog):
    def __init__(self, title: str, question: str, example: str, button: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        asked = QLabel(question)
        asked.setTextFormat(Qt.TextFormat.PlainText)
        asked.setWordWrap(True)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText(example)
        self.reason.setFixedHeight(80)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.reject_button = self.buttons.addButton(button,
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.reject_button.setEnabled(False)
        self.reason.textChanged.connect(
            lambda: self.reject_button.setEnabled(bool(self.reason_text())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(asked)
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)

    def reason_text(self) -> str:
        return self.reason.toPlainText().strip()
