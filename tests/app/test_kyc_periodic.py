"""Periodic review dates by risk (configurable), the review queue, documents expiring
soon, and the sweep that marks expired documents."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app.errors import PermissionDenied, ValidationFailed
from app.kyc import cases, periodic, review, settings
from app.kyc.periodic import add_months
from app.models.audit import AuditEntry
from app.models.crm import RiskRating
from app.models.kyc import DocumentStatus, KycDocument
from app.models.sync_state import OutboxCommand
from app.models.users import Role
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


def test_months_are_added_like_a_calendar() -> None:
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 15), 26) == date(2028, 1, 15)


def test_next_review_follows_the_rating() -> None:
    s = settings.defaults()
    day = date(2025, 3, 10)
    assert periodic.next_review_date(day, RiskRating.HIGH, s) == date(2026, 3, 10)
    assert periodic.next_review_date(day, RiskRating.MEDIUM, s) == date(2027, 3, 10)
    assert periodic.next_review_date(day, RiskRating.LOW, s) == date(2028, 3, 10)
    assert periodic.next_review_date(day, RiskRating.UNRATED, s) == date(2026, 3, 10)


def test_review_periods_are_a_setting(desk: Desk, olga: Desk, tmp_path: Path) -> None:
    clerk = as_user(desk, Role.CLERK, "chris")
    with pytest.raises(PermissionDenied):
        settings.set_review_periods(clerk, high=6, medium=12, low=24)
    with pytest.raises(ValidationFailed, match="at least as often"):
        settings.set_review_periods(olga, high=24, medium=12, low=36)
    with pytest.raises(ValidationFailed, match="from 1 to 120"):
        settings.set_review_periods(olga, high=0, medium=12, low=36)
    settings.set_review_periods(olga, high=6, medium=12, low=18)
    medium = person(desk, occupation="Art dealer")  # 20 points
    case_id = complete_person_case(desk, olga, medium, tmp_path)
    decision = review.approve_case(olga, case_id)
    assert decision.rating is RiskRating.MEDIUM
    assert decision.next_review == add_months(TODAY, 12)


def test_the_review_queue_lists_approved_clients_that_are_due(
        desk: Desk, olga: Desk, tmp_path: Path) -> None:
    due, later = person(desk, last="Due"), person(desk, last="Later")
    for cid in (due, later):
        review.approve_case(olga, complete_person_case(desk, olga, cid, tmp_path))
    with desk.store.write() as s:
        s.execute(text("UPDATE kyc_cases SET next_review = :d WHERE client_id = :c"),
                  {"d": TODAY - timedelta(days=3), "c": due})
        s.execute(text("UPDATE kyc_cases SET next_review = :d WHERE client_id = :c"),
                  {"d": TODAY + timedelta(days=20), "c": later})
    queue = periodic.review_queue(desk)
    assert [(r.client_name, r.days_overdue) for r in queue] == [("Due, Ana", 3)]
    horizon = periodic.review_queue(desk, within_days=30)
    assert [(r.client_name, r.days_overdue) for r in horizon] == [("Due, Ana", 3),
                                                                  ("Later, Ana", -20)]
    cases.open_case(desk, due)  # the review is started: no longer waiting in the queue
    assert periodic.review_queue(desk) == []


def test_documents_expiring_soon_are_queued_until_replaced(
        desk: Desk, olga: Desk, tmp_path: Path) -> None:
    cid = person(desk)
    case_id = cases.open_case(desk, cid)
    soon = attach(desk, case_id, tmp_path, "identity", "passport",
                  expiry_date=TODAY + timedelta(days=10))
    attach(desk, case_id, tmp_path, "identity", "national_id",
           expiry_date=TODAY + timedelta(days=45))
    review.approve_document(olga, soon)
    queue = periodic.expiring_documents(desk)  # the setting: 30 days
    assert [(q.doc_label, q.days_left, q.requirement) for q in queue] == [
        ("passport", 10, "identity")]
    assert [q.doc_label for q in periodic.expiring_documents(desk, within_days=60)] == [
        "passport", "national ID card"]
    fresh = attach(desk, case_id, tmp_path, "identity", "residence_permit")
    review.approve_document(olga, fresh)  # expires in five years: covers identity
    assert periodic.expiring_documents(desk, within_days=60) == []


def test_the_sweep_marks_expired_documents_once(desk: Desk, olga: Desk,
                                                tmp_path: Path) -> None:
    cid = person(desk)
    on_platform(desk, cid)
    case_id = cases.open_case(desk, cid)
    lapsing = attach(desk, case_id, tmp_path, "identity", "passport",
                     expiry_date=TODAY + timedelta(days=2))
    review.approve_document(olga, lapsing)
    attach(desk, case_id, tmp_path, "selfie", "selfie")
    assert periodic.sweep_expired(desk) == []  # nothing has lapsed yet
    later = TODAY + timedelta(days=3)
    swept = periodic.sweep_expired(desk, today=later)
    assert [(d.document_id, d.days_left) for d in swept] == [(lapsing, -1)]
    assert periodic.sweep_expired(desk, today=later) == []
    with desk.store.read() as s:
        doc = s.get(KycDocument, lapsing)
        assert doc is not None and doc.status is DocumentStatus.EXPIRED
        entry = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "kyc_document.expire")).one()
        assert entry.entity_id == str(lapsing)
        last = s.scalars(select(OutboxCommand).order_by(OutboxCommand.device_seq.desc())).first()
    assert last is not None and last.payload["data"]["status"] == "expired"
    assert last.payload["data"]["reviewed_by"] == "olga"  # the signature is repeated as sent
    assert last.payload["base_version"] == 2  # received, accepted, now expired
    view = cases.get_case(desk, case_id, today=later)
    assert [r.value for r in view.summary.expired] == ["identity"]
    with pytest.raises(ValidationFailed, match="has expired"):
        review.approve_document(olga, lapsing)
