"""The Compliance part as a compliance officer drives it: the alert queue (filters,
evidence), a case opened from two alerts, worked on its card (investigating, a note, a
file viewed from memory) and closed as a confirmed risk that freezes the client; an
alert dismissed; a stale change refused in words; and a clerk who only looks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from app.compliance import cases, decisions
from app.models.compliance import Alert, AlertStatus, CaseStatus
from app.models.crm import Client
from app.models.users import Role
from app.services.workspace import Desk
from tests.app.test_cases import get, raise_alert
from tests.app.test_kyc_support import TODAY, as_user, pdf, person, write
from tests.ui.conftest import not_blank
from ui.dialogs.case_alerts import AddAlertsDialog
from ui.dialogs.case_assign import AssignDialog, DueDateDialog
from ui.dialogs.case_attachment import AttachmentDialog
from ui.dialogs.case_close import CloseCaseDialog
from ui.dialogs.case_open import OpenCaseDialog
from ui.dialogs.reason import ReasonDialog
from ui.theme import STYLE
from ui.views.compliance_view import CompliancePage
from ui.worker import DbWorker

SHOTS = Path("/tmp/shots")
TIMEOUT = 10_000


def shot(qtbot: QtBot, widget: object, name: str) -> None:
    qtbot.wait(50)  # the layout settles (wrapped labels grow) before the picture
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    widget.grab().save(str(path))  # type: ignore[attr-defined]
    assert not_blank(path) > 20, path


def opened(qtbot: QtBot, desk: Desk, worker: DbWorker, rows: int) -> CompliancePage:
    page = CompliancePage(desk, worker)
    qtbot.addWidget(page)
    page.setStyleSheet(STYLE)
    page.resize(1360, 820)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.alerts.count_label.text() == f"{rows} alert"
                    + ("" if rows == 1 else "s"), timeout=TIMEOUT)
    return page


def select(page: CompliancePage, *alert_ids: int) -> None:
    model, chosen = page.alerts.model, page.alerts.table.selectionModel()
    chosen.clearSelection()
    for row in range(model.rowCount()):
        if model.key_at(row) in alert_ids:
            chosen.select(model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                          | QItemSelectionModel.SelectionFlag.Rows)


def world(desk: Desk) -> tuple[Desk, int, int, list[int]]:
    olga = as_user(desk, Role.COMPLIANCE, "olga")
    lima, other = person(desk), person(desk, last="Other")
    ids = [raise_alert(desk, lima),
           raise_alert(desk, lima, rule="structuring", severity="medium",
                       summary="Four deposits just under 10,000 USD",
                       evidence={"deposits": 4, "each_under": "10,000.00 USD"}, due=-1),
           raise_alert(desk, other, rule="little_trading", severity="low",
                       summary="Deposit then withdrawal with little trading")]
    return olga, lima, other, ids


def test_a_case_from_the_queue_worked_and_closed_on_its_card(
        qtbot: QtBot, qtmodeltester: object, desk: Desk, worker: DbWorker,
        tmp_path: Path) -> None:
    olga, lima, _other, (payer, structuring, little) = world(desk)
    page = opened(qtbot, olga, worker, 3)
    queue = page.alerts
    qtmodeltester.check(queue.model, force_py=True)  # type: ignore[attr-defined]
    assert [queue.model.headerData(c, Qt.Orientation.Horizontal) for c in range(7)] == [
        "Raised", "Severity", "Rule", "Client", "Status", "Due", "Summary"]

    queue.severity.setCurrentIndex(queue.severity.findText("Low"))
    qtbot.waitUntil(lambda: queue.count_label.text() == "1 alert", timeout=TIMEOUT)
    assert queue.model.key_at(0) == little
    queue.severity.setCurrentIndex(0)
    queue.past_due.setChecked(True)
    qtbot.waitUntil(lambda: queue.model.key_at(0) == structuring, timeout=TIMEOUT)
    assert queue.count_label.text() == "1 alert"
    assert queue.model.index(0, 5).data().endswith("overdue")
    queue.past_due.setChecked(False)
    qtbot.waitUntil(lambda: queue.count_label.text() == "3 alerts", timeout=TIMEOUT)

    select(page, payer, structuring)
    qtbot.waitUntil(lambda: queue.current is not None and queue.open_button.isEnabled(),
                    timeout=TIMEOUT)
    assert "What the rule saw" in queue.detail.text()
    assert not queue.dismiss_button.isEnabled()  # one at a time
    shot(qtbot, page, "compliance_queue.png")
    dialog = queue.ask_open_case()
    assert isinstance(dialog, OpenCaseDialog) and dialog.isVisible()
    assert sorted(dialog.alert_ids) == sorted([payer, structuring])
    assert dialog.assignee.currentText() == "Olga"
    dialog.title.setText("Third-party money and structuring — Lima")
    dialog.ok.click()
    card = page.cases.card
    qtbot.waitUntil(lambda: card.card is not None
                    and card.card.title == "Third-party money and structuring — Lima",
                    timeout=TIMEOUT)
    assert page.tabs.currentWidget() is page.cases
    assert page.message.text() == "Opened the case “Third-party money and structuring — Lima”."
    assert card.alerts.rowCount() == 2
    assert card.facts.text().startswith("Open · about Lima, Ana · with Olga · due by")
    qtbot.waitUntil(lambda: page.cases.count_label.text() == "1 case", timeout=TIMEOUT)

    card.buttons["investigate"].click()
    qtbot.waitUntil(lambda: card.card is not None
                    and card.card.status is CaseStatus.INVESTIGATING, timeout=TIMEOUT)
    assert not card.buttons["investigate"].isVisible()
    card.work.note.setPlainText("Called the client: the payer is said to be a cousin.")
    card.work.add_note()
    qtbot.waitUntil(lambda: "said to be a cousin" in card.work.notes.text(), timeout=TIMEOUT)
    card.work.attach(write(tmp_path, "bank-letter.pdf", pdf(2)))
    files = card.work.files
    qtbot.waitUntil(lambda: files.rowCount() == 1 and files.item(0, 0) is not None
                    and files.item(0, 0).text() == "bank-letter.pdf", timeout=TIMEOUT)
    card.alerts.selectRow(1)
    assert "Each under" in card.evidence.text()
    shot(qtbot, page, "compliance_case_card.png")
    card.work.view_attachment(0)
    qtbot.waitUntil(lambda: isinstance(card.dialog, AttachmentDialog), timeout=TIMEOUT)
    viewer = card.dialog
    assert isinstance(viewer, AttachmentDialog) and viewer.shown
    assert viewer.viewer.pages == 2
    shot(qtbot, viewer, "compliance_attachment.png")
    viewer.reject()

    closing = card.ask_close()
    assert isinstance(closing, CloseCaseDialog)
    assert not closing.ok.isEnabled()
    closing.confirmed.setChecked(True)
    closing.reason.setPlainText("The 'cousin' is an unrelated company; no explanation given.")
    assert closing.freeze.isEnabled()
    closing.freeze.setChecked(True)
    shot(qtbot, closing, "compliance_close_dialog.png")
    closing.ok.click()
    qtbot.waitUntil(lambda: card.card is not None and card.card.status is CaseStatus.CLOSED,
                    timeout=TIMEOUT)
    assert card.card.client_frozen and card.card.froze_withdrawals
    assert "This case froze the client's withdrawals." in card.facts.text()
    assert page.message.text().endswith("Lima, Ana is frozen (no money out, no new live "
                                        "accounts).")
    assert card.buttons["reopen"].isVisible() and not card.buttons["close"].isVisible()
    qtbot.waitUntil(lambda: page.cases.count_label.text() == "0 cases", timeout=TIMEOUT)
    assert get(desk, Client, lima).frozen
    shot(qtbot, page, "compliance_case_closed.png")

    page.tabs.setCurrentWidget(page.alerts)  # stale since the case: reads again
    qtbot.waitUntil(lambda: queue.count_label.text() == "1 alert", timeout=TIMEOUT)
    assert queue.model.key_at(0) == little


def test_dismissing_and_a_stale_change_are_said_in_words(
        qtbot: QtBot, desk: Desk, worker: DbWorker) -> None:
    olga, _lima, _other, (payer, structuring, little) = world(desk)
    page = opened(qtbot, olga, worker, 3)
    queue = page.alerts
    select(page, little)
    qtbot.waitUntil(lambda: queue.dismiss_button.isEnabled(), timeout=TIMEOUT)
    dialog = queue.ask_dismiss()
    assert isinstance(dialog, ReasonDialog)
    assert not dialog.reject_button.isEnabled()  # a reason is required
    dialog.reason.setPlainText("Trading resumed the next week; normal for this client.")
    dialog.reject_button.click()
    qtbot.waitUntil(lambda: queue.count_label.text() == "2 alerts", timeout=TIMEOUT)
    assert page.message.text() == ("Dismissed “Deposit then withdrawal with little "
                                   "trading” as a false positive.")
    assert get(desk, Alert, little).status is AlertStatus.CLOSED

    case_id = cases.open_case(olga, [payer, structuring], "Lima")
    page.show_case(case_id)
    card = page.cases.card
    qtbot.waitUntil(lambda: card.card is not None and card.card.id == case_id, timeout=TIMEOUT)
    manager = as_user(desk, Role.MANAGER, "mark")
    cases.assign_case(manager, case_id, card.card.version, manager.actor.id)  # elsewhere
    card.buttons["investigate"].click()
    qtbot.waitUntil(lambda: "changed by someone else" in card.message.text(), timeout=TIMEOUT)
    assert card.message.styleSheet() == "color: #b3261e;"
    qtbot.waitUntil(lambda: card.card is not None and card.card.assignee_name == "Mark",
                    timeout=TIMEOUT)  # read again, to redo the change on
    card.buttons["investigate"].click()
    qtbot.waitUntil(lambda: card.card is not None
                    and card.card.status is CaseStatus.INVESTIGATING, timeout=TIMEOUT)


def test_assignee_due_date_alerts_and_a_reopening_from_the_card(
        qtbot: QtBot, qtmodeltester: object, desk: Desk, worker: DbWorker) -> None:
    olga, _lima, _other, (payer, structuring, _little) = world(desk)
    as_user(desk, Role.FINANCE, "fiona")  # may not work cases: not offered
    case_id = cases.open_case(olga, [payer], "Lima", assignee_id=olga.actor.id,
                              due_date=TODAY + timedelta(days=3))
    page = opened(qtbot, olga, worker, 2)
    page.show_case(case_id)
    card = page.cases.card
    qtbot.waitUntil(lambda: card.card is not None and card.card.id == case_id, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: page.cases.table.selectionModel().hasSelection(), timeout=TIMEOUT)
    # one model per test: the tester stays connected to the model it checks
    qtmodeltester.check(page.cases.model, force_py=True)  # type: ignore[attr-defined]

    assign = card.ask_assign()
    assert isinstance(assign, AssignDialog)
    offered = [assign.person.itemText(i) for i in range(assign.person.count())]
    assert offered == ["Nobody yet", "Ada Admin", "Olga"]
    assert assign.person.currentText() == "Olga"
    assign.person.setCurrentIndex(1)
    assign.ok.click()
    qtbot.waitUntil(lambda: card.card is not None and card.card.assignee_name == "Ada Admin",
                    timeout=TIMEOUT)
    assert page.message.text() == "The case “Lima” is now with Ada Admin."

    due = card.ask_due_date()
    assert isinstance(due, DueDateDialog)
    assert due.due.value() == TODAY + timedelta(days=3)
    due.due.on.setChecked(False)
    due.ok.click()
    qtbot.waitUntil(lambda: "no due date" in card.facts.text(), timeout=TIMEOUT)

    card.ask_add_alerts()
    qtbot.waitUntil(lambda: isinstance(card.dialog, AddAlertsDialog), timeout=TIMEOUT)
    adding = card.dialog
    assert isinstance(adding, AddAlertsDialog) and adding.list.count() == 1  # Lima's only
    adding.tick([structuring])
    assert adding.chosen() == [structuring]
    shot(qtbot, adding, "compliance_add_alerts.png")
    adding.ok.click()
    qtbot.waitUntil(lambda: card.alerts.rowCount() == 2, timeout=TIMEOUT)

    card.alerts.selectRow(0)
    assert card.take_out.isEnabled()
    card.take_out_alert()
    qtbot.waitUntil(lambda: card.alerts.rowCount() == 1, timeout=TIMEOUT)
    assert page.message.text().endswith("it is open in the queue.")

    decisions.close_case(olga, case_id, card.card.version, "false_positive", "Explained.")
    card.reload()
    qtbot.waitUntil(lambda: card.card is not None and card.card.status is CaseStatus.CLOSED,
                    timeout=TIMEOUT)
    reopening = card.ask_reopen()
    assert isinstance(reopening, ReasonDialog)
    reopening.reason.setPlainText("A new deposit from the same payer.")
    reopening.reject_button.click()
    qtbot.waitUntil(lambda: card.card is not None and card.card.status is CaseStatus.OPEN,
                    timeout=TIMEOUT)
    assert "Reopened: A new deposit from the same payer." in card.work.notes.text()
    assert card.buttons["investigate"].isVisible() and not card.buttons["reopen"].isVisible()


def test_a_clerk_sees_the_queue_and_cases_but_not_the_notes(
        qtbot: QtBot, desk: Desk, worker: DbWorker) -> None:
    olga, _lima, _other, (payer, _s, _l) = world(desk)
    case_id = cases.open_case(olga, [payer], "Third-party money")
    cases.add_note(olga, case_id, "Do not tell the account manager.")
    clerk = as_user(desk, Role.CLERK, "carl")
    page = opened(qtbot, clerk, worker, 2)
    assert page.role_note.text() == "Read only: alerts and cases are worked by compliance."
    page.focus_search()
    assert page.alerts.search.hasFocus()
    assert not page.alerts.open_button.isVisible()
    assert not page.alerts.dismiss_button.isVisible()
    page.show_case(case_id)
    card = page.cases.card
    qtbot.waitUntil(lambda: card.card is not None and card.card.id == case_id, timeout=TIMEOUT)
    assert card.restricted.isVisible() and not card.work.isVisible()
    assert "Do not tell" not in card.work.notes.text()
    assert not any(b.isVisible() for b in card.buttons.values())
    shot(qtbot, page, "compliance_clerk.png")


def test_run_rules_now_raises_alerts_into_the_queue_and_rules_open(
        qtbot: QtBot, desk: Desk, worker: DbWorker) -> None:
    from tests.app.test_monitoring import T0, Book

    olga = as_user(desk, Role.COMPLIANCE, "olga")
    book = Book(desk)
    nowak = book.client("Nowak", "Ewa")
    book.pay(nowak, "deposit", "300.00", T0, payer="Jan Kowalski")
    page = opened(qtbot, olga, worker, 0)
    assert page.run_button.isVisible() and page.rules_button.isVisible()
    page.run_button.click()
    qtbot.waitUntil(lambda: page.alerts.count_label.text() == "1 alert", timeout=TIMEOUT)
    assert "1 new alert." in page.message.text()
    page.run_button.click()  # the same activity never raises a second alert
    qtbot.waitUntil(lambda: "nothing new" in page.message.text(), timeout=TIMEOUT)
    dialog = page.open_rules()
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    dialog.reject()
    clerk = opened(qtbot, as_user(desk, Role.CLERK, "carl"), worker, 1)
    assert not clerk.run_button.isVisible() and not clerk.rules_button.isVisible()
