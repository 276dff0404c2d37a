"""Sync: the connection, the outbox (retry, discard, resolve conflicts) and a log of
what the sync could not take, in plain words."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.models.sync_state import OutboxCommand
from app.queries import catalogue
from app.roles import Permission
from app.services import outbox
from app.services.workspace import Desk
from sync.engine import SyncStatus
from sync.resolve import take_theirs
from ui.sync_controller import status_line
from ui.views.list_page import ListPage
from ui.worker import DbWorker


class SyncPage(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, status: SyncStatus,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.state = QLabel()
        self.state.setObjectName("syncState")
        self.state.setWordWrap(True)
        self.details = QLabel()
        self.details.setObjectName("syncDetails")
        self.list = ListPage("Outbox", catalogue.OUTBOX, desk.store, worker,
                             empty_text="The outbox is empty: nothing is waiting to be sent.")
        self.retry_button = QPushButton("Retry now")
        self.discard_button = QPushButton("Discard…")
        self.discard_button.setVisible(desk.actor.can(Permission.DISCARD_OUTBOX))
        self.resolve_button = QPushButton("Resolve conflict…")
        for button in (self.retry_button, self.resolve_button, self.discard_button):
            button.setEnabled(False)
            self.list.toolbar.addWidget(button)
        self.retry_button.clicked.connect(self.retry)
        self.discard_button.clicked.connect(self.discard)
        self.resolve_button.clicked.connect(self.resolve)
        self.list.current_changed.connect(lambda _key: self._selected())
        self.errors = ListPage("What the sync could not take", catalogue.SYNC_ERRORS,
                               desk.store, worker,
                               empty_text="No sync problems so far.")
        self.message = QLabel()
        self.message.setObjectName("syncMessage")
        self.message.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.list)
        split.addWidget(self.errors)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.state)
        layout.addWidget(self.details)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)
        self.set_status(status)

    def set_status(self, status: SyncStatus) -> None:
        self.state.setText(status_line(status))
        cursor = status.cursor[-12:] if status.cursor else "none yet"
        self.details.setText(
            f"Cursor …{cursor} · stream seq {status.last_seq:,} · last pull "
            f"{status.records:,} records at {status.rate:,.0f}/s · {status.frames:,} live "
            "frames applied")

    def refresh(self) -> None:
        self.list.refresh()
        self.errors.refresh()

    def _row(self) -> OutboxCommand | None:
        key = self.list.current_key()
        if key is None:
            return None
        with self.desk.store.read() as s:
            row = s.get(OutboxCommand, key)
            if row is not None:
                s.expunge(row)
            return row

    def _selected(self) -> None:
        self.worker.submit(self._row, self._enable, owner=self)

    def _enable(self, row: OutboxCommand | None) -> None:
        status = row.status.value if row else ""
        self.retry_button.setEnabled(status == "pending")
        self.discard_button.setEnabled(status in ("pending", "rejected", "conflict"))
        self.resolve_button.setEnabled(status == "conflict")

    def _done(self, text: str) -> None:
        self.message.setText(text)
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.message.setText(getattr(exc, "message", str(exc)))

    def retry(self) -> None:
        key = self.list.current_key()
        if key is not None:
            self.worker.submit(lambda: outbox.retry(self.desk, key),
                               lambda _r: self._done("It will be sent on the next attempt."),
                               self._failed, owner=self)

    def discard(self) -> None:
        key = self.list.current_key()
        if key is None:
            return
        why, ok = QInputDialog.getText(self, "Discard command",
                                       "Why is this command discarded? (kept in the audit log)")
        if ok:
            self.worker.submit(lambda: outbox.discard(self.desk, key, why),
                               lambda _r: self._done("Discarded; the local change was put back."),
                               self._failed, owner=self)

    def resolve(self) -> None:
        self.worker.submit(self._row, self._resolve, self._failed, owner=self)

    def _resolve(self, row: OutboxCommand | None) -> None:
        if row is None or row.conflict is None:
            return
        dialog = ConflictDialog(row.payload, row.conflict, self)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.choice is None:
            return
        key = row.id
        if dialog.choice == "mine":
            self.worker.submit(
                lambda: outbox.resolve_conflict(self.desk, key, keep_mine=True),
                lambda _r: self._done("Your version will be sent on top of theirs."),
                self._failed, owner=self)
        else:
            self.worker.submit(lambda: take_theirs(self.desk, key),
                               lambda _r: self._done("Their version is kept here too."),
                               self._failed, owner=self)


class ConflictDialog(QDialog):
    """Ours beside theirs; a person picks. Money is never merged automatically."""

    def __init__(self, ours: dict[str, Any], theirs: dict[str, Any],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Two desks changed the same record")
        self.choice: str | None = None
        mine = ours.get("data", ours)
        other = theirs.get("data") or {}
        left, right = QPlainTextEdit(_pretty(mine)), QPlainTextEdit(_pretty(other))
        for box in (left, right):
            box.setReadOnly(True)
        row = QHBoxLayout()
        for title, box in (("This desk's version", left),
                           (f"The gateway's version {theirs.get('version', '')}", right)):
            column = QVBoxLayout()
            column.addWidget(QLabel(title))
            column.addWidget(box)
            row.addLayout(column)
        changed = sorted(k for k in set(mine) | set(other) if mine.get(k) != other.get(k))
        note = QLabel("Different: " + (", ".join(changed) if changed else "nothing"))
        note.setObjectName("conflictFields")
        buttons = QDialogButtonBox()
        keep = buttons.addButton("Keep mine", QDialogButtonBox.ButtonRole.AcceptRole)
        take = buttons.addButton("Take theirs", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        keep.clicked.connect(lambda: self._pick("mine"))
        take.clicked.connect(lambda: self._pick("theirs"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(760, 420)

    def _pick(self, choice: str) -> None:
        self.choice = choice
        self.accept()


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
