"""The ledger's overview tabs: the trial balance per currency, the money owed to every
client, and the FX rates in use. Each reads through the ledger services on the DB
worker; the long lists page from SQL."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.ledger.views import Balance, ClientMoney, CurrencyTotals
from app.money import format_money
from app.services import ledger
from app.services.ledger import FxRatesInUse
from app.services.workspace import Desk
from ui.messages import user_message
from ui.views.ledger_paging import PagedColumn, PagedModel, amount
from ui.widgets.tables import fill_table, read_only_table
from ui.worker import DbWorker

ERROR_STYLE = "color: #b3261e;"


def paged_table(model: PagedModel, widths: tuple[int, ...], *, sortable: bool,
                stretch: int) -> QTableView:
    table = QTableView()
    table.setModel(model)
    # Qt's default indicator is descending: start as the service does, ascending on 0.
    table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
    table.setSortingEnabled(sortable)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(24)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    for column, width in enumerate(widths):
        header.resizeSection(column, width)
    # A text column takes the spare width, so amounts stay next to their headings.
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def fit_rows(table: QTableWidget, most: int) -> None:
    """Height for the rows shown (up to `most`), so a short table leaves no blank pane."""
    rows = min(max(table.rowCount(), 1), most)
    table.setFixedHeight(table.horizontalHeader().height() + 2 * table.frameWidth()
                         + sum(table.rowHeight(r) for r in range(rows))
                         + (0 if table.rowCount() else 24))


def no_stretch(table: QTableWidget) -> None:
    """Columns as wide as their contents and headings, the last one included: a stretched
    last amount would sit far from the others on a wide window."""
    table.horizontalHeader().setStretchLastSection(False)
    table.resizeColumnsToContents()


def price(value: Decimal, places: int) -> str:
    return f"{value:.{places}f}"


def places(*values: Decimal) -> int:
    """Decimal places that show every figure of a quote exactly, alike for bid and ask."""
    return max(max(0, -int(v.normalize().as_tuple().exponent)) for v in values)


def search_box(placeholder: str, parent: QWidget, on_text: Callable[[str], None]) -> QLineEdit:
    box = QLineEdit()
    box.setPlaceholderText(placeholder)
    box.setClearButtonEnabled(True)
    box.setMaximumWidth(320)
    debounce = QTimer(parent)
    debounce.setSingleShot(True)
    debounce.setInterval(250)
    debounce.timeout.connect(lambda: on_text(box.text()))
    box.textChanged.connect(lambda _t: debounce.start())
    return box


class TrialBalanceTab(QWidget):
    account_chosen = Signal(object)  # a Balance: open its statement

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.totals: list[CurrencyTotals] = []
        self.verdict = QLabel("Loading…")
        self.verdict.setObjectName("trialBalanceVerdict")
        self.verdict.setWordWrap(True)
        self.totals_table = read_only_table(("Currency", "Accounts", "Total debits",
                                             "Total credits", "Difference", "Check"))
        self.totals_table.cellClicked.connect(lambda row, _c: self._pick(row))
        self.currency = QComboBox()
        self.currency.currentTextChanged.connect(self._currency_changed)
        self.model = PagedModel(worker, (
            PagedColumn("Account code", lambda b: b.code),
            PagedColumn("Account", lambda b: b.name),
            PagedColumn("Type", lambda b: b.kind.value),
            PagedColumn("Debit", lambda b: amount(b.debit, b.currency) if b.debit else "",
                        right=True),
            PagedColumn("Credit", lambda b: amount(b.credit, b.currency) if b.credit else "",
                        right=True),
        ))
        self.count = QLabel()
        self.model.loaded.connect(lambda n: self.count.setText(f"{n:,} account(s)"))
        self.model.failed.connect(self._error)
        self.search = search_box("Search account code or name…", self, self.model.set_search)
        self.table = paged_table(self.model, (230, 330, 80, 130, 130), sortable=True,
                                 stretch=1)
        self.table.doubleClicked.connect(lambda index: self._open(index.row()))
        accounts_row = QHBoxLayout()
        accounts_row.addWidget(QLabel("Accounts in"))
        accounts_row.addWidget(self.currency)
        accounts_row.addWidget(self.count)
        accounts_row.addStretch(1)
        accounts_row.addWidget(self.search)
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdict)
        layout.addWidget(self.totals_table)
        layout.addLayout(accounts_row)
        layout.addWidget(self.table, 1)

    def refresh(self) -> None:
        desk = self.desk
        self.worker.submit(lambda: ledger.trial_balance_totals(desk), self._fill, self._error,
                           owner=self)

    def _fill(self, totals: list[CurrencyTotals]) -> None:
        self.totals = totals
        fill_table(self.totals_table, [
            (t.currency, f"{t.accounts:,}", amount(t.debit, t.currency),
             amount(t.credit, t.currency), amount(t.difference, t.currency),
             "✔ debits = credits" if t.difference == 0 else "✖ OUT OF BALANCE")
            for t in totals], right=(1, 2, 3, 4),
            attention={n for n, t in enumerate(totals) if t.difference})
        fit_rows(self.totals_table, 8)
        off = [t.currency for t in totals if t.difference]
        if not totals:
            self.verdict.setStyleSheet("")
            self.verdict.setText("Nothing has been posted to the ledger yet.")
        elif off:
            self.verdict.setStyleSheet(ERROR_STYLE + " font-weight: bold;")
            self.verdict.setText(f"The ledger does NOT balance in {', '.join(off)}: debits and "
                                 "credits differ. Tell your administrator.")
        else:
            self.verdict.setStyleSheet("color: #1b5e20; font-weight: bold;")
            self.verdict.setText(f"Balanced: total debits equal total credits in each of the "
                                 f"{len(totals)} currencies.")
        chosen = self.currency.currentText()
        self.currency.blockSignals(True)
        self.currency.clear()
        self.currency.addItems([t.currency for t in totals])
        names = [t.currency for t in totals]
        self.currency.setCurrentIndex(names.index(chosen) if chosen in names else 0)
        self.currency.blockSignals(False)
        self._currency_changed(self.currency.currentText())  # once, with fresh figures

    def _currency_changed(self, currency: str) -> None:
        desk = self.desk
        if not currency:
            self.model.set_fetch(None)
            return
        self.model.set_fetch(lambda text, sort, desc, offset, limit: ledger.trial_balance_page(
            desk, currency, text, sort, desc, offset, limit))

    def _pick(self, row: int) -> None:
        if 0 <= row < len(self.totals):
            self.currency.setCurrentText(self.totals[row].currency)

    def _open(self, row: int) -> None:
        balance: Balance | None = self.model.item(row)
        if balance is not None:
            self.account_chosen.emit(balance)

    def _error(self, error: BaseException | str) -> None:
        self.verdict.setStyleSheet(ERROR_STYLE)
        self.verdict.setText(error if isinstance(error, str) else user_message(error))


class ClientMoneyTab(QWidget):
    client_chosen = Signal(int, str)  # client id, currency: open the client's statement

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.model = PagedModel(worker, (
            PagedColumn("Client", lambda m: m.client),
            PagedColumn("Currency", lambda m: m.currency),
            PagedColumn("On trading accounts", lambda m: amount(m.trading, m.currency),
                        right=True),
            PagedColumn("Held for withdrawals", lambda m: amount(m.held, m.currency),
                        right=True),
            PagedColumn("Total owed", lambda m: amount(m.total, m.currency), right=True),
        ))
        self.model.set_fetch(lambda text, sort, desc, offset, limit:
                             ledger.client_money_summary(desk, text, sort, desc, offset, limit))
        self.count = QLabel("Loading…")
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(self._error)
        self.search = search_box("Search client name…", self, self.model.set_search)
        self.table = paged_table(self.model, (280, 80, 170, 170, 170), sortable=True,
                                 stretch=0)
        self.table.doubleClicked.connect(lambda index: self._open(index.row()))
        top = QHBoxLayout()
        top.addWidget(QLabel("What the broker owes each client, per currency (from the "
                             "ledger). Double-click a client for the statement."))
        top.addStretch(1)
        top.addWidget(self.count)
        top.addWidget(self.search)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

    def refresh(self) -> None:
        self.model.reload()

    def _loaded(self, total: int) -> None:
        self.count.setStyleSheet("")
        self.count.setText(f"{total:,} client balance(s)" if total or not self.model.search
                           else f"No client matches “{self.model.search}”.")

    def _open(self, row: int) -> None:
        money: ClientMoney | None = self.model.item(row)
        if money is not None:
            self.client_chosen.emit(money.client_id, money.currency)

    def _error(self, message: str) -> None:
        self.count.setStyleSheet(ERROR_STYLE)
        self.count.setText(message)


class FxRatesTab(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.data: FxRatesInUse | None = None
        self.applied_title = QLabel("Rates applied to payments in another currency")
        self.applied = read_only_table(("Date (UTC)", "Pair", "Rate applied", "Payments",
                                        "Paid", "Booked on accounts"))
        self.quotes_title = QLabel("Platform quotes the desk converts with (latest)")
        self.quotes = read_only_table(("Currency", "Symbol", "Bid", "Ask", "Mid used",
                                       "Quoted at (UTC)"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.applied_title)
        layout.addWidget(self.applied, 1)
        layout.addWidget(self.quotes_title)
        layout.addWidget(self.quotes)
        layout.addWidget(self.message)
        layout.addStretch(0)

    def refresh(self) -> None:
        desk = self.desk
        self.worker.submit(lambda: ledger.fx_rates_in_use(desk), self._fill, self._error,
                           owner=self)

    def _fill(self, data: FxRatesInUse) -> None:
        self.data = data
        rows = data.applied.rows
        fill_table(self.applied, [
            (r.day, r.pair, f"{r.rate} {r.account_currency} per 1 {r.currency}",
             f"{r.payments:,}", format_money(r.amount, r.currency),
             format_money(r.booked, r.account_currency)) for r in rows], right=(2, 3, 4, 5))
        no_stretch(self.applied)
        shown = (f" (latest {len(rows):,} of {data.applied.total:,})"
                 if data.applied.total > len(rows) else f" ({len(rows):,})")
        self.applied_title.setText("Rates applied to payments in another currency" + shown)
        fill_table(self.quotes, [
            (q.currency, q.symbol, price(q.bid, places(q.bid, q.ask)),
             price(q.ask, places(q.bid, q.ask)), price(q.mid, places(q.bid, q.ask, q.mid)),
             f"{q.time:%Y-%m-%d %H:%M:%S}") for q in data.quotes], right=(2, 3, 4))
        no_stretch(self.quotes)
        fit_rows(self.quotes, 12)
        notes = []
        if not rows:
            notes.append("No payment in another currency than its trading account yet.")
        if not data.quotes:
            notes.append("No platform quotes yet: amounts in other currencies cannot be "
                         "converted to USD until the live stream delivers prices.")
        self.message.setStyleSheet("")
        self.message.setText(" ".join(notes))

    def _error(self, error: BaseException) -> None:
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(user_message(error))
