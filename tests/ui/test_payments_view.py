"""The payments part as a clerk and a finance officer drive it: the payment form checks
each field as it is left and prices the request, the withdrawal queue says why each
withdrawal waits, and approving or rejecting goes through the services to the outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models.payments import PaymentDirection, PaymentMethod, PaymentRequest, PaymentStatus
from app.models.sync_state import OutboxCommand
from app.models.trading import Quote
from app.models.users import Role
from app.services import users
from app.services.workspace import Desk
from sync.engine import SyncStatus
from tests.app.test_payments import _client_with_account, _people, _withdrawal
from tests.ui.conftest import not_blank
from ui.dialogs.payment_request import CARD_NOTE, PaymentRequestDialog
from ui.views.client.page import ClientPageView
from ui.views.payments_decision import RED
from ui.views.payments_view import (
    APPROVAL_COLUMN,
    CHECKS_COLUMN,
    QUEUE_COLUMNS,
    PaymentsPage,
)
from ui.worker import DbWorker

SHOTS = Path("/tmp/shots")
BAD_IBAN = "DE89 3704 0044 0532 0130 01"  # last digit mistyped: mod-97 fails
GOOD_IBAN = "DE89 3704 0044 0532 0130 00"


def shot(widget: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"payments_{name}.png"
    widget.grab().save(str(path))  # type: ignore[attr-defined]
    assert not_blank(path) > 8, name


def commands(desk: Desk, kind: str) -> list[OutboxCommand]:
    with desk.store.read() as s:
        return list(s.scalars(select(OutboxCommand).where(OutboxCommand.kind == kind)
                              .order_by(OutboxCommand.device_seq)))


def opened_page(qtbot: QtBot, desk: Desk, worker: DbWorker, rows: int) -> PaymentsPage:
    page = PaymentsPage(desk, worker)
    qtbot.addWidget(page)
    page.resize(1280, 640)
    page.show()
    page.refresh()
    assert page.queue is not None
    queue = page.queue
    qtbot.waitUntil(lambda: queue.table.rowCount() == rows, timeout=10000)
    return page


def test_the_form_checks_fields_as_they_are_left_prices_and_queues(
        qtbot: QtBot, desk: Desk, worker: DbWorker) -> None:
    clerk = _people(desk)["clerk"]
    _cid, login = _client_with_account(desk)
    dialog = PaymentRequestDialog(clerk, worker, logins=[login])
    qtbot.addWidget(dialog)
    dialog.show()
    # the account is looked up on the worker: the client's name becomes the payee
    qtbot.waitUntil(lambda: dialog.holder.text() == "Anna Berg", timeout=10000)
    assert "Berg, Anna · USD account" in dialog.fields["account"].note.text()
    dialog.direction.setCurrentIndex(dialog.direction.findData(PaymentDirection.WITHDRAWAL))
    assert dialog.form.labelForField(dialog.fields["holder"]).text() == "Paid out to"
    dialog.provider.setCurrentText("SWIFT")
    dialog.amount.setText("1000.00")
    dialog.bic.setText("COBADEFFXXX")
    dialog.bic.editingFinished.emit()
    dialog.iban.setText(BAD_IBAN)
    iban = dialog.fields["iban"].message
    assert iban.isHidden()  # still typing: no message yet
    dialog.iban.editingFinished.emit()
    assert not iban.isHidden() and "check digits do not match" in iban.text()
    qtbot.waitUntil(lambda: "provider fee 1.00 USD" in dialog.preview.text(), timeout=10000)
    assert "books 1,000.00 USD on account" in dialog.preview.text()
    assert not dialog.send_button.isEnabled()
    dialog.resize(620, dialog.sizeHint().height())
    shot(dialog, "dialog_bad_iban")

    dialog.iban.setText(GOOD_IBAN)
    assert iban.isHidden()
    assert dialog.send_button.isEnabled()
    shot(dialog, "dialog_ready")
    with qtbot.waitSignal(dialog.sent, timeout=10000) as sent:
        dialog.send_button.click()
    payment_id = sent.args[0]
    assert "queued; it reaches the gateway with the next sync" in dialog.result_text
    [command] = commands(desk, "request-payment")
    assert command.payload["payer_account"] == "DE89370400440532013000"
    assert command.payload["provider"] == "SWIFT" and command.payload["amount"] == "1000.00"
    with desk.store.read() as s:
        payment = s.get(PaymentRequest, payment_id)
        assert payment is not None
        assert (payment.direction, payment.status, payment.amount_minor, payment.fee_minor,
                payment.payer_name, payment.bank_code) == (
            PaymentDirection.WITHDRAWAL, PaymentStatus.REQUESTED, 1_000_00, 1_00,
            "Anna Berg", "COBADEFFXXX")


def test_the_rows_follow_the_method_and_a_card_keeps_four_digits(
        qtbot: QtBot, desk: Desk, worker: DbWorker) -> None:
    _cid, login = _client_with_account(desk)
    dialog = PaymentRequestDialog(desk, worker, logins=[login])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.holder.text() == "Anna Berg", timeout=10000)
    with desk.store.write() as s:
        s.add(Quote(symbol="EURUSD", bid=Decimal("1.08490"), ask=Decimal("1.08510"),
                    time_ms=0))
    dialog.amount.setText("100")
    dialog.currency.setCurrentText("EUR")  # paid in euros, booked in the account's dollars
    qtbot.waitUntil(lambda: "at 1.08500000 USD/EUR = 108.50 USD" in dialog.preview.text(),
                    timeout=10000)
    assert "provider fee 0.00 EUR" in dialog.preview.text()  # SEPA charges nothing
    dialog.method.setCurrentIndex(dialog.method.findData(PaymentMethod.CARD))
    assert dialog.fields["iban"].isHidden() and not dialog.fields["card"].isHidden()
    assert [dialog.provider.itemText(i) for i in range(dialog.provider.count())] == [
        "Stripe", "Checkout.com", "Nuvei"]
    dialog.card.setText("4111 1111 1111 1111")
    dialog.card.editingFinished.emit()
    assert dialog.fields["card"].note.text() == f"{CARD_NOTE} Kept as ****1111."
    dialog.method.setCurrentIndex(dialog.method.findData(PaymentMethod.CRYPTO))
    assert dialog.fields["card"].isHidden() and not dialog.fields["address"].isHidden()
    dialog.network.setCurrentIndex(dialog.network.findData("tron"))
    dialog.address.setText("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")  # a Bitcoin address
    dialog.address.editingFinished.emit()
    assert "not a Tron address" in dialog.fields["address"].message.text()
    dialog.amount.setText("12.345")
    dialog.amount.editingFinished.emit()
    assert "more decimal places" in dialog.fields["amount"].message.text()
    assert not dialog.send_button.isEnabled()
    dialog.resize(620, dialog.sizeHint().height())
    shot(dialog, "dialog_crypto")
    # an account that is no client's is refused in words, next to the field
    dialog.account.setEditText("999999")
    dialog.look_up_account()
    message = dialog.fields["account"].message
    qtbot.waitUntil(lambda: "no trading account 999999" in message.text(), timeout=10000)
    assert dialog.account_info is None


def test_the_queue_says_why_and_a_warning_needs_a_note(
        qtbot: QtBot, desk: Desk, worker: DbWorker) -> None:
    people = _people(desk)
    cid, login = _client_with_account(desk)
    warned = _withdrawal(desk, cid, login, 1_000_00)      # deposit, then no trading: AML
    blocked = _withdrawal(desk, cid, login, 4_000_01)     # more than the free margin
    page = opened_page(qtbot, people["fin1"], worker, rows=2)
    queue = page.queue
    assert queue is not None
    assert [r.payment_id for r in queue.rows] == [warned, blocked]  # oldest first
    cells = [queue.table.item(1, c).text() for c in range(len(QUEUE_COLUMNS))]
    assert cells[1:] == ["Berg, Anna", "4,000.01 USD", "Blocked: Free margin",
                         "Waiting for approval.", str(login),
                         "bank wire · SEPA · DE89370400440532013000", "portal"]
    assert queue.table.item(0, CHECKS_COLUMN).text() == "Warning: AML"
    assert queue.table.item(1, CHECKS_COLUMN).foreground().color().name() == RED

    panel = queue.panel
    queue.select(blocked)
    qtbot.waitUntil(lambda: "4,000.00 USD free to take out" in panel.checks.text(),
                    timeout=10000)
    assert "Blocked" in panel.checks.text() and "Clear" in panel.checks.text()
    assert "Cannot be approved until the blocked checks clear" in panel.state.text()
    assert not panel.approve_button.isEnabled() and panel.reject_button.isEnabled()
    shot(page, "queue_blocked")

    queue.select(warned)
    qtbot.waitUntil(lambda: "closed only 0 trade" in panel.checks.text(), timeout=10000)
    assert panel.approve_button.isEnabled() and "required" in panel.note.placeholderText()
    panel.approve_button.click()
    qtbot.waitUntil(lambda: "Say why" in panel.message.text(), timeout=10000)
    assert commands(desk, "withdrawal-decision") == []
    shot(page, "queue_say_why")

    panel.note.setText("Client called: salary paid in by mistake, going back to it")
    panel.approve_button.click()
    qtbot.waitUntil(lambda: "Approved: the gateway takes" in panel.message.text(),
                    timeout=10000)
    qtbot.waitUntil(lambda: queue.table.item(0, APPROVAL_COLUMN).text()
                    == "Approved; waiting to reach the gateway.", timeout=10000)
    assert [c.payload["decision"] for c in commands(desk, "withdrawal-decision")] == [
        "approve", "send"]
    assert panel.state.text() == "Approved; waiting to reach the gateway."
    assert panel.payment_id == warned and not panel.approve_button.isEnabled()
    assert panel.note.text() == ""
    shot(page, "queue_approved")


def test_reject_asks_for_a_reason(qtbot: QtBot, desk: Desk, worker: DbWorker) -> None:
    people = _people(desk)
    cid, login = _client_with_account(desk)
    stranger = _withdrawal(desk, cid, login, 1_000_00, payee="Boris Fremd",
                           account="GB82WEST12345698765432")
    page = opened_page(qtbot, people["fin2"], worker, rows=1)
    assert page.queue is not None
    queue, panel = page.queue, page.queue.panel
    queue.select(stranger)
    qtbot.waitUntil(lambda: "Boris Fremd, not to Anna Berg" in panel.checks.text(),
                    timeout=10000)
    panel.reject_button.click()
    dialog = panel.reject_dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.reject_button.isEnabled()  # no reason, no rejection
    dialog.reason.setPlainText("   ")
    assert not dialog.reject_button.isEnabled()
    dialog.reason.setPlainText("The payee account is not in the client's name.")
    shot(dialog, "reject_dialog")
    dialog.reject_button.click()
    qtbot.waitUntil(lambda: queue.table.item(0, APPROVAL_COLUMN).text().startswith(
        "Rejected here"), timeout=10000)
    [command] = commands(desk, "withdrawal-decision")
    assert command.payload == {"payment_id": f"W{cid}-100000", "decision": "reject",
                               "reason": "The payee account is not in the client's name."}
    assert not panel.approve_button.isEnabled() and not panel.reject_button.isEnabled()


def test_who_sees_what_and_a_sync_brings_new_withdrawals(
        qtbot: QtBot, desk: Desk, worker: DbWorker) -> None:
    people = _people(desk)
    cid, login = _client_with_account(desk)
    blocked = _withdrawal(desk, cid, login, 4_000_01)
    page = opened_page(qtbot, people["clerk"], worker, rows=1)
    assert page.queue is not None
    queue, panel = page.queue, page.queue.panel
    queue.select(blocked)
    qtbot.waitUntil(lambda: "4,000.00 USD free to take out" in panel.checks.text(),
                    timeout=10000)
    # the clerk reads why it waits, may ask for payments, and decides nothing
    assert panel.approve_button.isHidden() and panel.reject_button.isHidden()
    assert panel.note.isHidden() and not page.new_button.isHidden()
    assert not panel.who_decides.isHidden()
    shot(page, "queue_clerk")
    officer = opened_page(qtbot, people["fin1"], worker, rows=1)
    assert officer.queue is not None
    assert not officer.queue.panel.approve_button.isHidden()
    compliance = Desk(desk.store, users.add_user(desk, "cora", "Cora", Role.COMPLIANCE))
    plain = PaymentsPage(compliance, worker)
    qtbot.addWidget(plain)
    assert plain.queue is None and plain.new_button.isHidden() and plain.tabs.count() == 1

    # a withdrawal arrives with a sync: the page reads the queue again by itself
    _withdrawal(desk, cid, login, 2_000_00)
    page.set_sync_status(SyncStatus(online=True, last_sync=datetime.now(UTC), records=1))
    qtbot.waitUntil(lambda: queue.table.rowCount() == 2, timeout=10000)
    assert panel.payment_id == blocked  # the selection survives the refresh

    # "New payment…" opens the form; the clerk types the account's login
    page.new_button.click()
    dialog = page.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.account.setEditText(str(login))
    dialog.look_up_account()
    qtbot.waitUntil(lambda: dialog.holder.text() == "Anna Berg", timeout=10000)


def test_the_client_page_offers_a_payment_for_the_clients_accounts(
        qtbot: QtBot, desk: Desk, worker: DbWorker) -> None:
    cid, login = _client_with_account(desk)
    view = ClientPageView(desk, worker)
    qtbot.addWidget(view)
    view.show_client(cid)
    qtbot.waitUntil(lambda: view.page is not None, timeout=10000)
    assert not view.payment_button.isHidden()
    view.payment_button.click()
    dialog = view.dialog
    assert isinstance(dialog, PaymentRequestDialog)
    assert [dialog.account.itemText(i) for i in range(dialog.account.count())] == [str(login)]
    qtbot.waitUntil(lambda: dialog.holder.text() == "Anna Berg", timeout=10000)
    dialog.amount.setText("250")
    dialog.card.setText("****1111")
    dialog.method.setCurrentIndex(dialog.method.findData(PaymentMethod.CARD))
    qtbot.waitUntil(dialog.send_button.isEnabled, timeout=10000)
    with qtbot.waitSignal(dialog.sent, timeout=10000):
        dialog.send_button.click()
    qtbot.waitUntil(lambda: "Deposit of 250 USD" in view.message.text(), timeout=10000)
    [command] = commands(desk, "request-payment")
    assert command.payload["payer_account"] == "****1111"
