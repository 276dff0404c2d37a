"""Reviewing documents and deciding cases. A case is approved only when every
requirement is met by approved, current documents; a high-risk or EDD case needs a
second person's signature (maker-checker) before it is approved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from app import audit
from app.errors import NotFound, ValidationFailed
from app.kyc import records, second_signature
from app.kyc.cases import (
    high_risk_approval,
    latest_case,
    load,
    require_undecided,
    summary,
)
from app.kyc.periodic import next_review_date
from app.kyc.rating import rate_in, rate_now
from app.kyc.requirements import DOC_TYPES, Requirement
from app.kyc.risk import RiskAssessment
from app.kyc.settings import load as load_settings
from app.models.compliance import ApprovalStatus
from app.models.crm import Client, ClientStatus, RiskRating
from app.models.kyc import DocumentStatus, KycCase, KycDocument, KycStatus
from app.roles import Actor, Permission, require
from app.services.workspace import Desk

BECOMES_VERIFIED = (ClientStatus.LEAD, ClientStatus.REGISTERED, ClientStatus.KYC_PENDING)
SENIOR = (Requirement.SENIOR_APPROVAL,)


@dataclass(frozen=True)
class CaseDecision:
    case_id: int
    status: KycStatus
    awaiting_second_signature: bool
    approval_id: int | None
    rating: RiskRating
    next_review: date | None
    message: str


# -- documents --------------------------------------------------------------------------------

def approve_document(desk: Desk, document_id: int, today: date | None = None) -> None:
    require(desk.actor, Permission.REVIEW_KYC)
    _decide_document(desk, document_id, DocumentStatus.APPROVED, "", today or date.today())


def reject_document(desk: Desk, document_id: int, reason: str) -> None:
    require(desk.actor, Permission.REVIEW_KYC)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("Say why the document is rejected: the client is told what "
                               "to send instead.", "reason")
    if len(reason) > 500:
        raise ValidationFailed("The reason can be at most 500 characters.", "reason")
    _decide_document(desk, document_id, DocumentStatus.REJECTED, reason, date.today())


def _decide_document(desk: Desk, document_id: int, status: DocumentStatus, reason: str,
                     today: date) -> None:
    with desk.store.write() as s:
        doc = s.get(KycDocument, document_id)
        if doc is None:
            raise NotFound("This document no longer exists.")
        case, client = load(s, doc.case_id)
        require_undecided(case)
        if doc.status is DocumentStatus.EXPIRED:
            raise ValidationFailed("This document has expired; it can no longer be approved "
                                   "or rejected. Ask for a current one.", "document")
        if status is DocumentStatus.APPROVED:
            _check_current(s, doc, today)
        before = records.snapshot(doc, records.DOCUMENT_FIELDS)
        doc.status, doc.reject_reason = status, reason
        doc.reviewed_by, doc.reviewed_at = desk.actor.id, datetime.now(UTC)
        action = "approve" if status is DocumentStatus.APPROVED else "reject"
        audit.record(s, desk.actor, f"kyc_document.{action}", "kyc_document", doc.id,
                     before={"status": before["status"]},
                     after={"status": status, "reason": reason})
        records.send_document(s, desk.actor, doc, case, client, before, signed_now=True)


def _check_current(s: Session, doc: KycDocument, today: date) -> None:
    label = DOC_TYPES[doc.doc_type].label if doc.doc_type in DOC_TYPES else doc.doc_type
    if doc.expiry_date is not None and doc.expiry_date < today:
        raise ValidationFailed(f"This {label} expired on {doc.expiry_date:%d %b %Y}; it cannot "
                               "be approved. Ask for a current one.", "document")
    kind = DOC_TYPES.get(doc.doc_type)
    if (kind is not None and kind.needs_issue_date and doc.issue_date is not None
            and doc.requirement in ("", Requirement.PROOF_OF_ADDRESS.value)):
        max_age = load_settings(s).address_proof_max_age_days
        if doc.issue_date < today - timedelta(days=max_age):
            raise ValidationFailed(f"This {label} was issued on {doc.issue_date:%d %b %Y}, "
                                   f"more than {max_age} days ago: a proof of address must be "
                                   "recent. Ask for a newer one.", "document")


# -- cases ------------------------------------------------------------------------------------

def approve_case(desk: Desk, case_id: int, notes: str = "",
                 today: date | None = None) -> CaseDecision:
    """Approve when everything is in. For a high-risk or EDD case the first approval asks
    for a second signature; a different person with the right to approve high-risk
    clients then approves it here (or with `countersign_case`)."""
    require(desk.actor, Permission.REVIEW_KYC)
    today = today or date.today()
    _rate_first(desk, case_id)
    with desk.store.write() as s:
        case, client = load(s, case_id)
        require_undecided(case)
        case_before = records.snapshot(case, records.CASE_FIELDS)
        client_before = records.snapshot(client, records.CLIENT_FIELDS)
        assessment = _ready(s, desk.actor, case, client, today)
        approval = high_risk_approval(s, case)
        if assessment.rating is RiskRating.HIGH or case.enhanced:
            if approval is None or approval.status is ApprovalStatus.REJECTED:
                approval = second_signature.prepare(s, desk.actor, case, client)
                records.send_case(s, desk.actor, case, client, case_before)
                records.client_changed(s, desk.actor, client, client_before)
                return CaseDecision(case.id, case.status, True, approval.id, assessment.rating,
                                    None, _why_second(case, assessment))
            if approval.status is ApprovalStatus.PENDING:
                second_signature.countersign(s, desk.actor, approval, True, notes)
            else:
                second_signature.check_signed(s, approval)
        return _finish(s, desk.actor, case, client, assessment, today, notes, case_before,
                       client_before)


def countersign_case(desk: Desk, case_id: int, approve: bool, reason: str = "",
                     today: date | None = None) -> CaseDecision:
    """The second signature on a high-risk or EDD approval."""
    require(desk.actor, Permission.APPROVE_HIGH_RISK)
    today = today or date.today()
    if not approve and not reason.strip():
        raise ValidationFailed("Say why you do not sign: the colleague who prepared the "
                               "approval needs to know.", "reason")
    if approve:
        _rate_first(desk, case_id)
    with desk.store.write() as s:
        case, client = load(s, case_id)
        require_undecided(case)
        approval = high_risk_approval(s, case)
        if approval is None or approval.status is not ApprovalStatus.PENDING:
            raise ValidationFailed("No approval of this case is waiting for a second "
                                   "signature.", "approval")
        case_before = records.snapshot(case, records.CASE_FIELDS)
        client_before = records.snapshot(client, records.CLIENT_FIELDS)
        if not approve:
            second_signature.countersign(s, desk.actor, approval, False, reason.strip())
            return CaseDecision(case.id, case.status, False, approval.id, client.risk_rating,
                                None, "Not signed: the case stays open for more work.")
        assessment = _ready(s, desk.actor, case, client, today)
        second_signature.countersign(s, desk.actor, approval, True, reason.strip())
        return _finish(s, desk.actor, case, client, assessment, today, reason, case_before,
                       client_before)


def reject_case(desk: Desk, case_id: int, reason: str) -> None:
    require(desk.actor, Permission.REVIEW_KYC)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("Say why the case is rejected.", "reason")
    with desk.store.write() as s:
        case, client = load(s, case_id)
        require_undecided(case)
        before = records.snapshot(case, records.CASE_FIELDS)
        case.status, case.notes = KycStatus.REJECTED, reason[:10_000]
        case.decided_by, case.decided_at = desk.actor.id, datetime.now(UTC)
        audit.record(s, desk.actor, "kyc_case.reject", "kyc_case", case.id,
                     before={"status": before["status"]},
                     after={"status": case.status, "reason": reason})
        records.send_case(s, desk.actor, case, client, before, signed_now=True)


def _rate_first(desk: Desk, case_id: int) -> None:
    """A decision rests on today's facts, so the client is rated first, in its own
    transaction: when the approval is then refused, the new rating (and any EDD it
    opened) stays for the reviewer to see."""
    with desk.store.read() as s:
        case, client = load(s, case_id)
        require_undecided(case)
        latest = latest_case(s, client.id)
    if latest is not None and latest.id == case.id:
        rate_now(desk, client.id)


def _ready(s: Session, actor: Actor, case: KycCase, client: Client,
           today: date) -> RiskAssessment:
    """The rating just made, and every document requirement met; refuses with the list
    of what is still needed."""
    assessment = RiskAssessment.from_json(case.risk_factors)
    if assessment is None or case.rated_at is None:
        assessment, _ = rate_in(s, actor, client, case, today)
    state = summary(s, case, client, today)
    if not state.complete(ignoring=SENIOR):
        raise ValidationFailed("The case cannot be approved yet. Still needed: "
                               f"{state.still_needed(ignoring=SENIOR)}.", "case")
    return assessment


def _why_second(case: KycCase, assessment: RiskAssessment) -> str:
    why = "the client is rated high risk" if assessment.rating is RiskRating.HIGH else \
        "the case is under enhanced due diligence"
    return (f"Approval prepared: {why}, so a second person with the right to approve "
            "high-risk clients must sign before the case is approved.")


def _finish(s: Session, actor: Actor, case: KycCase, client: Client,
            assessment: RiskAssessment, today: date, notes: str,
            case_before: dict[str, object], client_before: dict[str, object]) -> CaseDecision:
    case.status = KycStatus.APPROVED
    case.decided_by, case.decided_at = actor.id, datetime.now(UTC)
    case.next_review = next_review_date(today, assessment.rating, load_settings(s))
    if notes.strip():
        case.notes = notes.strip()[:10_000]
    if client.status in BECOMES_VERIFIED:
        client.status = ClientStatus.VERIFIED
    audit.record(s, actor, "kyc_case.approve", "kyc_case", case.id,
                 before={"status": case_before["status"]},
                 after={"status": case.status, "rating": assessment.rating,
                        "next_review": case.next_review, "client_status": client.status})
    records.send_case(s, actor, case, client, case_before, signed_now=True)
    records.client_changed(s, actor, client, client_before)
    return CaseDecision(case.id, case.status, False, None, assessment.rating, case.next_review,
                        f"Approved. Next review by {case.next_review:%d %b %Y}.")
