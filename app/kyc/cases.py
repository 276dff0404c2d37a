"""A client's KYC case: opening one, and what a reviewer sees of it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.errors import NotFound, ValidationFailed
from app.kyc import records
from app.kyc.requirements import (
    DOC_TYPES,
    CaseSummary,
    DocumentFacts,
    Requirement,
    requirement_of,
    summarise,
)
from app.kyc.risk import RiskAssessment
from app.models.compliance import Approval, ApprovalStatus
from app.models.crm import Client, ClientKind, ClientStatus
from app.models.kyc import KycCase, KycDocument, KycStatus
from app.models.users import User
from app.roles import Actor, Permission, require
from app.services.workspace import Desk

HIGH_RISK_APPROVAL = "kyc_high_risk"
UNDECIDED = (KycStatus.OPEN, KycStatus.IN_REVIEW, KycStatus.EDD)
BEFORE_KYC = (ClientStatus.LEAD, ClientStatus.REGISTERED)


def require_one_of(actor: Actor, *permissions: Permission) -> None:
    if not any(actor.can(p) for p in permissions):
        require(actor, permissions[0])  # raises, naming the first


# -- in-session helpers the other KYC modules share ------------------------------------------

def load(s: Session, case_id: int) -> tuple[KycCase, Client]:
    case = s.get(KycCase, case_id)
    if case is None:
        raise NotFound("This KYC case no longer exists.")
    client = s.get(Client, case.client_id)
    if client is None:
        raise NotFound("The client of this KYC case no longer exists.")
    return case, client


def require_undecided(case: KycCase) -> None:
    if case.status not in UNDECIDED:
        raise ValidationFailed(f"This case is already {case.status.value}. Open a new review "
                               "of the client to change its documents or decision.", "case")


def latest_case(s: Session, client_id: int) -> KycCase | None:
    return s.scalar(select(KycCase).where(KycCase.client_id == client_id)
                    .order_by(KycCase.id.desc()).limit(1))


def document_facts(s: Session, case_id: int) -> list[DocumentFacts]:
    rows = s.execute(select(KycDocument.id, KycDocument.requirement, KycDocument.doc_type,
                            KycDocument.status, KycDocument.expiry_date,
                            KycDocument.reject_reason)
                     .where(KycDocument.case_id == case_id).order_by(KycDocument.id))
    return [DocumentFacts(*row) for row in rows]


def high_risk_approval(s: Session, case: KycCase) -> Approval | None:
    """The newest second-signature request for this case."""
    return s.scalar(select(Approval).where(
        Approval.kind == HIGH_RISK_APPROVAL, Approval.entity == "kyc_case",
        Approval.entity_ref == case.uid).order_by(Approval.id.desc()).limit(1))


def senior_state(s: Session, case: KycCase) -> str | None:
    approval = high_risk_approval(s, case)
    if approval is None or approval.status is ApprovalStatus.REJECTED:
        return None
    return approval.status.value


def summary(s: Session, case: KycCase, client: Client, today: date) -> CaseSummary:
    return summarise(client.kind, case.enhanced, document_facts(s, case.id), today,
                     senior_state(s, case))


def open_case_in(s: Session, actor: Actor, client: Client) -> KycCase:
    case = KycCase(uid=str(uuid.uuid4()), client_id=client.id, status=KycStatus.OPEN,
                   enhanced=False, notes="", edd_reason="")
    s.add(case)
    s.flush()
    audit.record(s, actor, "kyc_case.open", "kyc_case", case.id,
                 after={"client": client.id, "uid": case.uid})
    return case


# -- services ---------------------------------------------------------------------------------

def open_case(desk: Desk, client_id: int) -> int:
    """The client's case under way, or a new one (first onboarding or a periodic review).
    The client is rated at once, so enhanced due diligence shows from the start."""
    from app.kyc.rating import rate_in

    require_one_of(desk.actor, Permission.EDIT_CLIENTS, Permission.REVIEW_KYC)
    with desk.store.write() as s:
        client = s.get(Client, client_id)
        if client is None:
            raise NotFound("This client no longer exists.")
        if client.status is ClientStatus.CLOSED:
            raise ValidationFailed(f"{client.display_name} is closed; reopen the client "
                                   "before starting KYC.", "client")
        current = latest_case(s, client.id)
        if current is not None and current.status in UNDECIDED:
            return current.id
        client_before = records.snapshot(client, records.CLIENT_FIELDS)
        case = open_case_in(s, desk.actor, client)
        if client.status in BEFORE_KYC:
            client.status = ClientStatus.KYC_PENDING
        rate_in(s, desk.actor, client, case, date.today())
        records.send_case(s, desk.actor, case, client, None)
        records.client_changed(s, desk.actor, client, client_before)
        return case.id


@dataclass(frozen=True)
class DocumentRow:
    id: int
    requirement: str
    doc_type: str
    doc_label: str
    issuing_country: str
    number: str
    issue_date: date | None
    expiry_date: date | None
    status: str
    expired: bool
    reject_reason: str
    file_name: str
    mime_type: str
    size: int
    sha256: str
    reviewed_by: str
    reviewed_at: datetime | None
    attached_at: datetime


@dataclass(frozen=True)
class SecondSignature:
    approval_id: int
    status: str
    prepared_by: str
    decided_by: str
    reason: str


@dataclass(frozen=True)
class CaseView:
    id: int
    client_id: int
    client_name: str
    client_kind: ClientKind
    client_status: ClientStatus
    status: KycStatus
    enhanced: bool
    edd_reason: str
    notes: str
    next_review: date | None
    decided_by: str
    decided_at: datetime | None
    rated_at: datetime | None
    risk: RiskAssessment | None
    summary: CaseSummary
    documents: tuple[DocumentRow, ...]
    second_signature: SecondSignature | None


def _names(s: Session) -> dict[int, str]:
    return dict(s.execute(select(User.id, User.full_name)).all())


def get_case(desk: Desk, case_id: int, today: date | None = None) -> CaseView:
    require(desk.actor, Permission.VIEW)
    today = today or date.today()
    with desk.store.read() as s:
        case, client = load(s, case_id)
        names = _names(s)
        docs = s.scalars(select(KycDocument).where(KycDocument.case_id == case.id)
                         .order_by(KycDocument.id)).all()
        rows = []
        for d in docs:
            facts = DocumentFacts(d.id, d.requirement, d.doc_type, d.status, d.expiry_date)
            req = requirement_of(d.requirement, d.doc_type)
            rows.append(DocumentRow(
                d.id, req.value if req else d.requirement, d.doc_type,
                DOC_TYPES[d.doc_type].label if d.doc_type in DOC_TYPES else d.doc_type,
                d.issuing_country, d.number, d.issue_date, d.expiry_date, d.status.value,
                facts.expired(today), d.reject_reason, d.file_name, d.mime_type, d.size,
                d.sha256, names.get(d.reviewed_by or 0, ""), d.reviewed_at, d.created_at))
        approval = high_risk_approval(s, case)
        second = None if approval is None else SecondSignature(
            approval.id, approval.status.value, names.get(approval.prepared_by, ""),
            names.get(approval.decided_by or 0, ""), approval.reason)
        return CaseView(case.id, client.id, client.display_name, client.kind, client.status,
                        case.status, case.enhanced, case.edd_reason, case.notes,
                        case.next_review, names.get(case.decided_by or 0, ""),
                        case.decided_at, case.rated_at,
                        RiskAssessment.from_json(case.risk_factors),
                        summary(s, case, client, today), tuple(rows), second)


@dataclass(frozen=True)
class CaseRow:
    id: int
    status: KycStatus
    enhanced: bool
    opened_at: datetime
    decided_at: datetime | None
    next_review: date | None


def client_cases(desk: Desk, client_id: int) -> list[CaseRow]:
    """A client's cases, newest first."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        cases = s.scalars(select(KycCase).where(KycCase.client_id == client_id)
                          .order_by(KycCase.id.desc())).all()
        return [CaseRow(c.id, c.status, c.enhanced, c.created_at, c.decided_at, c.next_review)
                for c in cases]


def requirement_label(value: str) -> str:
    try:
        return Requirement(value).label
    except ValueError:
        return value
