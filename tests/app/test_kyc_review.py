"""Reviewing documents and approving cases: approved only when every requirement is met
by approved, current documents; the client becomes verified; decisions are recorded
with who and when and sent to the gateway for platform clients."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import PermissionDenied, ValidationFailed
from app.kyc import cases, review
from app.kyc.periodic import add_months
from app.models.audit import AuditEntry
from app.models.crm import Client, ClientStatus, RiskRating
from app.models.kyc import DocumentStatus, KycDocument, KycStatus
from app.models.sync_state import OutboxCommand
from app.models.users import Role
from app.services import outbox
from app.services.workspace import Desk
from sync.contract.schemas import ClientProfile as WireProfile
from sync.contract.schemas import KycCase as WireCase
from sync.contract.schemas import KycDocument as WireDocument
from tests.app.test_kyc_support import (
    TODAY,
    as_user,
    attach,
    complete_person_case,
    on_platform,
    person,
)


@pytest.fixture
def officer(desk: Desk) -> Desk:
    return as_user(desk, Role.COMPLIANCE, "olga")


def test_documents_are_approved_or_rejected_with_reviewer_and_time(
        desk: Desk, officer: Desk, tmp_path: Path) -> None:
    case_id = cases.open_case(desk, person(desk))
    doc_id = attach(desk, case_id, tmp_path, "selfie", "selfie")
    with pytest.raises(ValidationFailed, match="Say why the document is rejected"):
        review.reject_document(officer, doc_id, "   ")
    review.reject_document(officer, doc_id, "Face not visible")
    with desk.store.read() as s:
        doc = s.get(KycDocument, doc_id)
        assert doc is not None
        assert (doc.status, doc.reject_reason, doc.reviewed_by) == (
            DocumentStatus.REJECTED, "Face not visible", officer.actor.id)
        assert doc.reviewed_at is not None
    review.approve_document(officer, doc_id)  # a second look may reverse it
    view = cases.get_case(desk, case_id)
    assert view.documents[0].status == "approved" and view.documents[0].reviewed_by == "Olga"
    with desk.store.read() as s:
        actions = s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity == "kyc_document")).all()
    assert actions == ["kyc_document.attach", "kyc_document.reject", "kyc_document.approve"]


def test_case_approval_is_refused_while_anything_is_missing(
        desk: Desk, officer: Desk, tmp_path: Path) -> None:
    cid = person(desk)
    case_id = cases.open_case(desk, cid)
    review.approve_document(officer, attach(desk, case_id, tmp_path, "identity", "passport"))
    bill = attach(desk, case_id, tmp_path, "proof_of_address", "utility_bill")
    review.reject_document(officer, bill, "Name does not match")
    with pytest.raises(ValidationFailed) as caught:
        review.approve_case(officer, case_id)
    assert caught.value.message == (
        "The case cannot be approved yet. Still needed: proof of address (rejected: Name does "
        "not match); selfie (nothing attached).")
    attach(desk, case_id, tmp_path, "selfie", "selfie")
    with pytest.raises(ValidationFailed, match=r"selfie \(attached, waiting for review\)"):
        review.approve_case(officer, case_id)
    view = cases.get_case(desk, case_id)
    assert view.status is not KycStatus.APPROVED and view.client_status is ClientStatus.KYC_PENDING


def test_approval_verifies_the_client_and_sets_the_next_review(
        desk: Desk, officer: Desk, tmp_path: Path) -> None:
    cid = person(desk)
    case_id = complete_person_case(desk, officer, cid, tmp_path)
    decision = review.approve_case(officer, case_id, "All documents clear.")
    assert decision.status is KycStatus.APPROVED and not decision.awaiting_second_signature
    assert decision.rating is RiskRating.LOW
    assert decision.next_review == add_months(TODAY, 36)  # low risk: three years
    view = cases.get_case(desk, case_id)
    assert (view.status, view.decided_by, view.notes) == (KycStatus.APPROVED, "Olga",
                                                           "All documents clear.")
    assert view.client_status is ClientStatus.VERIFIED and view.summary.complete()
    with desk.store.read() as s:
        client = s.get(Client, cid)
        assert client is not None and client.risk_rating is RiskRating.LOW
    with pytest.raises(ValidationFailed, match=r"already approved\. Open a new review"):
        review.approve_case(officer, case_id)
    with pytest.raises(ValidationFailed, match="already approved"):
        attach(desk, case_id, tmp_path, "selfie", "selfie")


def test_expired_or_stale_documents_cannot_be_approved(
        desk: Desk, officer: Desk, tmp_path: Path) -> None:
    case_id = cases.open_case(desk, person(desk))
    passport = attach(desk, case_id, tmp_path, "identity", "passport",
                      expiry_date=TODAY + timedelta(days=3))
    with pytest.raises(ValidationFailed, match="passport expired on"):
        review.approve_document(officer, passport, today=TODAY + timedelta(days=4))
    old_bill = attach(desk, case_id, tmp_path, "proof_of_address", "utility_bill",
                      issue_date=TODAY - timedelta(days=120))
    with pytest.raises(ValidationFailed, match="more than 90 days ago: a proof of address"):
        review.approve_document(officer, old_bill)
    review.approve_document(officer, passport)


def test_only_reviewers_decide(desk: Desk, officer: Desk, tmp_path: Path) -> None:
    clerk = as_user(desk, Role.CLERK, "chris")
    cid = person(desk)
    case_id = complete_person_case(desk, officer, cid, tmp_path)
    doc_id = cases.get_case(desk, case_id).documents[0].id
    with pytest.raises(PermissionDenied, match=r"Chris \(Clerk\) is not allowed to review KYC"):
        review.approve_case(clerk, case_id)
    with pytest.raises(PermissionDenied):
        review.reject_document(clerk, doc_id, "no")
    with pytest.raises(PermissionDenied):
        review.approve_document(clerk, doc_id)
    with pytest.raises(PermissionDenied):
        review.reject_case(clerk, case_id, "no")
    assert cases.get_case(desk, case_id).status is KycStatus.IN_REVIEW


def test_a_case_cannot_be_approved_around_its_review(desk: Desk, officer: Desk) -> None:
    case_id = cases.open_case(desk, person(desk))
    with pytest.raises(ValidationFailed, match="approved from its review"):
        outbox.decide_kyc_case(officer, case_id, KycStatus.APPROVED)
    outbox.decide_kyc_case(officer, case_id, KycStatus.IN_REVIEW, "looking at it")
    assert cases.get_case(desk, case_id).status is KycStatus.IN_REVIEW


def test_rejecting_a_case_needs_a_reason(desk: Desk, officer: Desk) -> None:
    case_id = cases.open_case(desk, person(desk))
    with pytest.raises(ValidationFailed, match="Say why the case is rejected"):
        review.reject_case(officer, case_id, " ")
    review.reject_case(officer, case_id, "Forged utility bill")
    view = cases.get_case(desk, case_id)
    assert (view.status, view.notes, view.decided_by) == (KycStatus.REJECTED,
                                                          "Forged utility bill", "Olga")
    assert view.client_status is ClientStatus.KYC_PENDING
    reopened = cases.open_case(desk, view.client_id)
    assert reopened != case_id  # a rejected client may start again with a new case


def test_platform_client_decisions_travel_in_the_gateway_shapes(
        desk: Desk, officer: Desk, tmp_path: Path) -> None:
    cid = person(desk)
    on_platform(desk, cid)
    case_id = complete_person_case(desk, officer, cid, tmp_path)
    review.approve_case(officer, case_id)
    with desk.store.read() as s:
        rows = s.scalars(select(OutboxCommand).order_by(OutboxCommand.device_seq)).all()
    records = [r.payload for r in rows if r.kind == "put-record"]
    by_kind: dict[str, list[dict[str, object]]] = {}
    for r in records:
        by_kind.setdefault(str(r["kind"]), []).append(r)
    kinds = {"kyc_case": WireCase, "kyc_document": WireDocument, "client_profile": WireProfile}
    for kind, model in kinds.items():
        for record in by_kind[kind]:
            model.model_validate(record["data"])  # each one as the gateway expects it
    case_records = by_kind["kyc_case"]
    # open -> in review -> approved: each edit based on the version the one before makes
    assert [r["data"]["status"] for r in case_records] == ["open", "in_review", "approved"]  # type: ignore[index]
    assert [r["base_version"] for r in case_records] == [0, 1, 2]
    assert case_records[-1]["data"]["decided_by"] == "olga"  # type: ignore[index]
    statuses = [r["data"]["status"] for r in by_kind["kyc_document"]]  # type: ignore[index]
    assert statuses == ["received"] * 3 + ["accepted"] * 3
    profiles = by_kind["client_profile"]
    assert [p["data"]["status"] for p in profiles] == ["kyc_pending", "verified"]  # type: ignore[index]
    assert [p["base_version"] for p in profiles] == [0, 1]
    assert rows[-1].revert is not None  # a refusal puts the client's status back
