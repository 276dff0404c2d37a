"""The client page with real data: every section filled, notes and tasks added through
the page appear in the timeline, lifecycle steps and their refusals, live account state."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDialogButtonBox
from sqlalchemy import select, text

from app.crm.client_page import client_page
from app.crm.contacts import add_contact
from app.crm.setup import prepare_workspace
from app.crm.tasks import create_task
from app.demo.generator import fill
from app.models.crm import Client, ClientStatus, ContactKind
from app.services.clients import ClientData, create_client
from app.services.outbox import add_note
from app.services.workspace import Desk
from tests.app.test_crm_support import account_rec, client_rec, mirror, state_rec
from tests.ui.conftest import not_blank
from ui.dialogs.client_status import StatusChangeDialog
from ui.views.client.page import ClientPageView
from ui.views.clients_view import ClientsPage
from ui.worker import DbWorker

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"

RICHEST = """SELECT c.id FROM clients c ORDER BY
  (SELECT count(*) FROM trading_accounts a WHERE a.client_id = c.id) > 0 DESC,
  (SELECT count(*) FROM kyc_cases k JOIN kyc_documents d ON d.case_id = k.id
   WHERE k.client_id = c.id) > 0 DESC,
  (SELECT count(*) FROM payment_requests p WHERE p.client_id = c.id) DESC, c.id LIMIT 1"""


@pytest.fixture
def rich(desk: Desk) -> int:
    """A demo client with accounts, KYC documents and payments, plus contacts, a note
    and a task."""
    fill(desk, clients=150, seed=5)
    prepare_workspace(desk.store)
    with desk.store.read() as s:
        cid = int(s.execute(text(RICHEST)).scalar_one())
    add_contact(desk, cid, ContactKind.EMAIL, "second.inbox@example.org")
    add_contact(desk, cid, ContactKind.PHONE, "+44 20 7946 0018", primary=True)
    add_note(desk, cid, "Prefers calls in the afternoon.")
    create_task(desk, "Send the annual statement", client_id=cid,
                due_date=date.today() + timedelta(days=3))
    return cid


def open_view(qtbot, desk: Desk, worker: DbWorker, client_id: int) -> ClientPageView:
    view = ClientPageView(desk, worker)
    qtbot.addWidget(view)
    view.resize(1110, 800)  # the main window at 1280x800 less the navigation
    view.show()
    view.show_client(client_id)
    settle(qtbot, view)
    return view


def settle(qtbot, view: ClientPageView) -> None:
    qtbot.waitUntil(lambda: view.worker.pending == 0 and view.page is not None
                    and view.timeline.events != [], timeout=10000)


def shot(widget, name: str) -> Path:
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    widget.grab().save(str(path))
    return path


def cells(table, column: int) -> list[str]:
    return [table.item(r, column).text() for r in range(table.rowCount())]


def test_every_section_shows_the_clients_data(qtbot, desk, worker, rich) -> None:
    page = ClientsPage(desk, worker)
    qtbot.addWidget(page)
    page.resize(1110, 800)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.list.model.rowCount() == 150 and worker.pending == 0,
                    timeout=10000)
    page.list.search.setText("second.inbox@example.org")  # found by a further contact
    qtbot.waitUntil(lambda: page.list.model.rowCount() == 1 and worker.pending == 0,
                    timeout=5000)
    page.list.table.doubleClicked.emit(page.list.model.index(0, 1))
    view = page.client_page
    assert page.stack.currentWidget() is view
    settle(qtbot, view)
    data = client_page(desk, rich)
    p = data.profile
    assert view.title.text() == f"{p.display_name}  ·  #{rich}"
    assert view.profile.values["Email"].text() == p.email
    assert view.profile.values["Manager"].text() == (p.manager_name or "None assigned")
    contacts = [view.profile.contacts.item(i).text()
                for i in range(view.profile.contacts.count())]
    assert "Email: second.inbox@example.org" in contacts
    assert "Phone: +442079460018  ★ preferred" in contacts
    assert view.profile.partner.text().startswith(p.partner_name or "Not introduced")

    assert view.accounts.table.rowCount() == len(data.accounts) > 0
    assert cells(view.accounts.table, 0) == [str(a.login) for a in data.accounts]
    assert view.money.table.rowCount() == len(data.payments) > 0
    assert view.money.note.text().startswith(f"Newest first: {len(data.payments)} of "
                                             f"{data.payments_total}")
    docs = [d for case in data.kyc for d in case.documents]
    assert view.kyc.table.rowCount() == len(docs) > 0
    assert f"Case {data.kyc[0].id}" in view.kyc.summary.text()
    assert cells(view.notes.table, 2)[0] == "Prefers calls in the afternoon."
    assert cells(view.tasks.table, 1) == [t.title for t in data.tasks]
    assert "Send the annual statement" in cells(view.tasks.table, 1)
    open_tasks = sum(not t.done for t in data.tasks)
    assert view.tabs.tabText(view.tabs.indexOf(view.tasks)) == f"Tasks ({open_tasks} open)"
    assert view.notes.table.rowCount() == len(data.notes)
    times = [e.at for e in view.timeline.events]
    assert times == sorted(times, reverse=True) and len(times) > 3
    kinds = {e.kind for e in view.timeline.events}
    assert {"note", "task", "change"} <= kinds  # from the records and the audit log
    assert kinds & {"trades", "balance", "payment"}  # and from the mirrors

    for index, name in enumerate(("timeline", "accounts", "money", "kyc", "notes", "tasks")):
        view.tabs.setCurrentIndex(index)
        path = shot(page, f"client_page_{name}")
        assert not_blank(path) > 30, name
    view.back.emit()
    assert page.stack.currentWidget() is page.browse


def test_note_and_task_added_on_the_page_show_in_the_timeline(qtbot, desk, worker,
                                                              rich) -> None:
    view = open_view(qtbot, desk, worker, rich)
    notes, tasks = view.notes, view.tasks
    had_notes, had_tasks = notes.table.rowCount(), tasks.table.rowCount()
    open_tasks = sum(not t.done for t in tasks.rows)
    view.tabs.setCurrentWidget(notes)
    notes.text.setPlainText("   ")
    notes.add_button.click()
    qtbot.waitUntil(lambda: notes.error.isVisible(), timeout=5000)
    assert notes.error.text() == "A note needs some text."

    notes.text.setPlainText("Asked for a higher leverage; told him the rules.")
    notes.add_button.click()
    qtbot.waitUntil(lambda: notes.table.rowCount() == had_notes + 1 and worker.pending == 0,
                    timeout=5000)
    settle(qtbot, view)
    assert not notes.error.isVisible() and notes.text.toPlainText() == ""
    # Newest first; the demo dates some payment steps a few minutes ahead of now.
    row = [e.detail for e in view.timeline.events].index(
        "Asked for a higher leverage; told him the rules.")
    assert row < 3 and view.timeline.events[row].kind == "note"
    assert view.timeline.table.item(row, 1).text() == "Note"
    assert view.timeline.table.item(row, 3).text() == "admin"

    due = date.today() + timedelta(days=10)
    view.tabs.setCurrentWidget(tasks)
    tasks.title.setText("Chase the proof of address")
    tasks.due.setDate(QDate(due.year, due.month, due.day))
    tasks.add_button.click()
    qtbot.waitUntil(lambda: tasks.table.rowCount() == had_tasks + 1 and worker.pending == 0,
                    timeout=5000)
    settle(qtbot, view)
    row = cells(tasks.table, 1).index("Chase the proof of address")
    assert tasks.table.item(row, 0).text() == due.isoformat()
    assert tasks.table.item(row, 3).text() == "open"
    titles = [e.title for e in view.timeline.events]
    assert "Task created: Chase the proof of address" in titles
    assert f"due {due.isoformat()}" in [e.detail for e in view.timeline.events]

    tasks.table.selectRow(row)
    assert tasks.done_button.isEnabled() and not tasks.reopen_button.isEnabled()
    tasks.done_button.click()
    qtbot.waitUntil(lambda: worker.pending == 0 and any(
        e.title == "Task done: Chase the proof of address" for e in view.timeline.events),
        timeout=5000)
    assert view.tabs.tabText(view.tabs.indexOf(tasks)) == f"Tasks ({open_tasks} open)"
    state = cells(tasks.table, 3)[cells(tasks.table, 1).index("Chase the proof of address")]
    assert state.startswith("done ")

    tasks.title.setText("")
    tasks.add_button.click()
    qtbot.waitUntil(lambda: tasks.error.isVisible(), timeout=5000)
    assert "needs a title" in tasks.error.text()
    path = shot(view, "client_page_tasks_added")
    assert not_blank(path) > 30


def test_contacts_are_validated_when_added(qtbot, desk, worker, rich) -> None:
    view = open_view(qtbot, desk, worker, rich)
    panel = view.profile
    panel.kind.setCurrentIndex(panel.kind.findData("email"))
    panel.value.setText("not an email")
    panel.add_button.click()
    qtbot.waitUntil(lambda: panel.error.isVisible(), timeout=5000)
    assert "not a valid email" in panel.error.text()
    panel.kind.setCurrentIndex(panel.kind.findData("phone"))
    panel.value.setText("+357 22 123456")
    panel.add_button.click()
    qtbot.waitUntil(lambda: panel.contacts.count() == 3 and worker.pending == 0,
                    timeout=5000)
    settle(qtbot, view)
    assert not panel.error.isVisible()
    assert any(e.title == "Contact added" for e in view.timeline.events)


def _status_action(view: ClientPageView, label: str):
    for action in view.status_button.menu().actions():
        if action.text().startswith(label):
            return action
    raise AssertionError([a.text() for a in view.status_button.menu().actions()])


def _accept_status_dialog(qtbot, view: ClientPageView, reason: str = "") -> None:
    dialog = view.dialog
    assert isinstance(dialog, StatusChangeDialog)
    dialog.reason.setText(reason)
    with qtbot.waitSignal(dialog.changed, timeout=5000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    settle(qtbot, view)


def test_lifecycle_steps_and_refusals_in_plain_words(qtbot, desk, worker) -> None:
    cid = create_client(desk, ClientData(first_name="Ingrid", last_name="Halvorsen",
                                         country="NO", status=ClientStatus.REGISTERED))
    view = open_view(qtbot, desk, worker, cid)
    assert view.subtitle.text().startswith("Registered")
    qtbot.waitUntil(lambda: bool(view.options), timeout=5000)
    _status_action(view, "KYC pending").trigger()
    _accept_status_dialog(qtbot, view)
    assert view.subtitle.text().startswith("KYC pending")
    assert view.message.text() == "Status changed to KYC pending."
    qtbot.waitUntil(lambda: any(o.status is ClientStatus.VERIFIED for o in view.options),
                    timeout=5000)
    verified = _status_action(view, "Verified")
    assert verified.text() == "Verified (not possible now)"
    verified.trigger()
    assert view.message.isVisible()
    assert "Halvorsen, Ingrid cannot be verified: there is no approved KYC case" in \
        view.message.text()
    assert view.dialog is None or not view.dialog.isVisible()
    with desk.store.read() as s:
        assert s.get(Client, cid).status is ClientStatus.KYC_PENDING
    path = shot(view, "client_page_refusal")
    assert not_blank(path) > 20


def test_closing_with_money_needs_a_reason_and_accounts_update_live(qtbot, desk,
                                                                    worker) -> None:
    mirror(desk, client_rec("C-77", "Olena", "Kovalenko", country="UA"),
           account_rec(7701, "C-77"), state_rec(7701, "1500.00"))
    with desk.store.read() as s:
        cid = s.scalar(select(Client.id).where(Client.external_id == "C-77"))
    view = open_view(qtbot, desk, worker, cid)
    assert cells(view.accounts.table, 5) == ["1,500.00 USD"]
    mirror(desk, state_rec(7701, "0.00"))  # the platform reports the withdrawal
    view.live.setInterval(50)
    qtbot.waitUntil(lambda: cells(view.accounts.table, 5) == ["0.00 USD"], timeout=5000)
    mirror(desk, state_rec(7701, "250.00"))
    qtbot.waitUntil(lambda: cells(view.accounts.table, 5) == ["250.00 USD"], timeout=5000)
    view.live.stop()

    view.reload()
    qtbot.waitUntil(lambda: any(o.status is ClientStatus.CLOSED and o.needs_reason
                                for o in view.options) and worker.pending == 0, timeout=5000)
    _status_action(view, "Closed").trigger()
    dialog = view.dialog
    assert isinstance(dialog, StatusChangeDialog)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert "Write why the client is closed" in dialog.error.text()
    _accept_status_dialog(qtbot, view, "Client moved abroad; balance to be returned")
    assert view.subtitle.text().startswith("Closed")
    assert "closed: Client moved abroad" in view.subtitle.text()


def test_timeline_pages_with_show_more(qtbot, desk, worker) -> None:
    cid = create_client(desk, ClientData(last_name="Aalto", first_name="Mikko", country="FI"))
    for n in range(64):
        add_note(desk, cid, f"Call {n}")
    view = open_view(qtbot, desk, worker, cid)
    timeline = view.timeline
    assert len(timeline.events) == 50 and timeline.table.rowCount() == 50
    assert timeline.events[0].detail == "Call 63"
    assert not timeline.more_button.isHidden()
    assert timeline.note.text() == "Newest first: 50 events shown so far."
    timeline.more_button.click()
    qtbot.waitUntil(lambda: len(timeline.events) == 65, timeout=5000)  # 64 notes, creation
    assert timeline.events[-1].title == "Client record created"
    assert timeline.more_button.isHidden()
    assert timeline.note.text() == "Newest first: 65 events."
