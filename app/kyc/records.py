"""KYC cases and documents as shared records on the gateway: the put-record commands
written in the same transaction as the local change (only for clients the platform
knows), and the client's own changes (status, risk rating) sent once per change."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.crm import Client
from app.models.kyc import DocumentStatus, KycCase, KycDocument, KycStatus
from app.models.sync_state import OutboxCommand, OutboxStatus
from app.models.users import User
from app.roles import Actor
from app.services.outbox import put_record, queue_client_changes, signer

# The gateway's words for a document's status (sync/contract/schemas.py KycDocument).
WIRE_STATUS = {DocumentStatus.NEW: "received", DocumentStatus.APPROVED: "accepted",
               DocumentStatus.REJECTED: "rejected", DocumentStatus.EXPIRED: "expired"}
DECIDED = (KycStatus.APPROVED, KycStatus.REJECTED)
CASE_FIELDS = ("status", "notes", "decided_by", "decided_at", "enhanced", "next_review")
DOCUMENT_FIELDS = ("status", "reject_reason", "reviewed_by", "reviewed_at")
CLIENT_FIELDS = ("status", "risk_rating")


def _column(value: Any) -> Any:
    """A value as its column holds it, for putting back if the gateway refuses."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return getattr(value, "value", value)


def snapshot(row: KycCase | KycDocument | Client, names: tuple[str, ...]) -> dict[str, Any]:
    return {k: _column(getattr(row, k)) for k in names}


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def next_base(s: Session, kind: str, rid: str, server_version: int) -> int:
    """The version an edit is based on. While an earlier edit of the same record still
    waits in the outbox, the gateway will be one past what that edit was based on."""
    waiting = s.scalar(select(OutboxCommand.payload).where(
        OutboxCommand.entity == kind, OutboxCommand.entity_ref == rid,
        OutboxCommand.status.in_((OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT)))
        .order_by(OutboxCommand.device_seq.desc()).limit(1))
    return server_version if waiting is None else int(waiting["base_version"]) + 1


def signed_before(s: Session, kind: str, rid: str, name: str, user_id: int | None) -> Any:
    """Who a record was signed by when it was last sent: a signature is only ever
    repeated, never rewritten by someone else."""
    sent = s.scalar(select(OutboxCommand.payload).where(
        OutboxCommand.entity == kind, OutboxCommand.entity_ref == rid,
        OutboxCommand.status.not_in((OutboxStatus.REJECTED, OutboxStatus.DISCARDED)))
        .order_by(OutboxCommand.device_seq.desc()).limit(1))
    if sent is not None and sent.get("data"):
        return sent["data"].get(name)
    user = s.get(User, user_id) if user_id else None
    return user.username if user else None


def send_case(s: Session, actor: Actor, case: KycCase, client: Client,
              before: dict[str, Any] | None, *, signed_now: bool = False) -> None:
    """`before` is the snapshot taken before the change (None for a new case);
    `signed_now` when this actor just decided the case."""
    if client.external_id is None or (before is not None
                                      and before == snapshot(case, CASE_FIELDS)):
        return
    decided = case.status in DECIDED
    if signed_now:
        decided_by = signer(s, actor)
    elif decided:
        decided_by = signed_before(s, "kyc_case", case.uid, "decided_by", case.decided_by)
    else:
        decided_by = None
    put_record(s, actor, "kyc_case", case.uid,
               0 if before is None else next_base(s, "kyc_case", case.uid, case.server_version),
               {"client_id": client.external_id, "status": case.status.value,
                "enhanced": case.enhanced, "decided_by": decided_by,
                "decided_ms": _ms(case.decided_at) if decided else None,
                "next_review": None if case.next_review is None else
                case.next_review.isoformat(), "notes": case.notes[:10_000]},
               None if before is None else {"table": "kyc_cases", "id": case.id,
                                            "values": before})


def send_document(s: Session, actor: Actor, doc: KycDocument, case: KycCase, client: Client,
                  before: dict[str, Any] | None, *, signed_now: bool = False) -> None:
    if client.external_id is None:
        return
    if signed_now:
        reviewed_by = signer(s, actor)
    elif doc.reviewed_by is not None:
        reviewed_by = signed_before(s, "kyc_document", doc.uid, "reviewed_by",
                                     doc.reviewed_by)
    else:
        reviewed_by = None
    put_record(s, actor, "kyc_document", doc.uid,
               0 if before is None else next_base(s, "kyc_document", doc.uid,
                                                  doc.server_version),
               {"case_id": case.uid, "doc_type": doc.doc_type,
                "issuing_country": doc.issuing_country, "number": doc.number,
                "issue_date": None if doc.issue_date is None else doc.issue_date.isoformat(),
                "expiry_date": None if doc.expiry_date is None else
                doc.expiry_date.isoformat(),
                "status": WIRE_STATUS[doc.status], "reject_reason": doc.reject_reason,
                "file_name": doc.file_name, "mime_type": doc.mime_type, "sha256": doc.sha256,
                "size": doc.size, "reviewed_by": reviewed_by},
               # A refused record never removes the scan itself: only a review is put back.
               None if before is None else {"table": "kyc_documents", "id": doc.id,
                                            "values": before})


def client_changed(s: Session, actor: Actor, client: Client, before: dict[str, Any]) -> None:
    """After KYC changed a client's status or risk rating: bump its version (an open
    edit form is now stale) and send the profile once."""
    old = {k: v for k, v in before.items() if _column(getattr(client, k)) != v}
    if not old:
        return
    client.version += 1
    if client.external_id is None:
        return
    # queue_client_changes bases the profile on profile_version; while an earlier profile
    # edit still waits (KYC makes several in a row: pending, rated, verified), base this
    # one on the version that edit will make. The stored version itself is left alone.
    stored = client.profile_version
    client.profile_version = next_base(s, "client_profile", client.external_id, stored)
    try:
        queue_client_changes(s, actor, client, old)
    finally:
        client.profile_version = stored
