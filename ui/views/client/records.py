"""The client page's read-only records: trading accounts with the platform's last
state, money movements (newest first, more on request) and KYC cases with documents."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.crm.client_page import (
    PAYMENTS_SHOWN,
    AccountRow,
    KycCaseRow,
    PaymentRow,
    client_payments,
)
from app.models.kyc import DocumentStatus
from app.services.workspace import Desk
from ui.messages import user_message
from ui.views.client.format import ERROR_STYLE, day, label, money, when
from ui.widgets.tables import fill_table, read_only_table
from ui.worker import DbWorker

ACCOUNT_COLUMNS = ("Login", "Platform", "Group", "Status", "Leverage", "Balance", "Credit",
                   "Equity", "Margin", "Free margin", "Margin level", "Open positions",
                   "State as of")
PAYMENT_COLUMNS = ("Created", "Type", "Method", "Provider", "Amount", "Fee", "Status",
                   "Account")
DOCUMENT_COLUMNS = ("Document", "Requirement", "Country", "Number", "Issued", "Expires",
                    "Status", "Reason", "File", "Reviewed")


def _empty(text: str) -> QLabel:
    note = QLabel(text)
    note.setObjectName("emptyState")
    note.setWordWrap(True)
    return note


def _size(n: int) -> str:
    return f"{n:,} bytes" if n < 1024 else f"{n / 1024:,.0f} KB" if n < 1024 ** 2 \
        else f"{n / 1024 ** 2:,.1f} MB"


class AccountsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = read_only_table(ACCOUNT_COLUMNS)
        self.note = QLabel()
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)

    def show_accounts(self, rows: list[AccountRow]) -> None:
        def level(a: AccountRow) -> str:
            return "—" if a.margin_level_pct is None else f"{a.margin_level_pct:,.2f} %"

        fill_table(self.table, [
            (str(a.login), a.platform, a.group, label(a.status), f"1:{a.leverage}",
             money(a.balance, a.currency), money(a.credit, a.currency),
             money(a.equity, a.currency), money(a.margin, a.currency),
             money(a.free_margin, a.currency), level(a), str(a.open_positions),
             when(a.state_at) or "no state from the platform yet") for a in rows],
            right=(4, 5, 6, 7, 8, 9, 10, 11))
        self.note.setText("No trading accounts." if not rows else
                          "Balances and margin as the platform last reported them; they "
                          "update while this page is open.")


class MoneyPanel(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.client_id: int | None = None
        self.rows: list[PaymentRow] = []
        self.total = 0
        self.table = read_only_table(PAYMENT_COLUMNS)
        self.note = QLabel()
        self.more_button = QPushButton("Show more")
        self.more_button.clicked.connect(self.more)
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.more_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)

    def show_payments(self, client_id: int, rows: list[PaymentRow], total: int) -> None:
        self.client_id, self.rows, self.total = client_id, list(rows), total
        self._render()

    def more(self) -> None:
        if self.client_id is None:
            return
        desk, cid, offset = self.desk, self.client_id, len(self.rows)
        self.more_button.setEnabled(False)
        self.worker.submit(lambda: client_payments(desk, cid, offset, PAYMENTS_SHOWN),
                           lambda rows: self._more(cid, rows), self._failed, owner=self)

    def _more(self, client_id: int, rows: list[PaymentRow]) -> None:
        if client_id == self.client_id:
            self.rows.extend(rows)
            self._render()

    def _render(self) -> None:
        fill_table(self.table, [
            (when(p.created_at), label(p.direction), label(p.method), p.provider,
             money(p.amount, p.currency), money(p.fee, p.currency), label(p.status),
             "" if p.login is None else str(p.login)) for p in self.rows], right=(4, 5))
        self.note.setStyleSheet("")
        self.note.setText("No deposits or withdrawals." if not self.total else
                          f"Newest first: {len(self.rows):,} of {self.total:,} shown.")
        self.more_button.setVisible(len(self.rows) < self.total)
        self.more_button.setEnabled(True)

    def _failed(self, error: BaseException) -> None:
        self.more_button.setEnabled(True)
        self.note.setStyleSheet(ERROR_STYLE)
        self.note.setText(user_message(error))


class KycPanel(QWidget):
    """Read only here: documents are reviewed in the KYC part."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = read_only_table(DOCUMENT_COLUMNS)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.empty = _empty("No KYC case yet: one opens when the client registers.")
        layout.addWidget(self.empty)

    def status_text(self, cases: list[KycCaseRow]) -> str:
        if not cases:
            return "no KYC case"
        case = cases[0]
        return f"KYC {label(case.status)}" + (" (enhanced due diligence)" if case.enhanced
                                              else "")

    def show_cases(self, cases: list[KycCaseRow]) -> None:
        self.empty.setVisible(not cases)
        self.table.setVisible(bool(cases))
        lines = []
        for case in cases:
            line = f"<b>Case {case.id}: {label(case.status)}</b>"
            if case.enhanced:
                line += " · enhanced due diligence" + (f" ({case.edd_reason})"
                                                        if case.edd_reason else "")
            if case.decided_at is not None:
                line += f" · decided {when(case.decided_at)} by {case.decided_by or '—'}"
            if case.next_review is not None:
                line += f" · next review {day(case.next_review)}"
            lines.append(line)
        self.summary.setText("<br>".join(lines) + ("<br>Documents are reviewed in the KYC "
                                                   "part." if cases else ""))
        docs = [(case, d) for case in cases for d in case.documents]
        attention = {i for i, (_c, d) in enumerate(docs)
                     if d.status in (DocumentStatus.REJECTED, DocumentStatus.EXPIRED)}
        fill_table(self.table, [
            (label(d.doc_type), label(d.requirement), d.issuing_country, d.number,
             day(d.issue_date), day(d.expiry_date), label(d.status), d.reject_reason,
             f"{d.file_name} ({_size(d.size)})" if d.file_name else "—",
             when(d.reviewed_at)) for _c, d in docs], attention=attention)
