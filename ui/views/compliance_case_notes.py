"""A case's notes and attached files, on its card. Both stay on this desk (the gateway's
case record has no place for them) and are shown only to those who work cases."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.compliance import attachments, cases
from app.compliance.attachments import AttachmentFile
from app.compliance.views import CaseCard
from app.services.workspace import Desk
from ui.dialogs.case_attachment import AttachmentDialog
from ui.views.partners_card import section
from ui.widgets.tables import fill_table, read_only_table
from ui.worker import DbWorker

FILE_COLUMNS = ("File", "Type", "Size", "Added by", "Added")
Run = Callable[[Callable[[], object], str], None]  # a change on the worker, and its words


def notes_html(card: CaseCard) -> str:
    if not card.notes:
        return "<i>No notes yet.</i>"
    return "".join(f"<p><b>{escape(n.author)}</b>, {n.at:%Y-%m-%d %H:%M} UTC<br>"
                   f"{escape(n.body).replace(chr(10), '<br>')}</p>" for n in card.notes)


class CaseWorkPanel(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, run: Run,
                 show: Callable[[QDialog], QDialog], fail: Callable[[BaseException], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.run, self.show_dialog, self.fail = run, show, fail
        self.card: CaseCard | None = None
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setTextFormat(Qt.TextFormat.RichText)
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("Write a note: what was asked, seen or decided…")
        self.note.setFixedHeight(64)
        self.add_note_button = QPushButton("Add note")
        self.add_note_button.clicked.connect(lambda: self.add_note())
        self.files = read_only_table(FILE_COLUMNS)
        self.attach_button = QPushButton("Attach file…")
        self.attach_button.clicked.connect(lambda: self.ask_attach())
        self.view_button = QPushButton("View")
        self.view_button.clicked.connect(lambda: self.view_attachment())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(section("Notes (kept on this desk)"))
        layout.addWidget(self.notes)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note, 1)
        note_row.addWidget(self.add_note_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(note_row)
        layout.addWidget(section("Attached files (kept on this desk)"))
        layout.addWidget(self.files)
        file_row = QHBoxLayout()
        file_row.addWidget(self.attach_button)
        file_row.addWidget(self.view_button)
        file_row.addStretch(1)
        layout.addLayout(file_row)

    def fill(self, card: CaseCard) -> None:
        self.card = card
        self.notes.setText(notes_html(card))
        fill_table(self.files, [(f.file_name, f.mime_type, f"{f.size / 1024:,.0f} KB",
                                 f.added_by, f"{f.added_at:%Y-%m-%d %H:%M}")
                                for f in card.attachments])
        self.files.setFixedHeight(30 + 26 * min(max(len(card.attachments), 1), 5))
        self.view_button.setEnabled(bool(card.attachments))

    def add_note(self) -> None:
        body = self.note.toPlainText()
        if (card := self.card) is not None and body.strip():
            desk = self.desk
            self.note.clear()
            self.run(lambda: cases.add_note(desk, card.id, body), "Note added.")

    def ask_attach(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Attach a file", "",
                                              "Photos and PDFs (*.pdf *.png *.jpg *.jpeg "
                                              "*.tif *.tiff *.webp);;All files (*)")
        if path:
            self.attach(Path(path))

    def attach(self, path: Path) -> None:
        if (card := self.card) is not None:
            desk = self.desk
            self.run(lambda: attachments.add_attachment(desk, card.id, path),
                     f"Attached {path.name} to the case “{card.title}”.")

    def view_attachment(self, row: int | None = None) -> None:
        if self.card is None or not self.card.attachments:
            return
        if row is None:
            rows = self.files.selectionModel().selectedRows()
            row = rows[0].row() if rows else 0
        chosen, desk = self.card.attachments[row].id, self.desk
        self.worker.submit(lambda: attachments.attachment_file(desk, chosen),
                           self._view, self.fail, owner=self)

    def _view(self, file: AttachmentFile) -> None:
        self.show_dialog(AttachmentDialog(file, self))
