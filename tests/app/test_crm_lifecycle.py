"""The client lifecycle: allowed steps, the KYC and balance rules with their refusals,
edits going through the same rules, and the dormancy sweep."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.crm.dormancy import dormant_after_days, set_dormant_after_days, sweep
from app.crm.lifecycle import change_status, status_options
from app.errors import PermissionDenied, StaleRecord, ValidationFailed
from app.models.crm import Client, ClientStatus
from app.models.kyc import KycStatus
from app.models.users import Role
from app.services.clients import ClientData, create_client, get_client, update_client
from app.services.workspace import Desk
from tests.app.test_crm_support import (
    DAY_MS,
    NOW_MS,
    account_rec,
    audit_actions,
    client_id,
    client_rec,
    deal_rec,
    mirror,
    open_kyc_case,
    outbox,
    payment_rec,
    position_rec,
    state_rec,
)

S = ClientStatus


def status_of(desk: Desk, cid: int) -> ClientStatus:
    with desk.store.read() as s:
        client = s.get(Client, cid)
        assert client is not None
        return client.status


def test_the_whole_lifecycle(desk: Desk) -> None:
    cid = create_client(desk, ClientData(first_name="Lena", last_name="Fischer", country="DE"))
    assert status_of(desk, cid) is S.LEAD
    change_status(desk, cid, S.REGISTERED)
    change_status(desk, cid, S.KYC_PENDING)
    with pytest.raises(ValidationFailed, match="no approved KYC case") as err:
        change_status(desk, cid, S.VERIFIED)
    assert err.value.field == "status"
    open_kyc_case(desk, cid, KycStatus.IN_REVIEW)
    with pytest.raises(ValidationFailed, match="no approved KYC case"):
        change_status(desk, cid, S.VERIFIED)
    open_kyc_case(desk, cid, KycStatus.APPROVED)
    for step in (S.VERIFIED, S.ACTIVE, S.DORMANT, S.ACTIVE, S.CLOSED):
        change_status(desk, cid, step)
    assert status_of(desk, cid) is S.CLOSED
    assert audit_actions(desk, cid).count("client.status") == 7
    change_status(desk, cid, S.REGISTERED, reason="came back")  # reopened, to verify again
    assert status_of(desk, cid) is S.REGISTERED


@pytest.mark.parametrize(("start", "target", "message"), [
    (S.LEAD, S.ACTIVE, "is lead and cannot become active directly. From lead the next "
                       "steps are: registered, closed."),
    (S.LEAD, S.KYC_PENDING, "cannot become KYC pending directly"),
    (S.REGISTERED, S.VERIFIED, "From registered the next steps are: KYC pending, closed"),
])
def test_skipping_steps_is_refused(desk: Desk, start: ClientStatus, target: ClientStatus,
                                   message: str) -> None:
    cid = create_client(desk, ClientData(last_name="Okafor", country="NG", status=start))
    with pytest.raises(ValidationFailed, match=message):
        change_status(desk, cid, target)
    assert status_of(desk, cid) is start


def test_new_clients_start_as_leads_or_registered(desk: Desk) -> None:
    with pytest.raises(ValidationFailed, match="starts as a lead or registered, not active"):
        create_client(desk, ClientData(last_name="Okafor", country="NG", status=S.ACTIVE))
    cid = create_client(desk, ClientData(last_name="Okafor", country="NG", status=S.REGISTERED))
    assert status_of(desk, cid) is S.REGISTERED


def test_an_edit_of_the_status_follows_the_same_rules(desk: Desk) -> None:
    cid = create_client(desk, ClientData(last_name="Okafor", country="NG",
                                         status=S.REGISTERED))
    data, version, _ = get_client(desk, cid)
    with pytest.raises(ValidationFailed, match="cannot become verified directly"):
        update_client(desk, cid, replace(data, status=S.VERIFIED, email="o@example.com"),
                      version)
    _, same_version, _ = get_client(desk, cid)
    assert same_version == version  # nothing of the edit was saved
    update_client(desk, cid, replace(data, status=S.KYC_PENDING), version)
    assert status_of(desk, cid) is S.KYC_PENDING


def _platform_client(desk: Desk, balance: str) -> int:
    mirror(desk, client_rec("C-7", "Omar", "Farouk", country="EG"),
           account_rec(7001, "C-7"), state_rec(7001, balance),
           account_rec(7002, "C-7", currency="EUR"), state_rec(7002, "0.00", "EUR"))
    cid = client_id(desk, "C-7")
    open_kyc_case(desk, cid)
    change_status(desk, cid, S.KYC_PENDING)
    change_status(desk, cid, S.VERIFIED)
    return cid


def test_closing_needs_zero_balance_or_a_reason(desk: Desk) -> None:
    cid = _platform_client(desk, "1234.50")
    with pytest.raises(ValidationFailed, match=r"still has money on 1 trading account "
                                               r"\(7001: 1,234.50 USD\)"):
        change_status(desk, cid, S.CLOSED)
    options = {o.status: o for o in status_options(desk, cid)}
    assert options[S.CLOSED].allowed and options[S.CLOSED].needs_reason
    change_status(desk, cid, S.CLOSED, reason="Client moved abroad; funds returned by wire")
    with desk.store.read() as s:
        client = s.get(Client, cid)
        assert client is not None
        assert client.closed_reason == "Client moved abroad; funds returned by wire"
    profile = [c.payload["data"] for c in outbox(desk)
               if c.payload.get("kind") == "client_profile"][-1]
    assert profile["status"] == "closed"
    assert profile["closed_reason"].startswith("Client moved abroad")
    change_status(desk, cid, S.REGISTERED)
    with desk.store.read() as s:
        assert s.get(Client, cid).closed_reason == ""  # type: ignore[union-attr]


def test_a_zero_balance_closes_without_a_reason(desk: Desk) -> None:
    cid = _platform_client(desk, "0.00")
    assert not any(o.needs_reason for o in status_options(desk, cid))
    change_status(desk, cid, S.CLOSED)
    assert status_of(desk, cid) is S.CLOSED


def test_a_frozen_client_cannot_be_verified(desk: Desk) -> None:
    cid = create_client(desk, ClientData(last_name="Petrov", country="RU",
                                         status=S.REGISTERED))
    change_status(desk, cid, S.KYC_PENDING)
    open_kyc_case(desk, cid)
    with desk.store.write() as s:
        s.execute(update(Client).where(Client.id == cid)
                  .values(frozen=True, frozen_reason="OFAC SDN match"))
    with pytest.raises(ValidationFailed, match=r"frozen by compliance \(OFAC SDN match\)"):
        change_status(desk, cid, S.VERIFIED)
    options = {o.status: o for o in status_options(desk, cid)}
    assert not options[S.VERIFIED].allowed and "frozen" in options[S.VERIFIED].why_not


def test_who_may_move_clients(desk: Desk) -> None:
    from tests.app.test_crm_support import as_role

    cid = create_client(desk, ClientData(last_name="Okafor", country="NG"))
    officer = as_role(desk, Role.COMPLIANCE, "nadia")
    with pytest.raises(PermissionDenied, match="create and edit clients"):
        change_status(officer, cid, S.REGISTERED)
    with pytest.raises(PermissionDenied):
        sweep(officer)
    clerk = as_role(desk, Role.CLERK, "chris")
    with pytest.raises(StaleRecord):
        change_status(clerk, cid, S.REGISTERED, expected_version=99)
    change_status(clerk, cid, S.REGISTERED, expected_version=1)
    with pytest.raises(PermissionDenied):
        set_dormant_after_days(clerk, 90)


def test_the_inactivity_period_is_a_setting(desk: Desk) -> None:
    assert dormant_after_days(desk) == 180
    set_dormant_after_days(desk, 90)
    assert dormant_after_days(desk) == 90
    with pytest.raises(ValidationFailed, match="between 30 and 3,650 days"):
        set_dormant_after_days(desk, 5)


def _active(desk: Desk, ext: str, login: int, *records: dict[str, object]) -> int:
    mirror(desk, client_rec(ext, "Trader", ext, country="CY"),
           account_rec(login, ext, opened_ms=NOW_MS - 900 * DAY_MS), *records)
    cid = client_id(desk, ext)
    open_kyc_case(desk, cid)
    for step in (S.KYC_PENDING, S.VERIFIED, S.ACTIVE):
        change_status(desk, cid, step)
    with desk.store.write() as s:  # the record itself is old too
        s.execute(update(Client).where(Client.id == cid).values(
            created_at=datetime.now(UTC) - timedelta(days=900)))
    return cid


def test_the_dormancy_sweep(desk: Desk) -> None:
    old, recent = NOW_MS - 400 * DAY_MS, NOW_MS - 20 * DAY_MS
    idle = _active(desk, "C-1", 1001, deal_rec(1, 1001, old))
    trading = _active(desk, "C-2", 1002, deal_rec(2, 1002, old), deal_rec(3, 1002, recent))
    paying = _active(desk, "C-3", 1003, payment_rec("C-3", 1003, "500.00", created_ms=recent))
    holding = _active(desk, "C-4", 1004, deal_rec(4, 1004, old), position_rec(40, 1004))
    result = sweep(desk)
    assert result.dormant == [idle]
    assert result.reactivated == [] and result.checked == 4
    assert [status_of(desk, c) for c in (idle, trading, paying, holding)] == \
        [S.DORMANT, S.ACTIVE, S.ACTIVE, S.ACTIVE]
    assert audit_actions(desk, idle)[-1] == "client.dormancy"
    assert sweep(desk).dormant == []  # nothing new
    # new activity wakes the dormant client up
    mirror(desk, deal_rec(5, 1001, NOW_MS - DAY_MS))
    assert sweep(desk).reactivated == [idle]
    assert status_of(desk, idle) is S.ACTIVE
    # a shorter period makes more clients dormant; a later "now" too
    set_dormant_after_days(desk, 30)
    later = sweep(desk, now=datetime.now(UTC) + timedelta(days=15))
    assert sorted(later.dormant) == sorted([paying, trading])


def test_the_sweep_holds_clients_that_may_not_move(desk: Desk) -> None:
    cid = _active(desk, "C-5", 1005, deal_rec(6, 1005, NOW_MS - 400 * DAY_MS))
    assert sweep(desk).dormant == [cid]
    mirror(desk, deal_rec(7, 1005, NOW_MS - DAY_MS))
    with desk.store.write() as s:
        s.execute(update(Client).where(Client.id == cid).values(frozen=True))
    result = sweep(desk)
    assert result.reactivated == [] and result.held[0][0] == cid
    assert "frozen" in result.held[0][1]
    with desk.store.read() as s:
        assert s.scalar(select(Client.status).where(Client.id == cid)) is S.DORMANT
