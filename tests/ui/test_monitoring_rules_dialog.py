"""The monitoring rules dialog as a compliance officer uses it: the nine rules in words,
a threshold typed wrong and said so at once, typed right and read back, saved through
the service on the worker thread (audited); a clerk is told why the rules stay hidden."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QLineEdit
from pytestqt.qtbot import QtBot

from app.crm.search_index import dbapi
from app.models.users import Role
from app.services import monitoring, users
from app.services.workspace import Desk
from tests.ui.conftest import not_blank
from ui.dialogs.monitoring_rules import COLUMNS, MonitoringRulesDialog
from ui.theme import STYLE
from ui.worker import DbWorker

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def shot(qtbot: QtBot, widget: MonitoringRulesDialog, name: str) -> Path:
    qtbot.wait(100)  # the layout settles (wrapped labels take their new height)
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"monitoring_rules_{name}.png"
    widget.grab().save(str(path))
    assert not_blank(path) > 20, path
    return path


def cell(dialog: MonitoringRulesDialog, row: int, column: int) -> str:
    item = dialog.table.item(row, column)
    assert item is not None
    return item.text()


def opened(qtbot: QtBot, desk: Desk, worker: DbWorker) -> MonitoringRulesDialog:
    dialog = MonitoringRulesDialog(desk, worker)
    qtbot.addWidget(dialog)
    dialog.setStyleSheet(STYLE)
    dialog.show()
    return dialog


def test_rules_are_read_checked_as_typed_and_saved(qtbot: QtBot, desk: Desk,
                                                   worker: DbWorker) -> None:
    compliance = Desk(desk.store, users.add_user(desk, "cora", "Cora Compliance",
                                                 Role.COMPLIANCE))
    dialog = opened(qtbot, compliance, worker)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 9, timeout=10000)
    assert dialog.title.text() == "Monitoring rules: 9 of 9 running"
    text = {cell(dialog, r, 0): cell(dialog, r, COLUMNS.index("What it looks for"))
            for r in range(dialog.table.rowCount())}
    assert text["Deposits withdrawn with little trading"].startswith(
        "Deposits of at least 1,000.00 USD followed within 7 days")
    dialog.select("little_trading")
    editor = dialog.editor
    assert editor is not None and editor.view.rule == "little_trading"
    assert not dialog.save.isEnabled()                    # nothing changed yet
    amount = editor.inputs["min_deposit"]
    assert isinstance(amount, QLineEdit)
    amount.setText("12.345")
    assert editor.values is None and not dialog.save.isEnabled()
    assert "at most two decimal places" in editor.verdict.text()
    assert "border" in amount.styleSheet()
    amount.setText("2,500")
    days = editor.inputs["window_days"]
    assert isinstance(days, QLineEdit)
    days.setText("400")
    assert "from 1 days to 365 days" in editor.verdict.text()
    days.setText("10")
    assert editor.verdict.text() == (
        "Reads as: Deposits of at least 2,500.00 USD followed within 10 days by withdrawals "
        "of at least 80% of them, with fewer than 0.10 lots traded in between.")
    assert amount.styleSheet() == "" and dialog.save.isEnabled()
    editor.severity.setCurrentIndex(editor.severity.findData("high"))
    editor.days.setValue(3)
    shot(qtbot, dialog, "editing")
    with qtbot.waitSignal(dialog.changed, timeout=10000) as saved:
        dialog.save.click()
    assert "2,500.00 USD" in saved.args[0]
    qtbot.waitUntil(lambda: cell(dialog, 0, 1) == "High", timeout=10000)
    current = dialog.current()
    assert current is not None and current.rule == "little_trading"
    view = {v.rule: v for v in monitoring.rules(compliance)}["little_trading"]
    assert (str(view.thresholds["min_deposit"]), view.thresholds["window_days"],
            view.severity.value, view.days_to_review) == ("2500.00", 10, "high", 3)
    with desk.store.read() as s:
        (who, after), = dbapi(s).execute(
            "SELECT actor_name, after FROM audit_entries WHERE action = 'monitoring.rule_set'"
            ).fetchall()
    assert who == "cora" and json.loads(after)["thresholds"]["min_deposit"] == "2500.00"

    dialog.select("fatf_country")            # a yes/no threshold, and switching a rule off
    editor = dialog.editor
    assert editor is not None
    grey = editor.inputs["grey_list"]
    assert isinstance(grey, QCheckBox) and grey.isChecked()
    grey.setChecked(False)
    editor.enabled.setChecked(False)
    assert "call for action list" in editor.verdict.text() and "switched off" in \
        editor.verdict.text()
    with qtbot.waitSignal(dialog.changed, timeout=10000):
        dialog.save.click()
    qtbot.waitUntil(lambda: dialog.title.text() == "Monitoring rules: 8 of 9 running",
                    timeout=10000)
    path = shot(qtbot, dialog, "saved")
    assert path.stat().st_size > 10_000


def test_a_clerk_is_told_the_rules_are_not_for_them(qtbot: QtBot, desk: Desk,
                                                    worker: DbWorker) -> None:
    clerk = Desk(desk.store, users.add_user(desk, "clara", "Clara Clerk", Role.CLERK))
    dialog = opened(qtbot, clerk, worker)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=10000)
    assert "not allowed to work compliance alerts" in dialog.message.text()
    assert dialog.table.rowCount() == 0 and not dialog.save.isVisible()
    assert dialog.title.text() == "The monitoring rules cannot be shown."
