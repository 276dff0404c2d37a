"""Asks for the reason before a journal entry is reversed (the reason is kept with the
reversal and in the audit log); the reversal itself runs in the ledger service."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.ledger.views import EntryDetail
from app.money import format_money


class ReverseDialog(QDialog):
    def __init__(self, entry: EntryDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self.setWindowTitle(f"Reverse journal entry #{entry.id}")
        moved = ", ".join(format_money(line.amount, line.currency)
                          for line in entry.lines if line.amount > 0)
        what = QLabel(f"<b>{escape(entry.memo)}</b><br>"
                      f"Posted {entry.posted_at:%Y-%m-%d %H:%M} UTC; "
                      f"debits {moved}.<br><br>A reversing entry with the opposite postings "
                      "will be posted now. The original stays in the journal unchanged.")
        what.setTextFormat(Qt.TextFormat.RichText)
        what.setWordWrap(True)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("Why is this entry reversed? (required, kept with the "
                                       "reversal and in the audit log)")
        self.reason.setMaximumHeight(90)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Reverse entry")
        self.ok.setEnabled(False)
        self.reason.textChanged.connect(
            lambda: self.ok.setEnabled(bool(self.reason.toPlainText().strip())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addWidget(QLabel("Reason"))
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)
        self.resize(460, 260)

    def reason_text(self) -> str:
        return self.reason.toPlainText().strip()
