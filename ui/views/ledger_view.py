"""Accounting: the client-money ledger for finance staff. Tabs for the trial balance,
an account's statement with drill-down to the deal or payment behind each line, the
money owed to every client, the FX rates in use, and the journal itself.

A tab loads when first shown and again after a change (a reversal) made it stale, so
opening the part runs one query, not five."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from app.ledger.views import Balance
from app.queries import catalogue
from app.services import ledger
from app.services.workspace import Desk
from ui.views.ledger_statement import StatementTab
from ui.views.ledger_tabs import ClientMoneyTab, FxRatesTab, TrialBalanceTab
from ui.views.list_page import ListPage
from ui.worker import DbWorker


class LedgerPage(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-ledger")
        self.desk, self.worker = desk, worker
        title = QLabel("Client-money ledger")
        title.setObjectName("pageTitle")
        self.trial = TrialBalanceTab(desk, worker)
        self.statement = StatementTab(desk, worker)
        self.clients = ClientMoneyTab(desk, worker)
        self.fx = FxRatesTab(desk, worker)
        self.journal = ListPage("Journal", catalogue.JOURNAL, desk.store, worker,
                                empty_text="No journal entries yet. Deposits, withdrawals and "
                                "closed deals are posted here as they arrive from the "
                                "platform and the payment providers.")
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for widget, name in ((self.trial, "Trial balance"), (self.statement, "Statement"),
                             (self.clients, "Client money"), (self.fx, "FX rates"),
                             (self.journal, "Journal")):
            self.tabs.addTab(widget, name)
        self._stale: set[QWidget] = set()
        self.tabs.currentChanged.connect(lambda _i: self._show_current())
        self.trial.account_chosen.connect(self.open_account)
        self.clients.client_chosen.connect(self.open_client)
        self.statement.changed.connect(self._changed)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.tabs, 1)

    def refresh(self) -> None:
        self._stale = {self.trial, self.statement, self.clients, self.fx, self.journal}
        self._show_current()

    def _show_current(self) -> None:
        current = self.tabs.currentWidget()
        if current in self._stale:
            self._stale.discard(current)
            if current is self.statement:
                self.statement.reload()
            else:
                current.refresh()  # type: ignore[attr-defined]

    def _changed(self) -> None:
        self._stale |= {self.trial, self.clients, self.journal}

    def open_account(self, account: Balance) -> None:
        self.statement.show_accounts([account])
        self._stale.discard(self.statement)
        self.tabs.setCurrentWidget(self.statement)

    def open_client(self, client_id: int, currency: str) -> None:
        """The client's own accounts in that currency (trading first) in the statement."""
        desk = self.desk

        def shown(accounts: list[Balance]) -> None:
            if accounts:
                self.statement.show_accounts(
                    sorted(accounts, key=lambda b: not b.code.startswith("trading:")))
                self._stale.discard(self.statement)
                self.tabs.setCurrentWidget(self.statement)

        self.worker.submit(lambda: ledger.client_accounts(desk, client_id, currency), shown,
                           self.statement.show_error, owner=self)
