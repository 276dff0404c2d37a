"""KYC documents by expiry date for the compliance report: those expiring soon, those
expired, and whether a later approved document already renewed each one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.kyc.requirements import DOC_TYPES, requirement_of
from app.models.crm import Client
from app.models.kyc import DocumentStatus, KycCase, KycDocument, KycStatus


@dataclass(frozen=True)
class DocumentLine:
    id: int
    client_id: int
    client_name: str
    label: str
    expiry_date: date
    status: DocumentStatus
    replaced: bool  # a later-expiring approved document answers the same requirement


def read_documents(s: Session, first: date, last: date, *,
                   live_only: bool) -> tuple[DocumentLine, ...]:
    """Documents whose expiry date falls from `first` to `last` (both included)."""
    statuses = [DocumentStatus.NEW, DocumentStatus.APPROVED]
    if not live_only:
        statuses.append(DocumentStatus.EXPIRED)
    rows = s.execute(
        select(KycDocument, KycCase.client_id, Client.display_name)
        .join(KycCase, KycCase.id == KycDocument.case_id)
        .join(Client, Client.id == KycCase.client_id)
        .where(KycDocument.expiry_date >= first, KycDocument.expiry_date <= last,
               KycDocument.status.in_(statuses), KycCase.status != KycStatus.REJECTED)
        .order_by(KycDocument.expiry_date, KycDocument.id)).all()
    clients = {cid for _, cid, _ in rows}
    cover: dict[tuple[int, str], date] = {}
    if clients:
        for cid, req, dtype, expiry in s.execute(
                select(KycCase.client_id, KycDocument.requirement, KycDocument.doc_type,
                       KycDocument.expiry_date).join(KycCase, KycCase.id == KycDocument.case_id)
                .where(KycCase.client_id.in_(clients),
                       KycDocument.status == DocumentStatus.APPROVED)):
            key = (cid, str(requirement_of(req, dtype)))
            cover[key] = max(cover.get(key, date.min), expiry or date.max)
    out = []
    for doc, cid, name in rows:
        assert doc.expiry_date is not None
        replaced = cover.get((cid, str(requirement_of(doc.requirement, doc.doc_type))),
                             date.min) > doc.expiry_date
        if live_only and replaced:
            continue  # nobody needs to chase a document already renewed
        label = DOC_TYPES[doc.doc_type].label if doc.doc_type in DOC_TYPES else doc.doc_type
        out.append(DocumentLine(doc.id, cid, name, label, doc.expiry_date,
                                doc.status, replaced))
    return tuple(out)
