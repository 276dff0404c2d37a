"""The KYC work queues: periodic reviews falling due and documents about to expire.
Each row opens its case; a sweep marks documents past their expiry date."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.kyc import periodic
from app.kyc.periodic import ExpiringDocument, ReviewDue
from app.roles import Permission
from app.services.workspace import Desk
from ui.messages import user_message
from ui.widgets.tables import read_only_table
from ui.worker import DbWorker


def _when(days: int, past: str, future: str) -> str:
    if days == 0:
        return "today"
    return past.format(abs(days)) if days > 0 else future.format(abs(days))


class KycQueues(QWidget):
    case_chosen = Signal(int)

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.reviews: list[ReviewDue] = []
        self.expiring: list[ExpiringDocument] = []
        self.horizon = QSpinBox()
        self.horizon.setRange(0, 365)
        self.horizon.setValue(30)
        self.horizon.setSuffix(" days")
        self.horizon.valueChanged.connect(lambda _v: self.refresh())
        self.sweep_button = QPushButton("Mark expired documents")
        self.sweep_button.setVisible(desk.actor.can(Permission.REVIEW_KYC))
        self.sweep_button.clicked.connect(self.sweep)
        top = QHBoxLayout()
        top.addWidget(QLabel("Looking ahead"))
        top.addWidget(self.horizon)
        top.addStretch(1)
        top.addWidget(self.sweep_button)
        self.review_title = QLabel("Periodic reviews due")
        self.review_table = read_only_table(("Client", "Risk", "Review due", "When"))
        self.expiry_title = QLabel("Documents expiring")
        self.expiry_table = read_only_table(("Client", "Document", "Expires", "When"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.review_table.cellDoubleClicked.connect(
            lambda row, _c: self.case_chosen.emit(self.reviews[row].case_id))
        self.expiry_table.cellDoubleClicked.connect(
            lambda row, _c: self.case_chosen.emit(self.expiring[row].case_id))
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.review_title)
        layout.addWidget(self.review_table, 1)
        layout.addWidget(self.expiry_title)
        layout.addWidget(self.expiry_table, 1)
        layout.addWidget(self.message)

    def refresh(self) -> None:
        desk, days = self.desk, self.horizon.value()
        self.worker.submit(lambda: (periodic.review_queue(desk, within_days=days),
                                    periodic.expiring_documents(desk, within_days=days)),
                           self._fill, self._error, owner=self)

    def _fill(self, result: tuple[list[ReviewDue], list[ExpiringDocument]]) -> None:
        self.reviews, self.expiring = result
        self.review_table.setRowCount(len(self.reviews))
        for r, due in enumerate(self.reviews):
            for c, text in enumerate((due.client_name, due.risk_rating.value,
                                      f"{due.next_review:%Y-%m-%d}",
                                      _when(due.days_overdue, "{} days overdue",
                                            "in {} days"))):
                self.review_table.setItem(r, c, QTableWidgetItem(text))
        self.expiry_table.setRowCount(len(self.expiring))
        for r, doc in enumerate(self.expiring):
            for c, text in enumerate((doc.client_name, doc.doc_label,
                                      f"{doc.expiry_date:%Y-%m-%d}",
                                      _when(-doc.days_left, "expired {} days ago",
                                            "in {} days"))):
                self.expiry_table.setItem(r, c, QTableWidgetItem(text))
        self.review_title.setText(f"Periodic reviews due ({len(self.reviews)})")
        self.expiry_title.setText(f"Documents expiring ({len(self.expiring)})")
        for table in (self.review_table, self.expiry_table):
            table.resizeColumnsToContents()

    def sweep(self) -> None:
        desk = self.desk

        def done(marked: list[ExpiringDocument]) -> None:
            self.message.setStyleSheet("")
            self.message.setText(f"{len(marked)} document(s) marked expired; their clients "
                                 "must send current ones." if marked else
                                 "No document is past its expiry date.")
            self.refresh()

        self.worker.submit(lambda: periodic.sweep_expired(desk), done, self._error, owner=self)

    def _error(self, error: BaseException) -> None:
        self.message.setStyleSheet("color: #b3261e;")
        self.message.setText(user_message(error))
