"""The Accounting part: trial balance that shows debits equal credits per currency,
statements with a running balance, double-click drill-down to the deal or payment,
reversal with a required reason (offered only to those who may post), client money
across clients and the FX rates in use, all on a real encrypted workspace posted
through app/ledger."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from app.crm.search_index import dbapi
from app.models.users import Role
from app.services import users
from app.services.workspace import Desk, workspace_info
from tests.app.test_ledger_views import ANNA_USD, books, entry_of
from tests.ui.conftest import not_blank
from ui.main_window import MainWindow
from ui.views.ledger_view import LedgerPage
from ui.worker import DbWorker

SHOTS = Path("/tmp/shots")


def shot(widget: object, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    widget.grab().save(str(path))  # type: ignore[attr-defined]
    assert not_blank(path) > 20, name
    return path


def cells(table: object, row: int) -> list[str]:
    model = table.model()  # type: ignore[attr-defined]
    return [str(model.index(row, c).data() or "") for c in range(model.columnCount())]


def double_click(qtbot: QtBot, table: object, row: int, column: int) -> None:
    """A person's double-click: Qt's views act on it only after the press that starts it."""
    view = table  # a QTableView
    rect = view.visualRect(view.model().index(row, column))  # type: ignore[attr-defined]
    port = view.viewport()  # type: ignore[attr-defined]
    qtbot.mouseClick(port, Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(port, Qt.MouseButton.LeftButton, pos=rect.center())


def opened(qtbot: QtBot, desk: Desk, worker: DbWorker) -> LedgerPage:
    page = LedgerPage(desk, worker)
    qtbot.addWidget(page)
    page.resize(1110, 720)  # the part's room in a 1280-wide window beside the navigation
    page.show()
    page.refresh()
    return page


def test_trial_balance_statement_drill_down_and_reversal(qtbot: QtBot, desk: Desk,
                                                         worker: DbWorker) -> None:
    books(desk)
    page = opened(qtbot, desk, worker)
    trial = page.trial
    qtbot.waitUntil(lambda: trial.totals_table.rowCount() == 3, timeout=10000)
    assert "Balanced" in trial.verdict.text()
    usd = [t.currency for t in trial.totals].index("USD")
    currency, accounts, debits, credits, difference, check = cells(trial.totals_table, usd)
    assert (currency, accounts, debits, credits, difference) == (
        "USD", "6", "1,024.70", "1,024.70", "0.00")
    assert check.startswith("✔")
    trial.totals_table.cellClicked.emit(usd, 0)  # a click on the currency lists its accounts
    qtbot.waitUntil(lambda: trial.model.rowCount() == 6
                    and trial.model.item(0) is not None
                    and trial.model.item(0).currency == "USD", timeout=10000)
    codes = [trial.model.item(r).code for r in range(6)]
    assert codes == sorted(codes) and ANNA_USD in codes
    shot(page, "ledger_trial_balance")

    row = codes.index(ANNA_USD)
    trial._open(row)  # what a double-click on the account does
    statement = page.statement
    assert page.tabs.currentWidget() is statement
    qtbot.waitUntil(lambda: statement.model.rowCount() == 3
                    and statement.model.item(2) is not None, timeout=10000)
    # The client's trading balance reads as the credit it is: 1,000.00 in, 24.00 won,
    # 200.00 taken off for a withdrawal.
    assert [cells(statement.table, r)[5] for r in range(3)] == [
        "1,000.00", "1,024.00", "824.00"]
    assert cells(statement.table, 1)[4] == "24.00" and cells(statement.table, 2)[3] == "200.00"
    assert statement.model.headerData(5, Qt.Orientation.Horizontal) == "Balance (credit)"
    assert "824.00 USD" in statement.heading.text()

    double_click(qtbot, statement.table, 1, 2)
    qtbot.waitUntil(lambda: "Deal on the trading platform" in statement.detail.toHtml(),
                    timeout=10000)
    text = statement.detail.toPlainText()
    assert "gw:9001" in text and "sell EURUSD" in text and "1.50 lots" in text
    assert "1.08512" in text and "Schmidt, Anna" in text and "25.00 USD" in text
    assert statement.reverse_button.isVisible() and statement.reverse_button.isEnabled()
    shot(page, "ledger_statement_deal")

    statement.drill(0)
    qtbot.waitUntil(lambda: "Deposit DEP-1" in statement.detail.toPlainText(), timeout=10000)
    text = statement.detail.toPlainText()
    assert "Status history" in text and "ch_DEP-1" in text and "3.00 USD" in text
    history = text[text.index("Status history"):]
    assert history.index("requested by provider") < history.index("completed by provider")

    # Reversal: the reason is required before the button does anything.
    statement.reverse_button.click()
    dialog = statement.last_dialog
    assert dialog is not None and dialog.entry.source_ref == "DEP-1:completed"
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    dialog.reason.setPlainText("   ")
    assert not ok.isEnabled()
    dialog.reason.setPlainText("Deposit booked to the wrong client")
    assert ok.isEnabled()
    ok.click()
    qtbot.waitUntil(lambda: "reversed by entry #" in statement.message.text(), timeout=10000)
    qtbot.waitUntil(lambda: statement.model.rowCount() == 4
                    and statement.model.item(3) is not None, timeout=10000)
    last = cells(statement.table, 3)
    assert last[2].startswith("Reversal of #") and last[3] == "1,000.00"
    assert last[5] == "-176.00"  # the client's balance without the deposit
    assert "reversed by #" in cells(statement.table, 0)[2]
    qtbot.waitUntil(lambda: "The reversed entry" in statement.detail.toPlainText(),
                    timeout=10000)
    assert "Deposit booked to the wrong client" in statement.detail.toPlainText()
    assert not statement.reverse_button.isEnabled()  # a reversal is not reversed again
    qtbot.waitUntil(lambda: "-176.00 USD" in statement.heading.text(), timeout=10000)
    shot(page, "ledger_statement_reversal")
    with desk.store.read() as s:
        assert dbapi(s).execute(
            "SELECT reason FROM journal_entries WHERE source_kind = 'reversal'"
            " AND source_ref = ?", (str(entry_of(desk, "payment", "DEP-1:completed")),)
        ).fetchone() == ("Deposit booked to the wrong client",)

    # The trial balance, stale after the reversal, reloads when shown and still balances.
    page.tabs.setCurrentWidget(trial)
    # The reversal undid the whole deposit entry, Stripe's fee with it: the account is
    # 176.00 overdrawn, so debits 176.00 + 24.70 P&L = credits 0.70 fees + 200.00 held.
    qtbot.waitUntil(lambda: cells(trial.totals_table, usd)[2] == "200.70", timeout=10000)
    assert cells(trial.totals_table, usd)[3] == "200.70" and "Balanced" in trial.verdict.text()


def test_client_money_opens_the_statement_and_fx_rates_are_listed(
        qtbot: QtBot, qtmodeltester: object, desk: Desk, worker: DbWorker) -> None:
    b = books(desk)
    page = opened(qtbot, desk, worker)
    page.tabs.setCurrentWidget(page.clients)
    money = page.clients
    qtbot.waitUntil(lambda: money.model.rowCount() == 2 and money.model.item(1) is not None,
                    timeout=10000)
    assert cells(money.table, 0) == ["Petrov, Boris", "EUR", "585.00", "0.00", "585.00"]
    assert cells(money.table, 1) == ["Schmidt, Anna", "USD", "824.00", "200.00", "1,024.00"]
    assert money.count.text() == "2 client balance(s)"
    qtmodeltester.check(money.model, force_py=True)  # type: ignore[attr-defined]
    shot(page, "ledger_client_money")
    money.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)  # sorted in SQL
    qtbot.waitUntil(lambda: money.model.item(0) is not None
                    and money.model.item(0).client_id == b.anna, timeout=10000)
    money.search.setText("petrov")
    qtbot.waitUntil(lambda: money.model.rowCount() == 1, timeout=10000)
    assert cells(money.table, 0)[0] == "Petrov, Boris"
    money.search.setText("")
    qtbot.waitUntil(lambda: money.model.rowCount() == 2, timeout=10000)
    row = next(r for r in range(2) if money.model.item(r).client_id == b.anna)
    double_click(qtbot, money.table, row, 0)
    qtbot.waitUntil(lambda: page.tabs.currentWidget() is page.statement
                    and page.statement.model.rowCount() == 3, timeout=10000)
    assert page.statement.account is not None and page.statement.account.code == ANNA_USD
    assert page.statement.accounts.count() == 2  # trading first, then the money held

    page.tabs.setCurrentWidget(page.fx)
    fx = page.fx
    qtbot.waitUntil(lambda: fx.applied.rowCount() == 1 and fx.quotes.rowCount() == 2,
                    timeout=10000)
    assert cells(fx.applied, 0) == ["2026-03-02", "GBP/EUR", "1.17 EUR per 1 GBP", "1",
                                    "500.00 GBP", "585.00 EUR"]
    assert cells(fx.quotes, 0)[:5] == ["EUR", "EURUSD", "1.0850", "1.0852", "1.0851"]
    assert cells(fx.quotes, 1)[:5] == ["JPY", "USDJPY", "149.50", "149.54", "149.52"]
    shot(page, "ledger_fx_rates")


def test_reversal_is_not_offered_to_those_who_may_not_post(qtbot: QtBot, desk: Desk,
                                                           worker: DbWorker) -> None:
    books(desk)
    entry = entry_of(desk, "deal", "gw:9001")
    olga = Desk(desk.store, users.add_user(desk, "olga", "Olga Compliance", Role.COMPLIANCE))
    page = opened(qtbot, olga, worker)  # reads the ledger (reports), may not post to it
    qtbot.waitUntil(lambda: "Balanced" in page.trial.verdict.text(), timeout=10000)
    page.statement.show_entry(entry)
    qtbot.waitUntil(lambda: "gw:9001" in page.statement.detail.toPlainText(), timeout=10000)
    assert page.statement.reverse_button.isHidden()

    clerk = Desk(desk.store, users.add_user(desk, "cleo", "Cleo Clerk", Role.CLERK))
    page = opened(qtbot, clerk, worker)
    assert page.statement.reverse_button.isHidden()
    qtbot.waitUntil(lambda: "not allowed" in page.trial.verdict.text(), timeout=10000)
    page.statement.reverse(entry, "the clerk tries anyway")  # the service still refuses
    qtbot.waitUntil(lambda: "not allowed" in page.statement.message.text(), timeout=10000)
    with desk.store.read() as s:
        assert dbapi(s).execute("SELECT count(*) FROM journal_entries WHERE source_kind ="
                                " 'reversal'").fetchone() == (0,)


def test_accounting_is_in_the_navigation_only_for_ledger_readers(
        qtbot: QtBot, desk: Desk, worker: DbWorker, settings: QSettings) -> None:
    info = workspace_info(desk.store)
    parts = {}
    for role in (Role.CLERK, Role.FINANCE, Role.COMPLIANCE):
        who = Desk(desk.store, users.add_user(desk, f"u{role.value}", f"U {role.value}", role))
        window = MainWindow(who, info, worker, settings)
        qtbot.addWidget(window)
        parts[role] = [window.nav.item(i).text() for i in range(window.nav.count())]
        if role == Role.FINANCE:
            assert isinstance(window.part("Accounting"), LedgerPage)
    assert "Accounting" not in parts[Role.CLERK] and "Clients" in parts[Role.CLERK]
    assert "Accounting" in parts[Role.FINANCE] and "Accounting" in parts[Role.COMPLIANCE]
