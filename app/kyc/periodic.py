"""Periodic review and document expiry: when each client is reviewed again, the queue of
reviews due, documents about to expire, and the sweep that marks expired ones."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, func, select

from app import audit
from app.kyc import records
from app.kyc.cases import load
from app.kyc.requirements import DOC_TYPES, requirement_of
from app.kyc.settings import RiskSettings
from app.kyc.settings import load as load_settings
from app.models.crm import Client, RiskRating
from app.models.kyc import DocumentStatus, KycCase, KycDocument, KycStatus
from app.roles import Permission, require
from app.services.workspace import Desk

LIVE = (DocumentStatus.NEW, DocumentStatus.APPROVED)


def add_months(day: date, months: int) -> date:
    """29 Feb + 12 months is 28 Feb: the last day of a shorter month."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_review_date(decided_on: date, rating: RiskRating, settings: RiskSettings) -> date:
    # An unrated client is reviewed as often as a high-risk one, never less.
    key = rating.value if rating is not RiskRating.UNRATED else "high"
    return add_months(decided_on, settings.review_months[key])


@dataclass(frozen=True)
class ReviewDue:
    case_id: int
    client_id: int
    client_name: str
    risk_rating: RiskRating
    next_review: date
    days_overdue: int  # negative: due in that many days


def review_queue(desk: Desk, on: date | None = None, within_days: int = 0) -> list[ReviewDue]:
    """Clients whose approved KYC is due for its periodic review by `on` (+ a horizon)."""
    require(desk.actor, Permission.VIEW)
    on = on or date.today()
    newest = select(KycCase.client_id, func.max(KycCase.id).label("id")).group_by(
        KycCase.client_id).subquery()
    with desk.store.read() as s:
        rows = s.execute(
            select(KycCase.id, Client.id, Client.display_name, Client.risk_rating,
                   KycCase.next_review)
            .join(newest, newest.c.id == KycCase.id).join(Client, Client.id == KycCase.client_id)
            .where(KycCase.status == KycStatus.APPROVED, KycCase.next_review.is_not(None),
                   KycCase.next_review <= on + timedelta(days=within_days))
            .order_by(KycCase.next_review, Client.search_name)).all()
    return [ReviewDue(cid, client, name, rating, due, (on - due).days)
            for cid, client, name, rating, due in rows if due is not None]


@dataclass(frozen=True)
class ExpiringDocument:
    document_id: int
    case_id: int
    client_id: int
    client_name: str
    doc_label: str
    requirement: str
    expiry_date: date
    days_left: int  # negative once expired


def _documents(desk: Desk, where: list[ColumnElement[bool]], today: date, *,
               skip_covered: bool) -> list[ExpiringDocument]:
    with desk.store.read() as s:
        rows = s.execute(
            select(KycDocument.id, KycCase.id, Client.id, Client.display_name,
                   KycDocument.doc_type, KycDocument.requirement, KycDocument.expiry_date)
            .join(KycCase, KycCase.id == KycDocument.case_id)
            .join(Client, Client.id == KycCase.client_id)
            .where(KycDocument.status.in_(LIVE), *where)
            .order_by(KycDocument.expiry_date, Client.search_name)).all()
        clients = {r[2] for r in rows}
        # A document already replaced by a later-expiring approved one needs no chasing.
        cover: dict[tuple[int, str], date] = {}
        if clients and skip_covered:
            approved = s.execute(
                select(KycCase.client_id, KycDocument.requirement, KycDocument.doc_type,
                       KycDocument.expiry_date)
                .join(KycCase, KycCase.id == KycDocument.case_id)
                .where(KycCase.client_id.in_(clients),
                       KycDocument.status == DocumentStatus.APPROVED)).all()
            for cid, req, dtype, expiry in approved:
                key = (cid, str(requirement_of(req, dtype)))
                cover[key] = max(cover.get(key, date.min), expiry or date.max)
    out = []
    for doc, case, cid, name, dtype, req, expiry in rows:
        requirement = str(requirement_of(req, dtype))
        if expiry is None or cover.get((cid, requirement), date.min) > expiry:
            continue
        label = DOC_TYPES[dtype].label if dtype in DOC_TYPES else dtype
        out.append(ExpiringDocument(doc, case, cid, name, label, requirement, expiry,
                                    (expiry - today).days))
    return out


def expiring_documents(desk: Desk, within_days: int | None = None,
                       today: date | None = None) -> list[ExpiringDocument]:
    """Documents that expire within N days (the setting when not given), soonest first."""
    require(desk.actor, Permission.VIEW)
    today = today or date.today()
    if within_days is None:
        with desk.store.read() as s:
            within_days = load_settings(s).expiry_warning_days
    return _documents(desk, [KycCase.status != KycStatus.REJECTED,
                             KycDocument.expiry_date >= today,
                             KycDocument.expiry_date <= today + timedelta(days=within_days)],
                      today, skip_covered=True)


def sweep_expired(desk: Desk, today: date | None = None) -> list[ExpiringDocument]:
    """Mark documents past their expiry date `expired`; returns what was marked. Any desk
    user may run it: it records a fact, not a judgement."""
    require(desk.actor, Permission.VIEW)
    today = today or date.today()
    due = _documents(desk, [KycDocument.expiry_date < today], today, skip_covered=False)
    with desk.store.write() as s:
        for item in due:
            doc = s.get(KycDocument, item.document_id)
            if doc is None or doc.status not in LIVE:
                continue  # decided meanwhile
            case, client = load(s, doc.case_id)
            before = records.snapshot(doc, records.DOCUMENT_FIELDS)
            doc.status = DocumentStatus.EXPIRED
            audit.record(s, desk.actor, "kyc_document.expire", "kyc_document", doc.id,
                         before={"status": before["status"]},
                         after={"status": doc.status, "expiry_date": doc.expiry_date})
            records.send_document(s, desk.actor, doc, case, client, before)
    return due
