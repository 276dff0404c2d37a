"""Audit: the log, newest first, and a button that verifies the hash chain."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from app import audit
from app.queries import catalogue
from app.roles import Permission, require
from app.services.workspace import Desk
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
        self.result = QLabel()
        self.result.setObjectName("verifyResult")
        self.result.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.result)

    def refresh(self) -> None:
        self.list.refresh()

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
