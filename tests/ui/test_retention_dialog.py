"""The record retention dialog as an administrator and a clerk use it: periods checked as
typed and saved, a preview with the held clients and why, a purge only after the
confirmation, and nothing but reading for a clerk."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QSpinBox
from pytestqt.qtbot import QtBot

from app.models.users import Role
from app.retention.policies import KINDS
from app.services import retention
from app.services.workspace import Desk
from tests.app.test_retention import CLIENT_TABLES, as_role, counts, make_client
from tests.ui.conftest import not_blank
from ui.dialogs.retention import RetentionDialog
from ui.theme import STYLE
from ui.worker import DbWorker

SHOTS = Path("/tmp/shots")


def opened(qtbot: QtBot, desk: Desk, worker: DbWorker) -> RetentionDialog:
    dialog = RetentionDialog(desk, worker)
    qtbot.addWidget(dialog)
    dialog.setStyleSheet(STYLE)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == len(KINDS) and not dialog.busy,
                    timeout=10000)
    return dialog


def cell(table: object, row: int, column: int) -> str:
    item = table.item(row, column)  # type: ignore[attr-defined]
    return "" if item is None else str(item.text())


def spin(dialog: RetentionDialog, key: str) -> QSpinBox:
    return dialog.spins[key]


def test_preview_shows_what_goes_and_who_is_held_and_purge_waits_for_yes(
        qtbot: QtBot, desk: Desk, worker: DbWorker) -> None:
    gone = make_client(desk, "Maria", "Ioannou", closed_years_ago=6)
    held = make_client(desk, "Ivan", "Petrov", closed_years_ago=6, frozen=True)
    dialog = opened(qtbot, desk, worker)
    assert [cell(dialog.table, r, 0) for r in range(len(KINDS))] == [k.label for k in KINDS]
    assert spin(dialog, "kyc_records").value() == 5
    dialog.preview_button.click()
    qtbot.waitUntil(lambda: dialog.due.rowCount() == len(KINDS) and not dialog.busy,
                    timeout=10000)
    kyc = next(r for r in range(len(KINDS)) if cell(dialog.due, r, 0) == "KYC records")
    assert cell(dialog.due, kyc, 1) == "3"
    assert cell(dialog.due, kyc, 2) == "1 document, 1 check, 1 KYC case"
    assert dialog.held.rowCount() == 1
    assert cell(dialog.held, 0, 0) == f"Petrov, Ivan (#{held})"
    assert cell(dialog.held, 0, 2) == "frozen by compliance"
    assert "a purge would remove 12 record(s). 1 closed client(s) are held." in \
        dialog.message.text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(SHOTS / "retention_dialog.png"))
    assert not_blank(SHOTS / "retention_dialog.png") > 20

    dialog.purge_button.click()  # the box asks first; Cancel removes nothing
    qtbot.waitUntil(lambda: dialog.confirm_box is not None and dialog.confirm_box.isVisible(),
                    timeout=10000)
    box = dialog.confirm_box
    assert box is not None and "Remove 12 record(s)" in box.text()
    assert "cannot be undone" in box.text() and "1 held client(s)" in box.text()
    box.grab().save(str(SHOTS / "retention_confirm.png"))
    cancel = box.button(QMessageBox.StandardButton.Cancel)
    assert cancel is not None
    cancel.click()
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=5000)
    qtbot.wait(50)
    assert counts(desk, gone)["kyc_documents"] == 1

    dialog.purge_button.click()
    qtbot.waitUntil(lambda: dialog.confirm_box is not box and dialog.confirm_box is not None
                    and dialog.confirm_box.isVisible(), timeout=10000)
    with qtbot.waitSignal(dialog.purged, timeout=10000) as said:
        dialog.confirm_yes.click()
    assert str(said.args[0]).startswith("Purged 12 record(s) as of ")
    assert counts(desk, gone) == dict.fromkeys(CLIENT_TABLES, 0)
    assert counts(desk, held)["kyc_documents"] == 1
    assert cell(dialog.due, kyc, 1) == "3" and "removed" in dialog.due_title.text()
    dialog.grab().save(str(SHOTS / "retention_purged.png"))

    dialog.purge_button.click()  # nothing left: no box, a sentence instead
    qtbot.waitUntil(lambda: "nothing to purge" in dialog.message.text(), timeout=10000)


def test_periods_are_checked_as_typed_and_saved(qtbot: QtBot, desk: Desk,
                                                worker: DbWorker) -> None:
    dialog = opened(qtbot, desk, worker)
    assert not dialog.save.isEnabled()
    spin(dialog, "kyc_records").setValue(4)
    assert "KYC records must be kept at least 5 years after the relationship ends" in \
        dialog.check.text()
    assert not dialog.save.isEnabled()
    spin(dialog, "kyc_records").setValue(8)
    spin(dialog, "sync_errors").setValue(1)
    assert dialog.check.text() == "" and dialog.save.isEnabled()
    dialog.save.click()
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Saved:"), timeout=10000)
    assert dialog.message.text() == "Saved: KYC records 8 years; Sync errors 1 year."
    now = {p.kind.key: p.years for p in retention.policies(desk)}
    assert now["kyc_records"] == 8 and now["sync_errors"] == 1
    assert not dialog.save.isEnabled()  # saved: nothing left to save


def test_a_clerk_reads_the_periods_but_cannot_change_or_purge(qtbot: QtBot, desk: Desk,
                                                              worker: DbWorker) -> None:
    retention.set_policy(desk, "notes_tasks", 6)
    clerk = as_role(desk, Role.CLERK, "chris")
    dialog = opened(qtbot, clerk, worker)
    assert spin(dialog, "notes_tasks").value() == 6
    assert not any(s.isEnabled() for s in dialog.spins.values())
    assert not dialog.preview_button.isEnabled() and not dialog.purge_button.isEnabled()
    assert not dialog.save.isEnabled()
