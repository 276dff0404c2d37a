"""The second signature on a high-risk or EDD approval: an Approval of kind
`kyc_high_risk`, prepared by one reviewer and decided by another who may approve
high-risk clients. Shared with the gateway like every approval (its own four-eyes
check applies there too)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.errors import ValidationFailed
from app.kyc import records
from app.kyc.cases import HIGH_RISK_APPROVAL
from app.models.compliance import Approval, ApprovalStatus
from app.models.crm import Client
from app.models.kyc import KycCase
from app.models.users import User
from app.roles import ROLE_PERMISSIONS, Actor, Permission, require
from app.services.outbox import put_record, signer


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def _approval_data(approval: Approval, preparer: str, decider: str | None) -> dict[str, object]:
    return {"kind": approval.kind, "entity": approval.entity,
            "entity_ref": approval.entity_ref, "prepared_by": preparer, "decided_by": decider,
            "decided_ms": _ms(approval.decided_at), "status": approval.status.value,
            "reason": approval.reason}


def prepare(s: Session, actor: Actor, case: KycCase, client: Client) -> Approval:
    approval = Approval(uid=str(uuid.uuid4()), kind=HIGH_RISK_APPROVAL, entity="kyc_case",
                        entity_ref=case.uid, prepared_by=actor.id,
                        status=ApprovalStatus.PENDING, reason="")
    s.add(approval)
    s.flush()
    if client.external_id is not None:
        put_record(s, actor, "approval", approval.uid, 0,
                   _approval_data(approval, signer(s, actor), None),
                   revert={"table": "approvals", "id": approval.id, "delete": True})
    audit.record(s, actor, "approval.prepare", "kyc_case", case.id,
                 after={"approval": approval.uid, "kind": HIGH_RISK_APPROVAL})
    return approval


def countersign(s: Session, actor: Actor, approval: Approval, approve: bool,
                 reason: str) -> None:
    if approval.prepared_by == actor.id:
        raise ValidationFailed("You prepared this approval, so you cannot also sign it: a "
                               "second person with the right to approve high-risk clients "
                               "must sign.", "approval")
    require(actor, Permission.APPROVE_HIGH_RISK)
    before = {"status": approval.status.value, "decided_by": None, "decided_at": None,
              "reason": approval.reason}
    approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    approval.decided_by, approval.decided_at = actor.id, datetime.now(UTC)
    approval.reason = reason[:500]
    case = s.scalars(select(KycCase).where(KycCase.uid == approval.entity_ref)).one()
    client = s.get(Client, case.client_id)
    if client is not None and client.external_id is not None:
        preparer = records.signed_before(s, "approval", approval.uid, "prepared_by",
                                         approval.prepared_by)
        put_record(s, actor, "approval", approval.uid,
                   records.next_base(s, "approval", approval.uid, approval.server_version),
                   _approval_data(approval, preparer or "", signer(s, actor)),
                   revert={"table": "approvals", "id": approval.id, "values": before})
    audit.record(s, actor, "approval.decide", "kyc_case", case.id,
                 after={"approval": approval.uid, "status": approval.status,
                        "reason": approval.reason})


def check_signed(s: Session, approval: Approval) -> None:
    """An approval decided elsewhere (the approvals list) counts only if its signer
    may approve high-risk clients."""
    signer_user = s.get(User, approval.decided_by) if approval.decided_by else None
    if signer_user is None or approval.decided_by == approval.prepared_by or (
            Permission.APPROVE_HIGH_RISK not in ROLE_PERMISSIONS[signer_user.role]):
        raise ValidationFailed("The second signature on this case was not given by someone "
                               "allowed to approve high-risk clients. Ask a compliance "
                               "officer to sign.", "approval")
