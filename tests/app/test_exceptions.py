"""The exception queue: each kind shows when it should and not otherwise, in a real
workspace with hand-made records around a fixed "now"."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.analytics.scope import ClientFilter
from app.errors import PermissionDenied, ValidationFailed
from app.models.audit import AuditEntry
from app.models.compliance import Alert, AlertStatus, CaseStatus, ComplianceCase, Severity
from app.models.crm import Client, ClientStatus
from app.models.kyc import DocumentStatus, KycCase, KycDocument, KycStatus
from app.models.payments import PaymentDirection, PaymentMethod, PaymentRequest, PaymentStatus
from app.models.reconciliation import BreakKind, BreakStatus, ReconException, ReconRun
from app.models.sync_state import OutboxCommand, OutboxStatus
from app.models.users import Role
from app.queries.exceptions import (
    ExceptionKind,
    Part,
    RecordRef,
    age_bucket,
    exception_queue,
    queue_settings,
    set_queue_settings,
)
from app.queries.exceptions.ages import count_ages
from app.services import clients, users
from app.services.workspace import Desk

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


def client(desk: Desk, last: str, country: str = "GB", segment: str = "Retail",
           status: ClientStatus = ClientStatus.ACTIVE, manager_id: int | None = None,
           external_id: str | None = None) -> int:
    cid = clients.create_client(desk, clients.ClientData(
        first_name="Ann", last_name=last, country=country, segment=segment,
        manager_id=manager_id))
    with desk.store.write() as s:
        row = s.get(Client, cid)
        assert row is not None
        row.status, row.external_id = status, external_id
    return cid


def kyc_case(desk: Desk, cid: int, status: KycStatus = KycStatus.APPROVED,
             next_review: date | None = None) -> int:
    with desk.store.write() as s:
        case = KycCase(uid=str(uuid.uuid4()), client_id=cid, status=status,
                       decided_at=days_ago(400) if status is KycStatus.APPROVED else None,
                       next_review=next_review)
        s.add(case)
        s.flush()
        return case.id


def document(desk: Desk, case_id: int, expiry: date,
             status: DocumentStatus = DocumentStatus.APPROVED) -> int:
    with desk.store.write() as s:
        doc = KycDocument(uid=str(uuid.uuid4()), case_id=case_id, doc_type="passport",
                          requirement="identity", expiry_date=expiry, status=status,
                          file_name="passport.pdf", mime_type="application/pdf",
                          sha256="0" * 64, size=10)
        s.add(doc)
        s.flush()
        return doc.id


def payment(desk: Desk, cid: int, status: PaymentStatus, updated: datetime) -> int:
    with desk.store.write() as s:
        p = PaymentRequest(uid=str(uuid.uuid4()), client_id=cid,
                           direction=PaymentDirection.WITHDRAWAL, method=PaymentMethod.CARD,
                           provider="Stripe", amount_minor=25_000, currency="USD",
                           status=status, created_at=updated - timedelta(hours=1),
                           updated_at=updated)
        s.add(p)
        s.flush()
        return p.id


def kinds(rows: list) -> list[ExceptionKind]:
    return [r.kind for r in rows]


def queue(desk: Desk, part: Part | None = None, **kw: object) -> list:
    return exception_queue(desk, part, now=NOW, **kw)  # type: ignore[arg-type]


def test_reconciliation_breaks_open_or_investigating_only(desk: Desk) -> None:
    cid = client(desk, "Break")
    with desk.store.write() as s:
        run = ReconRun(trigger="on_demand")
        s.add(run)
        s.flush()
        for key, status, owner in (("a", BreakStatus.OPEN, None),
                                   ("b", BreakStatus.INVESTIGATING, desk.actor.id),
                                   ("c", BreakStatus.RESOLVED, None)):
            s.add(ReconException(kind=BreakKind.BALANCE_DRIFT, key=key, signature="s",
                                 summary=f"Balances differ ({key})", status=status,
                                 client_id=cid, owner_id=owner, first_run_id=run.id,
                                 last_run_id=run.id, created_at=days_ago(9)))
    rows = queue(desk, Part.RECONCILIATION)
    assert kinds(rows) == [ExceptionKind.RECON_BREAK] * 2
    summaries = sorted(r.summary for r in rows)
    assert summaries[0].startswith("Balance drift: Balances differ (a)")
    assert "(being investigated)" in summaries[1]
    assert {r.owner for r in rows} == {"", "Ada Admin"}
    assert all(r.age_days == 9 and r.client_id == cid and r.client_name == "Break, Ann"
               for r in rows)
    assert {r.ref.kind for r in rows} == {"recon_exception"}


def test_documents_expiring_within_the_horizon_or_expired(desk: Desk) -> None:
    assert queue_settings_days(desk) == 30  # KYC's expiry warning until set here
    soon, later, gone, replaced = (client(desk, n) for n in ("Soon", "Later", "Gone",
                                                             "Replaced"))
    closed = client(desk, "Closed", status=ClientStatus.CLOSED)
    refused = client(desk, "Refused")
    document(desk, kyc_case(desk, soon), TODAY + timedelta(days=10))
    document(desk, kyc_case(desk, later), TODAY + timedelta(days=40))
    gone_case = kyc_case(desk, gone)
    document(desk, gone_case, TODAY - timedelta(days=5), DocumentStatus.EXPIRED)
    old_case = kyc_case(desk, replaced)
    document(desk, old_case, TODAY - timedelta(days=50), DocumentStatus.EXPIRED)
    document(desk, kyc_case(desk, replaced), TODAY + timedelta(days=900))  # the new one
    document(desk, kyc_case(desk, closed), TODAY - timedelta(days=3))
    document(desk, kyc_case(desk, refused, KycStatus.REJECTED), TODAY - timedelta(days=3))

    rows = queue(desk, Part.KYC)
    by_client = {r.client_name.split(",")[0]: r for r in rows}
    assert set(by_client) == {"Soon", "Gone"}
    assert by_client["Soon"].kind is ExceptionKind.DOCUMENT_EXPIRING
    assert by_client["Soon"].age_days == 0 and by_client["Soon"].due == TODAY + timedelta(10)
    assert "expires in 10 days" in by_client["Soon"].summary
    assert by_client["Gone"].kind is ExceptionKind.DOCUMENT_EXPIRED
    assert by_client["Gone"].age_days == 5 and "expired 5 days ago" in by_client["Gone"].summary
    assert by_client["Gone"].ref == RecordRef("kyc_case", gone_case)
    assert rows[0] is by_client["Gone"]  # the oldest first

    set_queue_settings(desk, document_days=60)
    assert {r.client_name.split(",")[0] for r in queue(desk, Part.KYC)} == \
        {"Soon", "Later", "Gone"}


def queue_settings_days(desk: Desk) -> int:
    with desk.store.read() as s:
        return queue_settings(s).document_days


def test_periodic_reviews_overdue_on_the_latest_case_only(desk: Desk) -> None:
    due, not_yet, superseded = (client(desk, n) for n in ("Due", "NotYet", "Superseded"))
    case = kyc_case(desk, due, next_review=TODAY - timedelta(days=6))
    kyc_case(desk, not_yet, next_review=TODAY + timedelta(days=1))
    kyc_case(desk, superseded, next_review=TODAY - timedelta(days=100))
    kyc_case(desk, superseded, KycStatus.IN_REVIEW)  # a review under way
    rows = [r for r in queue(desk, Part.KYC) if r.kind is ExceptionKind.REVIEW_OVERDUE]
    assert [(r.client_id, r.age_days, r.due, r.ref) for r in rows] == [
        (due, 6, TODAY - timedelta(days=6), RecordRef("kyc_case", case))]


def test_payments_stuck_longer_than_the_setting(desk: Desk) -> None:
    cid = client(desk, "Payer")
    stuck = payment(desk, cid, PaymentStatus.PROCESSING, NOW - timedelta(hours=30))
    payment(desk, cid, PaymentStatus.PENDING, NOW - timedelta(hours=2))
    payment(desk, cid, PaymentStatus.COMPLETED, days_ago(3))
    payment(desk, cid, PaymentStatus.FAILED, days_ago(3))
    rows = queue(desk, Part.PAYMENTS)
    assert [(r.kind, r.ref) for r in rows] == [(ExceptionKind.PAYMENT_STUCK,
                                                 RecordRef("payment", stuck))]
    assert "Withdrawal of 250.00 USD via Stripe unchanged in processing" in rows[0].summary
    assert rows[0].age_days == 1 and rows[0].due == TODAY
    set_queue_settings(desk, stuck_payment_hours=48)
    assert queue(desk, Part.PAYMENTS) == []
    with pytest.raises(ValidationFailed):
        set_queue_settings(desk, stuck_payment_hours=0)


def test_sync_conflicts_and_rejected_commands(desk: Desk) -> None:
    cid = client(desk, "Synced", external_id="gw-77")
    with desk.store.write() as s:
        for seq, status in enumerate((OutboxStatus.REJECTED, OutboxStatus.CONFLICT,
                                      OutboxStatus.PENDING, OutboxStatus.DONE), start=1):
            s.add(OutboxCommand(device_seq=seq, idempotency_key=uuid.uuid4().hex,
                                kind="client.update", payload={}, status=status,
                                last_error="leverage above the group's maximum",
                                created_at=days_ago(seq), created_by=desk.actor.id,
                                entity="client", entity_ref="gw-77"))
    rows = queue(desk, Part.SYNC)
    assert kinds(rows) == [ExceptionKind.SYNC_CONFLICT, ExceptionKind.COMMAND_REJECTED]
    assert [r.age_days for r in rows] == [2, 1]
    assert "leverage above the group's maximum" in rows[1].summary
    assert {(r.client_id, r.owner) for r in rows} == {(cid, "Ada Admin")}


def test_alerts_and_cases_past_their_due_date(desk: Desk) -> None:
    cid = client(desk, "Watched")
    with desk.store.write() as s:
        for n, (status, due) in enumerate(((AlertStatus.OPEN, TODAY - timedelta(days=1)),
                                           (AlertStatus.OPEN, TODAY + timedelta(days=1)),
                                           (AlertStatus.CLOSED, TODAY - timedelta(days=9)),
                                           (AlertStatus.OPEN, None))):
            s.add(Alert(uid=str(uuid.uuid4()), rule="structuring", severity=Severity.HIGH,
                        client_id=cid, status=status, summary=f"Alert {n}", due_date=due,
                        created_at=days_ago(15)))
        for n, (status, due) in enumerate(((CaseStatus.INVESTIGATING, TODAY - timedelta(3)),
                                           (CaseStatus.OPEN, TODAY),
                                           (CaseStatus.CLOSED, TODAY - timedelta(days=3)))):
            s.add(ComplianceCase(uid=str(uuid.uuid4()), title=f"Case {n}", client_id=cid,
                                 status=status, assignee_id=desk.actor.id, due_date=due,
                                 created_at=days_ago(40)))
    rows = queue(desk, Part.COMPLIANCE)
    assert kinds(rows) == [ExceptionKind.CASE_OVERDUE, ExceptionKind.ALERT_OVERDUE]
    case, alert = rows
    assert case.summary == "Case investigating: Case 0" and case.owner == "Ada Admin"
    assert case.age_days == 40 and case.due == TODAY - timedelta(days=3)
    assert alert.summary == "High alert not reviewed: Alert 0" and alert.age_days == 15
    assert alert.ref.kind == "alert" and case.ref.kind == "compliance_case"


def test_one_queue_oldest_first_with_part_and_client_filters(desk: Desk) -> None:
    manager = users.add_user(desk, "mona", "Mona Manager", Role.MANAGER)
    gb = client(desk, "Briton", manager_id=manager.id)
    de = client(desk, "German", country="DE", segment="VIP")
    payment(desk, gb, PaymentStatus.REQUESTED, days_ago(3))
    document(desk, kyc_case(desk, de), TODAY - timedelta(days=20))
    with desk.store.write() as s:
        s.add(Alert(uid=str(uuid.uuid4()), rule="r", severity=Severity.LOW, client_id=None,
                    status=AlertStatus.OPEN, summary="No client", due_date=TODAY - timedelta(1),
                    created_at=days_ago(1)))
    rows = queue(desk)
    assert [r.age_days for r in rows] == sorted((r.age_days for r in rows), reverse=True)
    assert [r.part for r in rows] == [Part.KYC, Part.PAYMENTS, Part.COMPLIANCE]
    assert queue(desk, Part.SYNC) == []
    assert [r.client_id for r in queue(desk, filters=ClientFilter(country="DE"))] == [de]
    assert [r.client_id for r in queue(desk, filters=ClientFilter(segment="Retail"))] == [gb]
    assert [r.client_id for r in
            queue(desk, filters=ClientFilter(manager_id=manager.id))] == [gb]


def test_settings_are_for_administrators_and_audited(desk: Desk) -> None:
    clerk = Desk(desk.store, users.add_user(desk, "cleo", "Cleo Clerk", Role.CLERK))
    assert queue(clerk) == []  # every role may look
    with pytest.raises(PermissionDenied):
        set_queue_settings(clerk, stuck_payment_hours=12)
    assert set_queue_settings(desk, stuck_payment_hours=12).stuck_payment_hours == 12
    with desk.store.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "settings.update")
                          .order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.entity_id == "exceptions.stuck_payment_hours"


def test_the_dashboard_counts_agree_with_the_queue(desk: Desk) -> None:
    gb, de = client(desk, "Counted"), client(desk, "Other", country="DE")
    for cid, hours in ((gb, 30), (gb, 24 * 9), (de, 24 * 40)):
        payment(desk, cid, PaymentStatus.PENDING, NOW - timedelta(hours=hours))
    document(desk, kyc_case(desk, de), TODAY - timedelta(days=3))
    kyc_case(desk, gb, next_review=TODAY - timedelta(days=31))
    with desk.store.write() as s:
        for days in (0, 2, 8, 31):
            s.add(ComplianceCase(uid=str(uuid.uuid4()), title="Look", client_id=gb,
                                 status=CaseStatus.OPEN, due_date=TODAY - timedelta(days=1),
                                 created_at=days_ago(days)))
    for filters in (ClientFilter(), ClientFilter(country="DE"), ClientFilter(country="GB")):
        rows = queue(desk, filters=filters)
        expected = {part: [0, 0, 0, 0] for part in Part}
        for row in rows:
            expected[row.part][age_bucket(row.age_days)] += 1
        with desk.store.read() as s:
            assert count_ages(s, now=NOW, filters=filters) == expected
    assert sum(map(sum, expected.values())) == 7  # the GB ones: 2 payments, 1 review, 4 cases
