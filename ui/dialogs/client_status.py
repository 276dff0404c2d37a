"""Move a client along the lifecycle, with a reason kept in the audit log (required when
closing a client who still has money on an account). The service checks the rules."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.crm.lifecycle import StatusOption, change_status, label
from app.models.crm import ClientStatus
from app.services.workspace import Desk
from ui.messages import user_message
from ui.worker import DbWorker


class StatusChangeDialog(QDialog):
    changed = Signal(int)  # the client's new version

    def __init__(self, desk: Desk, worker: DbWorker, *, client_id: int, name: str,
                 current: ClientStatus, option: StatusOption, version: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.client_id, self.option, self.version = client_id, option, version
        new = option.status
        self.setWindowTitle(f"Make {label(new)}")
        question = QLabel(f"Change {name} from {label(current)} to {label(new)}?")
        question.setWordWrap(True)
        self.reason = QLineEdit()
        if new is ClientStatus.CLOSED and option.needs_reason:
            why = QLabel("The client still has money on a trading account. Closing anyway "
                         "needs a reason, kept in the audit log and on the client.")
            self.reason.setPlaceholderText("Reason (required)")
        else:
            why = QLabel("A reason is optional; it is kept in the audit log.")
            self.reason.setPlaceholderText("Reason (optional)")
        why.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(f"Make {label(new)}")
        self.buttons.accepted.connect(self.run)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (question, why, self.reason, self.error, self.buttons):
            layout.addWidget(w)
        self.setMinimumWidth(460)

    def run(self) -> None:
        reason = self.reason.text().strip()
        if self.option.needs_reason and not reason:
            self._show("Write why the client is closed while money is still on the account.")
            return
        desk, cid, new, version = self.desk, self.client_id, self.option.status, self.version
        self.buttons.setEnabled(False)
        self.worker.submit(lambda: change_status(desk, cid, new, reason=reason,
                                                 expected_version=version),
                           self._done, self._failed, owner=self)

    def _done(self, version: int) -> None:
        self.changed.emit(version)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self._show(user_message(error))

    def _show(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
