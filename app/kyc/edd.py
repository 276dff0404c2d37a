"""Enhanced due diligence: a high rating, a politically exposed person or a country on
a FATF list puts the case under EDD, which asks for proof of the source of wealth and
a second person's signature before approval."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app import audit
from app.kyc.cases import UNDECIDED, open_case_in
from app.kyc.risk import RiskAssessment
from app.models.crm import Client
from app.models.kyc import KycCase, KycStatus
from app.roles import Actor


def reason_text(assessment: RiskAssessment) -> str:
    text = "Enhanced due diligence: " + "; ".join(assessment.edd_reasons) + "."
    return text if len(text) <= 500 else text[:497] + "..."


def open_if_needed(s: Session, actor: Actor, client: Client, case: KycCase,
                   assessment: RiskAssessment) -> KycCase | None:
    """Put the case under EDD when the rating says so. An approved case is not reopened:
    a new review under EDD is started instead (returned), and the client keeps trading
    on the approval until it is decided."""
    if not assessment.edd_reasons:
        return None
    reason = reason_text(assessment)
    if case.status in UNDECIDED:
        if not case.enhanced or case.edd_reason != reason:
            _mark(s, actor, case, reason)
        return None
    if case.status is KycStatus.APPROVED and not case.enhanced:
        review = open_case_in(s, actor, client)
        _mark(s, actor, review, reason)
        return review
    return None


def _mark(s: Session, actor: Actor, case: KycCase, reason: str) -> None:
    before = {"enhanced": case.enhanced, "status": case.status, "edd_reason": case.edd_reason}
    case.enhanced, case.status, case.edd_reason = True, KycStatus.EDD, reason
    audit.record(s, actor, "kyc_case.edd_open", "kyc_case", case.id, before=before,
                 after={"enhanced": True, "status": case.status, "edd_reason": reason})
