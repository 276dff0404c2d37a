"""The client page: contacts (validated), tasks with due dates, accounts with live state,
money movements, KYC documents (read only), partner, notes, and the timeline."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from app.crm.client_page import client_page, client_payments
from app.crm.contacts import add_contact, list_contacts, remove_contact, set_primary
from app.crm.lifecycle import change_status
from app.crm.tasks import client_tasks, complete_task, create_task, overdue_tasks, reopen_task
from app.crm.timeline import client_timeline
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.models.crm import Client, ClientStatus, ContactKind
from app.models.kyc import DocumentStatus, KycDocument
from app.models.partners import Partner
from app.models.users import Role, User
from app.services.clients import ClientData, create_client
from app.services.outbox import add_note
from app.services.workspace import Desk
from tests.app.test_crm_support import (
    DAY_MS,
    NOW_MS,
    account_rec,
    as_role,
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

TODAY = date.today()


TRADING_DAY = (NOW_MS - 2 * DAY_MS) // DAY_MS * DAY_MS + 10 * 3_600_000


@pytest.fixture
def trader(desk: Desk) -> int:
    mirror(desk,
           client_rec("C-1", "Nadia", "Haddad", country="AE", email="nadia@example.ae"),
           account_rec(5001, "C-1"), state_rec(5001, "1520.75"),
           account_rec(5002, "C-1", currency="EUR"),
           payment_rec("C-1", 5001, "1000.00", created_ms=NOW_MS - 30 * DAY_MS),
           payment_rec("C-1", 5001, "250.00", direction="withdrawal", status="rejected",
                       created_ms=NOW_MS - 3 * DAY_MS),
           # Two trades at 10:00 and 11:00 UTC of one day: the timeline sums trades per
           # day, so they must not straddle midnight whatever time the test runs.
           deal_rec(1, 5001, TRADING_DAY, volume="0.50"),
           deal_rec(2, 5001, TRADING_DAY + 3_600_000, volume="0.50", action="SELL",
                    entry="OUT", profit="12.40"),
           deal_rec(3, 5001, NOW_MS - 29 * DAY_MS, action="BALANCE", entry="NONE",
                    volume="0.00", profit="1000.00", comment="Deposit PR-1"),
           position_rec(77, 5001))
    return client_id(desk, "C-1")


def test_contacts_are_validated_and_one_is_preferred(desk: Desk, trader: int) -> None:
    with pytest.raises(ValidationFailed, match="not a valid email") as err:
        add_contact(desk, trader, ContactKind.EMAIL, "nadia(at)example.ae")
    assert err.value.field == "value"
    with pytest.raises(ValidationFailed, match="international form"):
        add_contact(desk, trader, ContactKind.PHONE, "050 123 4567")
    with pytest.raises(ValidationFailed, match=r"already has nadia@example\.ae"):
        add_contact(desk, trader, ContactKind.EMAIL, " NADIA@example.ae ")
    with pytest.raises(ValidationFailed, match="1 to 500"):
        add_contact(desk, trader, ContactKind.ADDRESS, "   ")
    first = add_contact(desk, trader, ContactKind.PHONE, "+971 50 123 4567", primary=True)
    second = add_contact(desk, trader, ContactKind.PHONE, "+971 4 555 0000")
    add_contact(desk, trader, ContactKind.ADDRESS, "Villa 12,  Jumeirah   Beach Road, Dubai")
    with pytest.raises(ValidationFailed, match="already has"):
        add_contact(desk, trader, ContactKind.PHONE, "+971501234567")
    set_primary(desk, second)
    rows = list_contacts(desk, trader)
    assert [(r.kind, r.value, r.is_primary) for r in rows] == [
        (ContactKind.ADDRESS, "Villa 12, Jumeirah Beach Road, Dubai", False),
        (ContactKind.PHONE, "+97145550000", True),
        (ContactKind.PHONE, "+971501234567", False)]
    remove_contact(desk, first)
    assert len(list_contacts(desk, trader)) == 2
    officer = as_role(desk, Role.COMPLIANCE, "nadia.h")
    with pytest.raises(PermissionDenied):
        add_contact(officer, trader, ContactKind.EMAIL, "x@example.com")
    with pytest.raises(NotFound):
        add_contact(desk, 999, ContactKind.EMAIL, "x@example.com")


def test_tasks_with_due_dates(desk: Desk, trader: int) -> None:
    clerk = as_role(desk, Role.CLERK, "chris")
    call = create_task(desk, "Call about the  withdrawal", client_id=trader,
                       due_date=TODAY + timedelta(days=2), assignee_id=clerk.actor.id)
    review = create_task(desk, "Annual review", client_id=trader, due_date=TODAY)
    general = create_task(clerk, "Tidy the lead list")
    with pytest.raises(ValidationFailed, match="in the past"):
        create_task(desk, "Too late", due_date=TODAY - timedelta(days=1))
    with pytest.raises(ValidationFailed, match="title"):
        create_task(desk, "  ")
    with desk.store.write() as s:
        s.execute(update(User).where(User.id == clerk.actor.id).values(active=False))
    with pytest.raises(ValidationFailed, match="active user"):
        create_task(desk, "For chris", assignee_id=clerk.actor.id)
    rows = client_tasks(desk, trader)
    assert [(r.title, r.assignee_name, r.overdue) for r in rows] == [
        ("Annual review", "Ada Admin", False), ("Call about the withdrawal", "Chris", False)]
    # three days on, both are overdue, oldest first
    later = TODAY + timedelta(days=3)
    assert [r.id for r in overdue_tasks(desk, today=later)] == [review, call]
    assert [r.id for r in overdue_tasks(desk, today=later, assignee_id=clerk.actor.id)] == \
        [call]
    complete_task(desk, review)
    with pytest.raises(ValidationFailed, match="already done"):
        complete_task(desk, review)
    assert [r.id for r in overdue_tasks(desk, today=later)] == [call]
    done = client_tasks(desk, trader)[-1]
    assert done.done and done.done_at is not None
    reopen_task(desk, review)
    assert not client_tasks(desk, trader)[0].done
    with pytest.raises(ValidationFailed, match="already open"):
        reopen_task(desk, general)
    # tasks of a platform client are shared through the gateway; the general one is not
    shared = [c.payload for c in outbox(desk) if c.payload.get("kind") == "task"]
    assert len(shared) == 4
    assert shared[0]["data"] == {"client_id": "C-1", "assignee": "chris",
                                 "title": "Call about the withdrawal",
                                 "due_date": (TODAY + timedelta(days=2)).isoformat(),
                                 "done": False}
    assert [p["data"]["done"] for p in shared[2:]] == [True, False]


def test_the_page_shows_everything_about_the_client(desk: Desk, trader: int) -> None:
    with desk.store.write() as s:
        partner = Partner(uid="p-1", name="Gulf Introducers", referral_code="IB042",
                          currency="USD")
        s.add(partner)
        s.flush()
        s.execute(update(Client).where(Client.id == trader).values(partner_id=partner.id))
    case = open_kyc_case(desk, trader)
    with desk.store.write() as s:
        s.add(KycDocument(uid=str(uuid.uuid4()), case_id=case, doc_type="passport",
                          requirement="identity", issuing_country="AE", number="P1234567",
                          expiry_date=TODAY + timedelta(days=900),
                          status=DocumentStatus.APPROVED, file_name="passport.pdf",
                          mime_type="application/pdf", sha256="0" * 64, size=2048))
    add_note(desk, trader, "Prefers WhatsApp.")
    create_task(desk, "Send the statement", client_id=trader)
    add_contact(desk, trader, ContactKind.PHONE, "+971501234567")
    page = client_page(desk, trader)
    p = page.profile
    assert (p.display_name, p.status, p.partner_name, p.partner_code, p.external_id) == \
        ("Haddad, Nadia", ClientStatus.REGISTERED, "Gulf Introducers", "IB042", "C-1")
    assert [(a.login, a.currency, a.balance, a.open_positions) for a in page.accounts] == \
        [(5001, "USD", Decimal("1520.75"), 1), (5002, "EUR", None, 0)]
    assert page.payments_total == 2
    assert [(m.direction, m.amount, m.status) for m in page.payments] == \
        [("withdrawal", Decimal("250.00"), "rejected"), ("deposit", Decimal("1000.00"),
                                                         "completed")]
    assert client_payments(desk, trader, offset=1, limit=5)[0].direction == "deposit"
    assert len(page.kyc) == 1
    doc = page.kyc[0].documents[0]
    assert (doc.doc_type, doc.number, doc.status, doc.size) == \
        ("passport", "P1234567", DocumentStatus.APPROVED, 2048)
    assert [n.body for n in page.notes] == ["Prefers WhatsApp."]
    assert [t.title for t in page.tasks] == ["Send the statement"]
    assert [c.value for c in page.contacts] == ["+971501234567"]
    with pytest.raises(NotFound):
        client_page(desk, 999)


def test_the_timeline_merges_the_audit_log_and_the_mirrors(desk: Desk, trader: int) -> None:
    open_kyc_case(desk, trader)
    change_status(desk, trader, ClientStatus.KYC_PENDING)
    add_note(desk, trader, "Asked for a higher leverage.")
    task = create_task(desk, "Call back", client_id=trader)
    complete_task(desk, task)
    events = client_timeline(desk, trader)
    kinds = [e.kind for e in events]
    assert events == sorted(events, key=lambda e: e.at, reverse=True)
    for kind in ("change", "note", "task", "trades", "balance", "payment", "account",
                 "created", "kyc"):
        assert kind in kinds, kind
    titles = [e.title for e in events]
    assert "Status changed" in titles
    status = next(e for e in events if e.title == "Status changed")
    assert status.detail == "registered → kyc_pending" and status.who == "admin"
    assert "Note" in titles and "Task done: Call back" in titles
    trades = next(e for e in events if e.kind == "trades")
    assert (trades.title, trades.detail) == ("2 trades on 5001", "1.00 lots opened or closed")
    assert "Balance on 5001: 1,000.00 USD" in titles
    assert "Withdrawal of 250.00 USD" in titles and "Deposit of 1,000.00 USD" in titles
    assert titles.count("Client record created") == 1
    # paged: the pages add up to the whole, in the same order
    pages = [e for offset in range(0, len(events), 4)
             for e in client_timeline(desk, trader, offset=offset, limit=4)]
    assert pages == events
    with pytest.raises(NotFound):
        client_timeline(desk, 999)


def test_a_local_client_timeline_starts_with_its_creation(desk: Desk) -> None:
    cid = create_client(desk, ClientData(last_name="Okafor", country="NG"))
    add_contact(desk, cid, ContactKind.EMAIL, "okafor@example.ng")
    events = client_timeline(desk, cid)
    assert [e.title for e in events] == ["Contact added", "Client record created"]
    assert events[0].detail == "email: okafor@example.ng"
