"""Payments: the withdrawal queue with each withdrawal's checks and decision, every
deposit and withdrawal on the desk, and "New payment…" for a clerk.

The queue is read again after each decision and when the sync engine lands new data
(a provider moving a payment, a withdrawal arriving from the client portal), at most
every few seconds and only while the page is on screen, so a busy stream does not
keep the database worker reading a list nobody looks at."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QFont, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.queries import catalogue
from app.roles import Permission
from app.services import payments
from app.services.payments import QueueRow
from app.services.workspace import Desk
from sync.engine import SyncStatus
from ui.dialogs.payment_request import PaymentRequestDialog
from ui.messages import user_message
from ui.views.client.format import when
from ui.views.list_page import ListPage
from ui.views.payments_decision import AMBER, GREEN, RED, DecisionPanel, waiting_text
from ui.widgets.tables import fill_table, read_only_table
from ui.worker import DbWorker

# Checks and approval come right after the amount: they are what the officer scans
# for, and the long payee column must not push them off screen.
QUEUE_COLUMNS = ("Requested", "Client", "Amount", "Checks", "Approval", "Account",
                 "Method / payee", "Requested by")
CHECKS_COLUMN = QUEUE_COLUMNS.index("Checks")
APPROVAL_COLUMN = QUEUE_COLUMNS.index("Approval")
SYNC_REFRESH_MS = 3000


def _names(found: tuple[str, ...]) -> str:
    return ", ".join(text.split(":", 1)[0] for text in found)


def marker(row: QueueRow) -> tuple[str, str]:
    """The checks column: the word says it, the colour repeats it."""
    if row.blocked:
        return f"Blocked: {_names(row.blocked)}", RED
    if row.warnings:
        return f"Warning: {_names(row.warnings)}", AMBER
    return "Clear", GREEN


class WithdrawalQueue(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.rows: list[QueueRow] = []
        self.waiting: dict[str, str] = {}
        self.title = QLabel("Withdrawals waiting for a decision")
        self.title.setObjectName("sectionTitle")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        self.table = read_only_table(QUEUE_COLUMNS)
        self.table.itemSelectionChanged.connect(self._selected)
        self.panel = DecisionPanel(desk, worker)
        self.panel.decided.connect(lambda _said: self.refresh())
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.title)
        column.addWidget(self.message)
        column.addWidget(self.table, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.panel)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([700, 460])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    def refresh(self) -> None:
        desk = self.desk
        self.worker.submit(lambda: (payments.withdrawal_queue(desk),
                                    payments.pending_decisions(desk)),
                           lambda found: self._fill(*found), self._failed, owner=self)

    def _fill(self, rows: list[QueueRow], waiting: dict[str, str]) -> None:
        keep = self.panel.payment_id
        self.rows, self.waiting = rows, waiting
        self.table.blockSignals(True)  # refilling must not drop a note being written
        fill_table(self.table, [
            (when(r.created_at), r.client, r.amount, marker(r)[0], self._state(r),
             "" if r.login is None else str(r.login),
             f"{r.method.replace('_', ' ')} · {r.provider} · {r.payee or '—'}",
             r.requested_by) for r in rows], right=(2,))
        bold = QFont(self.table.font())
        bold.setBold(True)
        for n, row in enumerate(rows):
            item = self.table.item(n, CHECKS_COLUMN)
            assert item is not None  # fill_table set every cell
            item.setForeground(QColor(marker(row)[1]))
            item.setFont(bold)
            item.setToolTip("\n".join(row.blocked + row.warnings))
        self.table.resizeColumnToContents(CHECKS_COLUMN)  # bold is wider than measured
        again = next((n for n, r in enumerate(rows) if r.payment_id == keep), None)
        if again is not None:
            self.table.selectRow(again)
        self.table.blockSignals(False)
        self.title.setText(f"Withdrawals waiting for a decision ({len(rows):,}), oldest first"
                           if rows else "No withdrawals are waiting for a decision.")
        self.message.hide()
        self._selected()

    def _state(self, row: QueueRow) -> str:
        decision = self.waiting.get(row.external_id)
        return waiting_text(decision) if decision else row.state

    def current_row(self) -> QueueRow | None:
        chosen = self.table.selectionModel().selectedRows()
        n = chosen[0].row() if chosen else -1
        return self.rows[n] if 0 <= n < len(self.rows) else None

    def select(self, payment_id: int) -> None:
        n = next(i for i, r in enumerate(self.rows) if r.payment_id == payment_id)
        self.table.selectRow(n)

    def _selected(self) -> None:
        row = self.current_row()
        self.panel.show_row(row, self.waiting.get(row.external_id, "") if row else "")

    def _failed(self, error: BaseException) -> None:
        self.message.setStyleSheet(f"color: {RED};")
        self.message.setText(user_message(error))
        self.message.show()


class PaymentsPage(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-payments")
        self.desk, self.worker = desk, worker
        self.can_request = desk.actor.can(Permission.REQUEST_PAYMENTS)
        self.dialog: PaymentRequestDialog | None = None
        self._seen: tuple[object, ...] = ()
        self._stale = False
        title = QLabel("Payments")
        title.setObjectName("pageTitle")
        self.new_button = QPushButton("New payment…")
        self.new_button.setToolTip("Record a deposit or ask for a withdrawal for a trading "
                                   "account.")
        self.new_button.setVisible(self.can_request)
        self.new_button.clicked.connect(lambda: self.new_payment())
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.new_button)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        # Compliance staff neither ask for nor decide payments: they keep the plain list.
        works = self.can_request or desk.actor.can(Permission.APPROVE_PAYMENTS)
        self.queue = WithdrawalQueue(desk, worker) if works else None
        self.list = ListPage("All deposits and withdrawals", catalogue.PAYMENTS, desk.store,
                             worker, empty_text="No deposits or withdrawals recorded yet.")
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        if self.queue is not None:
            self.tabs.addTab(self.queue, "Withdrawals to decide")
        self.tabs.addTab(self.list, "All payments")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        self._sync_timer = QTimer(self)
        self._sync_timer.setSingleShot(True)
        self._sync_timer.setInterval(SYNC_REFRESH_MS)
        self._sync_timer.timeout.connect(self._sync_landed)

    def refresh(self) -> None:
        self._stale = False
        if self.queue is not None:
            self.queue.refresh()
        self.list.refresh()

    def new_payment(self, logins: Sequence[int] = ()) -> PaymentRequestDialog:
        if self.dialog is not None:
            self.dialog.deleteLater()
        dialog = PaymentRequestDialog(self.desk, self.worker, logins=logins, parent=self)
        dialog.sent.connect(lambda _pid, said: self._sent(said))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _sent(self, said: str) -> None:
        self.message.setText(said)
        self.message.show()
        self.refresh()

    def set_sync_status(self, status: SyncStatus) -> None:
        """From the window on every sync report; new data is read once things settle."""
        landed = (status.last_sync, status.frames, status.records)
        if landed != self._seen:
            self._seen = landed
            if not self._sync_timer.isActive():
                self._sync_timer.start()

    def _sync_landed(self) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()
