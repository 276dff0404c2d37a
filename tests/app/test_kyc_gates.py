"""The gates: no money out and no live account for a client who is not verified, is
frozen, or whose identity document has expired; the outbox refuses with the reason."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.errors import ValidationFailed
from app.kyc import cases, gates, periodic, review
from app.models.payments import PaymentRequest
from app.models.sync_state import OutboxCommand
from app.models.trading import TradingAccount
from app.models.users import Role
from app.services import outbox
from app.services.workspace import Desk
from tests.app.test_kyc_support import (
    TODAY,
    as_user,
    attach,
    complete_person_case,
    on_platform,
    person,
)


@pytest.fixture
def olga(desk: Desk) -> Desk:
    return as_user(desk, Role.COMPLIANCE, "olga")


def account(desk: Desk, cid: int | None, login: int = 5001) -> int:
    with desk.store.write() as s:
        s.add(TradingAccount(platform="mt5", login=login, client_id=cid, group="real\\std",
                             currency="USD", leverage=30, status="active"))
    return login


def withdrawal_request(desk: Desk, cid: int) -> int:
    with desk.store.write() as s:
        p = PaymentRequest(uid=str(uuid.uuid4()), external_id=f"PAY{cid:06d}", client_id=cid,
                           direction="withdrawal", method="bank_wire", provider="test",
                           amount_minor=10_000, currency="USD", status="pending_approval")
        s.add(p)
        s.flush()
        return p.id


def queued(desk: Desk) -> int:
    with desk.store.read() as s:
        return int(s.scalar(select(func.count()).select_from(OutboxCommand)) or 0)


def verified(desk: Desk, olga: Desk, tmp_path: Path, **identity: object) -> int:
    cid = person(desk)
    on_platform(desk, cid, f"C{uuid.uuid4().hex[:6]}")
    review.approve_case(olga, complete_person_case(desk, olga, cid, tmp_path, **identity))
    return cid


def test_unverified_clients_cannot_withdraw(desk: Desk) -> None:
    cid = person(desk)
    cases.open_case(desk, cid)  # kyc_pending
    login = account(desk, cid)
    payment = withdrawal_request(desk, cid)
    before = queued(desk)
    with pytest.raises(gates.Blocked) as caught:
        outbox.queue_balance_operation(desk, login, "withdrawal", "50.00")
    assert caught.value.message == ("Withdrawal refused. Lima, Ana is waiting for KYC: money "
                                    "can be paid out only once KYC has verified the client.")
    with pytest.raises(gates.Blocked, match="waiting for KYC"):
        outbox.queue_balance_operation(desk, login, "credit_out", "5.00")
    for decision in ("approve", "send"):
        with pytest.raises(gates.Blocked, match="Withdrawal refused"):
            outbox.queue_withdrawal_decision(desk, payment, decision)
    assert queued(desk) == before
    outbox.queue_withdrawal_decision(desk, payment, "reject", "KYC not done")
    outbox.queue_balance_operation(desk, login, "deposit", "50.00")  # money in is fine
    assert queued(desk) == before + 2
    assert isinstance(caught.value, ValidationFailed)  # the UI shows it like any refusal


def test_verified_clients_withdraw_and_open_live_accounts(desk: Desk, olga: Desk,
                                                          tmp_path: Path) -> None:
    cid = verified(desk, olga, tmp_path)
    login = account(desk, cid)
    assert gates.may_withdraw(desk, cid) == gates.Gate(True, ())
    outbox.queue_balance_operation(desk, login, "withdrawal", "50.00")
    outbox.queue_open_account(desk, cid, "real\\std", "USD", 30)
    with desk.store.read() as s:
        kinds = [r.kind for r in s.scalars(select(OutboxCommand).order_by(
            OutboxCommand.device_seq))]
    assert kinds[-2:] == ["balance-operation", "open-account"]


def test_frozen_clients_are_stopped_with_the_reason(desk: Desk, olga: Desk,
                                                    tmp_path: Path) -> None:
    cid = verified(desk, olga, tmp_path)
    login = account(desk, cid)
    with desk.store.write() as s:
        s.execute(text("UPDATE clients SET frozen = 1, frozen_reason = 'OFAC SDN 12345' "
                       "WHERE id = :id"), {"id": cid})
    with pytest.raises(gates.Blocked, match=r"frozen by compliance \(OFAC SDN "
                                            r"12345\); nothing can proceed"):
        outbox.queue_balance_operation(desk, login, "withdrawal", "10.00")
    with pytest.raises(gates.Blocked, match=r"Live account refused.*frozen"):
        outbox.queue_open_account(desk, cid, "real\\std", "USD", 30)
    gate = gates.may_open_live_account(desk, cid)
    assert not gate.allowed and len(gate.reasons) == 1


def test_an_expired_passport_blocks_withdrawals_until_a_new_one_is_approved(
        desk: Desk, olga: Desk, tmp_path: Path) -> None:
    cid = verified(desk, olga, tmp_path, expiry_date=TODAY + timedelta(days=1))
    login = account(desk, cid)
    outbox.queue_balance_operation(desk, login, "withdrawal", "10.00")
    later = TODAY + timedelta(days=2)
    assert gates.may_withdraw(desk, cid).allowed  # good through its expiry date
    with desk.store.read() as s:
        blocked = gates.withdrawal_gate(s, cid, later)
    assert blocked.reasons == (f"Lima, Ana's passport expired on "
                               f"{TODAY + timedelta(days=1):%d %b %Y}; money can be paid out "
                               "once a current identity document is approved.",)
    # Once the date has passed (moved back here), the outbox refuses; the sweep marks it.
    with desk.store.write() as s:
        s.execute(text("UPDATE kyc_documents SET expiry_date = :d WHERE doc_type = 'passport'"),
                  {"d": TODAY - timedelta(days=1)})
    periodic.sweep_expired(desk)
    with pytest.raises(gates.Blocked, match="passport expired on"):
        outbox.queue_balance_operation(desk, login, "withdrawal", "10.00")
    review_case = cases.open_case(desk, cid)
    fresh = attach(desk, review_case, tmp_path, "identity", "passport")
    with pytest.raises(gates.Blocked):  # attached is not enough: it must be approved
        outbox.queue_balance_operation(desk, login, "withdrawal", "10.00")
    review.approve_document(olga, fresh)
    outbox.queue_balance_operation(desk, login, "withdrawal", "10.00")
    assert gates.may_withdraw(desk, cid).allowed


def test_practice_accounts_need_no_kyc_and_dormant_clients_may_still_withdraw(
        desk: Desk, olga: Desk, tmp_path: Path) -> None:
    lead = person(desk, last="Lead")
    on_platform(desk, lead, "C-LEAD")
    with pytest.raises(gates.Blocked, match="Lead, Ana is lead: a live account can be opened "
                                            "only once KYC has verified"):
        outbox.queue_open_account(desk, lead, "real\\std", "USD", 30)
    outbox.queue_open_account(desk, lead, "demo\\std", "USD", 100)
    assert gates.is_practice_group("Demo-USD") and not gates.is_practice_group("demonstrator")
    sleeper = verified(desk, olga, tmp_path)
    with desk.store.write() as s:
        s.execute(text("UPDATE clients SET status = 'dormant' WHERE id = :id"), {"id": sleeper})
    assert gates.may_withdraw(desk, sleeper).allowed
    assert "is dormant" in gates.may_open_live_account(desk, sleeper).message


def test_an_account_without_a_client_cannot_pay_out(desk: Desk) -> None:
    login = account(desk, None, 9001)
    with pytest.raises(gates.Blocked, match="belongs to no client on this desk"):
        outbox.queue_balance_operation(desk, login, "withdrawal", "1.00")
