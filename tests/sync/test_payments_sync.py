"""A withdrawal's whole life against the real sandbox: a clerk's desk asks for it, a
finance officer's desk approves it, the platform takes the money, the provider pays
or fails it, and at every step the ledger equals the platform's balance."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.crm.search_index import dbapi
from app.kyc.gates import withdrawal_gate
from app.ledger import chart, views
from app.models.payments import PaymentDirection, PaymentMethod, PaymentRequest, PaymentStatus
from app.models.sync_state import OutboxCommand
from app.models.trading import Quote
from app.payments import fx
from app.services import payments
from app.services.gateway import gateway_config, set_gateway
from app.services.workspace import Desk, init_workspace
from sync.engine import SyncEngine
from tests.conftest import PASSWORD
from tests.sync.conftest import Sandbox

IBAN = "DE89370400440532013000"


def _desk(box: Sandbox, folder: Path, user: str) -> tuple[Desk, SyncEngine]:
    desk = init_workspace(folder, password=PASSWORD, broker_name="Sandbox",
                          base_currency="USD", admin_username="admin",
                          admin_full_name=f"Ada {user}")
    set_gateway(desk, box.base, user, "sandbox")
    config = gateway_config(desk)
    assert config is not None
    engine = SyncEngine(desk.store, config)
    assert engine.once().online
    return desk, engine


def _eligible_login(desk: Desk) -> int:
    """An active USD account of a client KYC lets withdraw, with money free to take."""
    with desk.store.read() as s:
        rows = dbapi(s).execute(
            "SELECT a.login, a.client_id FROM trading_accounts a"
            " JOIN account_states st ON st.account_id = a.id"
            " WHERE a.status = 'active' AND a.currency = 'USD' AND a.client_id IS NOT NULL"
            " AND min(st.free_margin_minor, st.balance_minor) > 300000"
            " ORDER BY st.balance_minor DESC").fetchall()
        for login, client_id in rows:
            if withdrawal_gate(s, client_id).allowed:
                return int(login)
    raise AssertionError("the sandbox has no account a withdrawal could come from")


def _ledger_vs_platform(desk: Desk, login: int) -> tuple[int, int]:
    with desk.store.read() as s:
        db = dbapi(s)
        platform = db.execute("SELECT st.balance_minor FROM account_states st JOIN"
                              " trading_accounts a ON a.id = st.account_id WHERE a.login = ?",
                              (login,)).fetchone()[0]
        return -views.balance(db, chart.trading("gw", login, "USD")), int(platform)


def _payment(desk: Desk, pid: int) -> PaymentRequest:
    with desk.store.read() as s:
        p = s.get(PaymentRequest, pid)
        assert p is not None
        s.expunge(p)
        return p


def _by_uid(desk: Desk, uid: str) -> PaymentRequest:
    with desk.store.read() as s:
        p = s.scalar(select(PaymentRequest).where(PaymentRequest.uid == uid))
        assert p is not None
        s.expunge(p)
        return p


def _sources(desk: Desk, uid: str) -> list[str]:
    with desk.store.read() as s:
        return [r[0] for r in dbapi(s).execute(
            "SELECT source_ref FROM journal_entries WHERE source_ref LIKE ? ORDER BY id",
            (f"{uid}:%",))]


def test_request_approve_pay_or_fail_keeps_the_ledger_equal_to_the_platform(
        own_sandbox: list[Sandbox], tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=150).start()
    own_sandbox.append(box)
    clerk, clerk_sync = _desk(box, tmp_path / "clerk", "clerk")
    finance, finance_sync = _desk(box, tmp_path / "finance", "finance")
    try:
        login = _eligible_login(clerk)
        for desk in (clerk, finance):  # the desks' last quote; the gateway uses its own
            with desk.store.write() as s:
                s.add(Quote(symbol="EURUSD", bid=Decimal("1.08"), ask=Decimal("1.0802"),
                            time_ms=0))

        def ask(amount: str, currency: str = "USD") -> int:
            return payments.request_payment(clerk, payments.PaymentForm(
                login, PaymentDirection.WITHDRAWAL, PaymentMethod.BANK_WIRE, "SEPA", amount,
                currency, IBAN, bank_code="COBADEFFXXX"))

        usd, eur, refused = ask("300.00"), ask("200.00", "EUR"), ask("150.00")
        uid_usd, uid_eur, uid_refused = (_payment(clerk, p).uid for p in (usd, eur, refused))
        assert clerk_sync.once().online
        sent = _payment(clerk, usd)
        assert sent.server_version > 0 and sent.requested_by_name == "clerk"
        booked = _payment(clerk, eur)
        rate = Decimal(booked.fx_rate)  # the gateway's rate, not the desk's preview
        assert booked.account_amount_minor == fx.convert(200_00, "EUR", rate, "USD")

        assert finance_sync.once().online
        queue = {r.external_id: r for r in payments.withdrawal_queue(finance)}
        assert {uid_usd, uid_eur, uid_refused} <= set(queue)
        assert queue[uid_usd].requested_by == "clerk" and not queue[uid_usd].blocked
        ids = {uid: _by_uid(finance, uid).id for uid in (uid_usd, uid_eur, uid_refused)}
        for uid in (uid_usd, uid_eur):
            said = payments.approve_withdrawal(finance, ids[uid], "Checked with the client")
            assert said.startswith("Approved")
        payments.reject_withdrawal(finance, ids[uid_refused], "Destination not confirmed")
        before = _ledger_vs_platform(finance, login)
        assert before[0] == before[1]
        assert finance_sync.once().online
        assert _by_uid(finance, uid_usd).status is PaymentStatus.PROCESSING
        assert _by_uid(finance, uid_refused).status is PaymentStatus.REJECTED
        assert _sources(finance, uid_usd) == [f"{uid_usd}:held"]
        assert _sources(finance, uid_refused) == []  # the platform never took it
        ledger, platform = _ledger_vs_platform(finance, login)
        assert ledger == platform == before[1] - 300_00 - booked.account_amount_minor

        admin = box.desk("admin")
        for _ in range(40):  # the providers pay or fail them
            admin.control("advance", {"steps": 10})
            assert finance_sync.once().online
            final = {_by_uid(finance, u).status for u in (uid_usd, uid_eur)}
            if final <= {PaymentStatus.COMPLETED, PaymentStatus.FAILED}:
                break
        else:
            raise AssertionError(f"payments still in flight: {final}")
        for uid in (uid_usd, uid_eur):
            ended = _by_uid(finance, uid).status
            last = "completed" if ended is PaymentStatus.COMPLETED else "released"
            assert _sources(finance, uid) == [f"{uid}:held", f"{uid}:{last}"]
        ledger, platform = _ledger_vs_platform(finance, login)
        assert ledger == platform
        with finance.store.read() as s:
            db = dbapi(s)
            client = db.execute("SELECT client_id FROM trading_accounts WHERE login = ?",
                                (login,)).fetchone()[0]
            held = views.balance(db, chart.client_money(client, "USD"))
            totals = views.totals(views.trial_balance(db))
        assert held == 0  # nothing stays held once the provider has answered
        assert all(d == c for d, c in totals.values())
    finally:
        clerk_sync.close()
        finance_sync.close()
        clerk.close()
        finance.close()


def test_the_gateway_refuses_an_approval_by_whoever_asked(sandbox: Sandbox) -> None:
    fin = sandbox.desk("finance")
    changes, _ = fin.pull_all(limit=5000)
    login = next(c["data"]["login"] for c in changes
                 if c["kind"] == "account" and c["data"]["status"] == "active")
    pid = uuid.uuid4().hex
    body: dict[str, Any] = {
        "payment_id": pid, "login": login, "direction": "withdrawal", "method": "e_wallet",
        "provider": "Skrill", "amount": "10.00", "currency": "USD",
        "payer_name": "Someone", "payer_account": "someone@example.com"}
    r = fin.command("request-payment", body)
    assert r.status_code == 200, r.text
    record = r.json()["records"][0]["data"]
    assert (record["status"], record["requested_by"], record["fee"]) == (
        "requested", "finance", "0.10")
    again = fin.command("withdrawal-decision", {"payment_id": pid, "decision": "approve"})
    assert again.status_code == 403 and again.json()["code"] == "four_eyes"
    other = sandbox.desk("finance2").command("withdrawal-decision",
                                             {"payment_id": pid, "decision": "reject",
                                              "reason": "test"})
    assert other.status_code == 200, other.text
    unknown = fin.command("request-payment", {**body, "payment_id": uuid.uuid4().hex,
                                              "provider": "PayPal"})
    assert unknown.status_code == 422 and "Skrill" in unknown.json()["message"]


def test_a_request_the_gateway_refuses_is_kept_as_rejected_with_its_reason(
        own_sandbox: list[Sandbox], tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=60).start()
    own_sandbox.append(box)
    clerk, engine = _desk(box, tmp_path / "clerk", "clerk")
    try:
        login = _eligible_login(clerk)
        pid = payments.request_payment(clerk, payments.PaymentForm(
            login, PaymentDirection.DEPOSIT, PaymentMethod.CARD, "Stripe", "100.00", "USD",
            "4111 1111 1111 1111"))
        assert _payment(clerk, pid).payer_account == "****1111"
        admin = box.desk("admin")  # the platform disables the account meanwhile
        account = admin.get(f"/v1/records/account/{login}").json()["data"]
        admin.control("inject", {"kind": "account", "id": str(login),
                                 "data": {**account, "status": "disabled"}})
        assert engine.once().online
        kept = _payment(clerk, pid)
        assert kept.status is PaymentStatus.REJECTED
        with clerk.store.read() as s:
            command = s.scalar(select(OutboxCommand).where(
                OutboxCommand.kind == "request-payment"))
            assert command is not None and command.status.value == "rejected"
            assert str(login) in command.last_error
            assert "4111111111111111" not in str(command.payload)
    finally:
        engine.close()
        clerk.close()
