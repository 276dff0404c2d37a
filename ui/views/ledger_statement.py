"""An account's statement: find the account, read its lines with the running balance,
double-click a line to see the deal or payment behind it, and (with the permission to
post to the ledger) reverse an entry with a reason."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.ledger import chart
from app.ledger.views import Balance, SourceRecord, StatementRow
from app.models.ledger import LedgerKind
from app.money import format_money
from app.roles import Permission
from app.services import ledger
from app.services.workspace import Desk
from ui.dialogs.ledger_reverse import ReverseDialog
from ui.messages import user_message
from ui.views.ledger_paging import PagedColumn, PagedModel, amount
from ui.views.ledger_source import describe
from ui.worker import DbWorker

# Accounts whose balance is normally a credit read it as a positive figure: a client's
# trading balance of 824.00 is a credit of 824.00 on the broker's books.
CREDIT_SIDE = {LedgerKind.LIABILITY, LedgerKind.INCOME, LedgerKind.EQUITY}
PLACEHOLDER = ("Double-click a line of the statement to see the entry's postings and the "
               "deal or payment it was posted from.")


def side(kind: LedgerKind) -> str:
    return "credit" if kind in CREDIT_SIDE else "debit"


class StatementTab(QWidget):
    changed = Signal()  # a reversal was posted: balances elsewhere are stale

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.account: Balance | None = None
        self.matches: list[Balance] = []
        self.record: SourceRecord | None = None
        self.last_dialog: ReverseDialog | None = None
        self.sign, self.currency = 1, "USD"

        self.search = QLineEdit()
        self.search.setPlaceholderText("Find an account by code or name (e.g. trading:gw:500001)")
        self.search.setClearButtonEnabled(True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.find_account)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self.find_account)
        self.accounts = QComboBox()
        self.accounts.setMinimumWidth(420)
        self.accounts.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.accounts.activated.connect(lambda i: self.open_account(self.matches[i]))
        top = QHBoxLayout()
        top.addWidget(QLabel("Account"))
        top.addWidget(self.search, 1)
        top.addWidget(self.accounts, 1)

        self.heading = QLabel("Choose an account to see its statement.")
        self.heading.setObjectName("statementHeading")
        self.heading.setWordWrap(True)
        self.count_label = QLabel()
        heading_row = QHBoxLayout()
        heading_row.addWidget(self.heading, 1)
        heading_row.addWidget(self.count_label, 0, Qt.AlignmentFlag.AlignBottom)
        self.model = PagedModel(worker, (
            PagedColumn("Posted (UTC)", lambda r: f"{r.posted_at:%Y-%m-%d %H:%M}"),
            PagedColumn("Entry", lambda r: f"#{r.entry_id}", right=True),
            PagedColumn("Memo", self._memo),
            PagedColumn("Debit", lambda r: amount(r.amount, self.currency)
                        if r.amount > 0 else "", right=True),
            PagedColumn("Credit", lambda r: amount(-r.amount, self.currency)
                        if r.amount < 0 else "", right=True),
            PagedColumn("Balance", lambda r: amount(self.sign * r.running, self.currency),
                        right=True),
        ), muted=lambda r: r.reversed_by is not None or r.reverses is not None)
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(self.show_error)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((118, 48, 260, 92, 92, 118)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)  # the memo
        self.table.doubleClicked.connect(lambda index: self.drill(index.row()))

        self.detail = QTextBrowser()
        self.detail.setObjectName("sourceRecord")
        self.detail.setPlaceholderText(PLACEHOLDER)
        self.reverse_button = QPushButton("Reverse entry…")
        self.reverse_button.setVisible(desk.actor.can(Permission.POST_LEDGER))
        self.reverse_button.setEnabled(False)
        self.reverse_button.clicked.connect(self.ask_reverse)
        panel = QWidget()
        side_layout = QVBoxLayout(panel)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(QLabel("Source record"))
        side_layout.addWidget(self.detail, 1)
        side_layout.addWidget(self.reverse_button)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(panel)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 1)
        split.setSizes([720, 370])

        self.message = QLabel()
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(heading_row)
        layout.addWidget(split, 1)
        layout.addWidget(self.message)

    @staticmethod
    def _memo(row: StatementRow) -> str:
        if row.reversed_by is not None:
            return f"{row.memo}  (reversed by #{row.reversed_by})"
        return row.memo

    # -- choosing the account --------------------------------------------------
    def find_account(self) -> None:
        self._debounce.stop()
        desk, text = self.desk, self.search.text().strip()
        if not text:
            return
        self.worker.submit(lambda: ledger.find_accounts(desk, text),
                           lambda found: self.show_accounts(found, open_first=False),
                           self.show_error, owner=self)

    def show_accounts(self, accounts: list[Balance], open_first: bool = True) -> None:
        self.matches = accounts
        self.accounts.clear()
        for b in accounts:
            self.accounts.addItem(f"{b.code} — {format_money(abs(b.amount), b.currency)} "
                                  f"{'credit' if b.amount < 0 else 'debit'}")
        exact = bool(accounts) and accounts[0].code == self.search.text().strip()
        if accounts and (open_first or exact or len(accounts) == 1):
            self.open_account(accounts[0])
        else:
            self.accounts.setPlaceholderText(f"Choose one of {len(accounts)} accounts"
                                             if accounts else "No account matches")
            self.accounts.setCurrentIndex(-1)

    def open_account(self, account: Balance) -> None:
        self.account, self.record = account, None
        self.sign = -1 if account.kind in CREDIT_SIDE else 1
        self.currency = account.currency
        self.model.set_heading(5, f"Balance ({side(account.kind)})")
        index = next((i for i, b in enumerate(self.matches) if b.code == account.code), -1)
        if index < 0:
            self.show_accounts([account], open_first=False)
            index = 0
        self.accounts.setCurrentIndex(index)
        self.detail.clear()
        self.reverse_button.setEnabled(False)
        self._heading(account)
        desk, code = self.desk, account.code
        self.model.set_fetch(lambda _s, _o, _d, offset, limit:
                             ledger.statement_page(desk, code, offset, limit))

    def _heading(self, account: Balance) -> None:
        shown = format_money(self.sign * account.amount, account.currency)
        self.heading.setText(f"<b>{escape(chart.account(account.code).name)}</b> &nbsp; "
                             f"<span style='color:#555'>{escape(account.code)}</span><br>"
                             f"Balance: <b>{shown}</b> ({side(account.kind)} side, "
                             f"{account.kind.value})")

    def _loaded(self, total: int) -> None:
        self.count_label.setText(f"{total:,} line(s)" if total else
                                 "No postings on this account yet.")

    # -- drill-down and reversal -----------------------------------------------
    def drill(self, row: int) -> None:
        line = self.model.item(row)
        if line is None:
            return
        self.show_entry(line.entry_id)

    def show_entry(self, entry_id: int) -> None:
        desk = self.desk
        self.worker.submit(lambda: ledger.source_record(desk, entry_id), self._show_record,
                           self.show_error, owner=self)

    def _show_record(self, record: SourceRecord) -> None:
        self.record = record
        self.detail.setHtml(describe(record))
        entry = record.entry
        self.reverse_button.setEnabled(entry.reverses is None and entry.reversed_by is None
                                       and entry.source_kind != "reversal")
        self.reverse_button.setToolTip("" if self.reverse_button.isEnabled() else
                                       "A reversal, or an entry already reversed, cannot be "
                                       "reversed again.")

    def ask_reverse(self) -> None:
        if self.record is None:
            return
        dialog = ReverseDialog(self.record.entry, self)
        self.last_dialog = dialog
        entry_id = self.record.entry.id
        dialog.accepted.connect(lambda: self.reverse(entry_id, dialog.reason_text()))
        dialog.open()

    def reverse(self, entry_id: int, reason: str) -> None:
        desk = self.desk
        self.reverse_button.setEnabled(False)
        self.worker.submit(lambda: ledger.reverse_entry(desk, entry_id, reason),
                           lambda made: self._reversed(entry_id, made), self.show_error,
                           owner=self)

    def _reversed(self, entry_id: int, made: int) -> None:
        self.message.setStyleSheet("")
        self.message.setText(f"Entry #{entry_id} reversed by entry #{made}.")
        self.changed.emit()
        self.reload()
        self.show_entry(made)

    def reload(self) -> None:
        """The statement and the account's balance again, as they stand now."""
        if self.account is None:
            return
        desk, code = self.desk, self.account.code
        self.model.reload()
        self.worker.submit(lambda: ledger.find_accounts(desk, code, 1), self._rebalanced,
                           self.show_error, owner=self)

    def _rebalanced(self, found: list[Balance]) -> None:
        if found and self.account is not None and found[0].code == self.account.code:
            self.account = found[0]
            self.matches = [found[0] if b.code == found[0].code else b for b in self.matches]
            self._heading(found[0])

    def show_error(self, error: BaseException | str) -> None:
        self.message.setStyleSheet("color: #b3261e;")
        self.message.setText(error if isinstance(error, str) else user_message(error))
