"""One withdrawal's checks and the decision on it: every check with its outcome in
words (colour only repeats the word), who has approved so far, a note, Approve and
Reject. Clerks see the same checks so nobody has to guess why a withdrawal waits;
only finance approvers get the buttons (the service refuses everyone else anyway)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.payments.checks import Checks, Outcome
from app.roles import Permission
from app.services import payments
from app.services.payments import ApprovalState, QueueRow
from app.services.workspace import Desk
from ui.dialogs.reason import ReasonDialog
from ui.messages import user_message
from ui.views.client.format import when
from ui.worker import DbWorker

RED, AMBER, GREEN = "#b3261e", "#8a5a00", "#1e7b34"
OUTCOME_WORDS = {Outcome.BLOCK: ("Blocked", RED), Outcome.WARN: ("Warning", AMBER),
                 Outcome.CLEAR: ("Clear", GREEN)}
NOTHING_CHOSEN = "Select a withdrawal to see its checks."


def waiting_text(decision: str) -> str:
    return ("Rejected here; the rejection waits to reach the gateway." if decision == "reject"
            else "Approved; waiting to reach the gateway.")


def checks_html(found: Checks) -> str:
    rows = []
    for check in found.items:
        word, colour = OUTCOME_WORDS[check.outcome]
        rows.append(f"<tr><td><b>{escape(check.name)}</b>&nbsp;&nbsp;</td>"
                    f"<td style='color:{colour}'><b>{word}</b>&nbsp;&nbsp;</td>"
                    f"<td>{escape(check.detail)}</td></tr>")
    return f"<table cellspacing='3'>{''.join(rows)}</table>"


def reject_dialog(row: QueueRow, parent: QWidget | None = None) -> ReasonDialog:
    return ReasonDialog(
        "Reject withdrawal",
        f"Reject the withdrawal of {row.amount} for {row.client}? The client is told the "
        "reason.", "Why, e.g. the payee account is not in the client's name",
        "Reject withdrawal", parent)


class DecisionPanel(QWidget):
    decided = Signal(str)  # what happened, in words

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.can_approve = desk.actor.can(Permission.APPROVE_PAYMENTS)
        self.row: QueueRow | None = None
        self.waiting = ""  # a decision made here that has not reached the gateway
        self.reject_dialog: ReasonDialog | None = None
        self.title = QLabel(NOTHING_CHOSEN)
        self.title.setObjectName("detailTitle")
        self.title.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.checks = QLabel()
        self.checks.setWordWrap(True)
        self.checks.setTextFormat(Qt.TextFormat.RichText)
        self.checks.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.state = QLabel()
        self.state.setObjectName("approvalState")
        self.state.setWordWrap(True)
        self.note = QLineEdit()
        self.approve_button = QPushButton("Approve")
        self.reject_button = QPushButton("Reject…")
        self.reject_button.setObjectName("dangerButton")
        self.approve_button.clicked.connect(self.approve)
        self.reject_button.clicked.connect(self.ask_reject)
        self.who_decides = QLabel("Finance officers approve or reject withdrawals; the "
                                  "checks above say what they will see.")
        self.who_decides.setWordWrap(True)
        self.who_decides.setVisible(not self.can_approve)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.reject_button)
        buttons.addWidget(self.approve_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.checks)
        layout.addWidget(self.state)
        layout.addWidget(self.who_decides)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addStretch(1)
        for label in (self.title, self.summary, self.state, self.message):
            label.setTextFormat(Qt.TextFormat.PlainText)  # names and reasons are data
        for w in (self.note, self.approve_button, self.reject_button):
            w.setVisible(self.can_approve)
        self.show_row(None)

    @property
    def payment_id(self) -> int | None:
        return None if self.row is None else self.row.payment_id

    def show_row(self, row: QueueRow | None, waiting: str = "") -> None:
        if row is None or row.payment_id != self.payment_id:
            self.note.clear()  # a note is about one withdrawal only
            self.message.clear()
            self.checks.setText("Loading the checks…" if row else "")
        self.row, self.waiting = row, waiting
        self._enable()
        self.who_decides.setVisible(not self.can_approve and row is not None)
        if row is None:
            self.title.setText(NOTHING_CHOSEN)
            self.summary.clear()
            self.state.clear()
            return
        if waiting:  # known already: no stale "Waiting for approval" while checks load
            self.state.setText(waiting_text(waiting))
        self.title.setText(f"{row.client}: {row.amount}")
        account = f"account {row.login}" if row.login is not None else "no trading account"
        self.summary.setText(f"From {account} by {row.method.replace('_', ' ')} via "
                             f"{row.provider} to {row.payee or '—'}. Requested by "
                             f"{row.requested_by}, {when(row.created_at)}.")
        self.note.setPlaceholderText(
            "Say why it may go ahead despite the warnings (required to approve)"
            if row.warnings else "Note for the audit log (optional)")
        desk, pid = self.desk, row.payment_id
        self.worker.submit(lambda: (payments.checks(desk, pid),
                                    payments.approval_state(desk, pid)),
                           lambda found: self._show_checks(pid, *found), self._failed,
                           owner=self)

    def _show_checks(self, payment_id: int, found: Checks, state: ApprovalState) -> None:
        if payment_id != self.payment_id:
            return
        self.checks.setText(checks_html(found))
        text = waiting_text(self.waiting) if self.waiting else state.describe()
        if state.usd_minor is not None and not self.waiting:
            text += (" Needs two approvers (above the single-approval amount)."
                     if state.needed == 2 else " One approver is enough.")
        if found.blocked:
            text += " Cannot be approved until the blocked checks clear."
        self.state.setText(text)

    def _enable(self, busy: bool = False) -> None:
        row = self.row
        open_ = row is not None and not self.waiting and not busy
        self.approve_button.setEnabled(open_ and row is not None and not row.blocked)
        self.reject_button.setEnabled(open_)
        self.note.setEnabled(open_)
        self.approve_button.setToolTip(
            "Every blocked check must clear first." if row is not None and row.blocked
            else "")

    # -- decisions ------------------------------------------------------------------------

    def approve(self) -> None:
        row = self.row
        if row is None:
            return
        desk, note = self.desk, self.note.text()
        self._enable(busy=True)
        self.say("Recording the approval…")
        self.worker.submit(lambda: payments.approve_withdrawal(desk, row.payment_id, note),
                           lambda said: self._done(row, said), self._failed, owner=self)

    def ask_reject(self) -> None:
        row = self.row
        if row is None:
            return
        if self.reject_dialog is not None:
            self.reject_dialog.deleteLater()
        dialog = reject_dialog(row, self)
        dialog.accepted.connect(lambda: self._reject(row, dialog.reason_text()))
        self.reject_dialog = dialog
        dialog.open()

    def _reject(self, row: QueueRow, reason: str) -> None:
        desk = self.desk
        self._enable(busy=True)
        self.say("Recording the rejection…")
        self.worker.submit(lambda: payments.reject_withdrawal(desk, row.payment_id, reason),
                           lambda _r: self._done(row, "Rejected; the client is told why "
                                                 "once the gateway has it."),
                           self._failed, owner=self)

    def _done(self, row: QueueRow, said: str) -> None:
        self.note.clear()
        self.say(f"{said} ({row.client}, {row.amount})")
        self.decided.emit(said)

    def say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {RED};" if error else "")
        self.message.setText(text)

    def _failed(self, error: BaseException) -> None:
        self._enable()
        self.say(user_message(error), error=True)
