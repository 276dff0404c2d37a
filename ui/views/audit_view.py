"""Audit: the log, newest first, a button that verifies the hash chain, and record
retention (what is kept how long, and the purge)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from app import audit
from app.queries import catalogue
from app.roles import Permission, require
from app.services.workspace import Desk
from ui.dialogs.retention import RetentionDialog
from ui.views.list_page import ListPage
from ui.worker import DbWorker


class AuditPage(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.list = ListPage("Audit log", catalogue.AUDIT, desk.store, worker,
                             empty_text="The audit log is empty.")
        self.verify_button = QPushButton("Verify chain")
        self.verify_button.setVisible(desk.actor.can(Permission.VERIFY_AUDIT))
        self.verify_button.clicked.connect(self.verify)
        self.list.toolbar.addWidget(self.verify_button)
        # Everyone may read the periods; the dialog offers changes to administrators only.
        self.retention_button = QPushButton("Record retention…")
        self.retention_button.clicked.connect(self.open_retention)
        self.list.toolbar.addWidget(self.retention_button)
        self.result = QLabel()
        self.result.setObjectName("verifyResult")
        self.result.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.result)

    def refresh(self) -> None:
        self.list.refresh()

    def open_retention(self) -> RetentionDialog:
        dialog = RetentionDialog(self.desk, self.worker, self)
        dialog.purged.connect(lambda _text: self.list.refresh())
        dialog.open()
        return dialog

    def verify(self) -> None:
        desk = self.desk
        self.verify_button.setEnabled(False)
        self.result.setText("Verifying…")

        def job() -> audit.VerifyResult:
            require(desk.actor, Permission.VERIFY_AUDIT)
            with desk.store.read() as s:
                return audit.verify(s)

        self.worker.submit(job, self._show, lambda e: self._show_text(str(e)), owner=self)

    def _show(self, r: audit.VerifyResult) -> None:
        self.result.setProperty("ok", r.ok)
        self._show_text(("✔ " if r.ok else "✖ ") + r.message)

    def _show_text(self, text: str) -> None:
        self.verify_button.setEnabled(True)
        self.result.setText(text)
