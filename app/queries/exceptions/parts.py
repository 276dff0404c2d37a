"""Each part's exceptions as queue rows, one indexed query per kind.

The tables are read as they are; the monitoring and case work owns alerts and cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from app.analytics.scope import ClientFilter
from app.kyc.requirements import DOC_TYPES, requirement_of
from app.models.compliance import Alert, AlertStatus, CaseStatus, ComplianceCase
from app.models.crm import Client, ClientStatus
from app.models.kyc import DocumentStatus, KycCase, KycDocument, KycStatus
from app.models.payments import PaymentRequest, PaymentStatus
from app.models.reconciliation import BreakStatus, ReconException
from app.models.sync_state import OutboxCommand, OutboxStatus
from app.models.users import User
from app.money import format_money
from app.queries.exceptions.rows import ExceptionKind, ExceptionRow, Part, RecordRef
from app.reports.recon_data import KIND_LABELS

# Statuses a payment moves through on its own; sitting in one too long means somebody
# (a provider, an approver, the platform) has dropped it.
WAITING = (PaymentStatus.REQUESTED, PaymentStatus.APPROVED, PaymentStatus.PENDING,
           PaymentStatus.PROCESSING)
_DOCUMENT_STATUSES = (DocumentStatus.NEW, DocumentStatus.APPROVED, DocumentStatus.EXPIRED)


def chosen(column: QueryableAttribute[Any], filters: ClientFilter) -> list[
        ColumnElement[bool]]:
    if not filters.active:
        return []
    q = select(Client.id)
    if filters.country is not None:
        q = q.where(Client.country == filters.country)
    if filters.segment is not None:
        q = q.where(Client.segment == filters.segment)
    if filters.manager_id is not None:
        q = q.where(Client.manager_id == filters.manager_id)
    return [column.in_(q)]


def _days(today: date, since: date) -> int:
    return max(0, (today - since).days)


def _ago(days: int) -> str:
    return "today" if days == 0 else f"{days} day{'s' if days != 1 else ''}"


@dataclass(frozen=True)
class Search:
    """What makes records of one part exceptions (the statement, with the columns its
    rows show) and the date each one's age counts from."""

    part: Part
    select: Select[*tuple[Any, ...]]
    since: QueryableAttribute[Any]


def recon_search(filters: ClientFilter) -> Search:
    owner = aliased(User)
    q = (select(ReconException.id, ReconException.kind, ReconException.summary,
                ReconException.status, ReconException.cleared_run_id,
                ReconException.client_id, Client.display_name, owner.full_name,
                ReconException.created_at)
         .outerjoin(Client, Client.id == ReconException.client_id)
         .outerjoin(owner, owner.id == ReconException.owner_id)
         .where(ReconException.status.in_((BreakStatus.OPEN, BreakStatus.INVESTIGATING)),
                *chosen(ReconException.client_id, filters)))
    return Search(Part.RECONCILIATION, q, ReconException.created_at)


def recon_breaks(s: Session, today: date, filters: ClientFilter) -> list[ExceptionRow]:
    rows = s.execute(recon_search(filters).select).all()
    out = []
    for rid, kind, summary, status, cleared, cid, name, who, seen in rows:
        text = f"{KIND_LABELS.get(kind, kind.value)}: {summary}"
        if status is BreakStatus.INVESTIGATING:
            text += " (being investigated)"
        if cleared is not None:
            text += " — no longer found by the latest run; resolve it with a reason"
        out.append(ExceptionRow(ExceptionKind.RECON_BREAK, text, cid, name or "",
                                _days(today, seen.date()), who or "", None,
                                RecordRef("recon_exception", rid)))
    return out


def documents(s: Session, today: date, within_days: int,
              filters: ClientFilter) -> list[ExceptionRow]:
    """Live or expired documents up to `within_days` ahead of their expiry, unless a
    later-expiring approved document of the client answers the same requirement."""
    newer, newer_case = aliased(KycDocument), aliased(KycCase)
    replaced = exists().where(
        newer_case.client_id == KycCase.client_id, newer.case_id == newer_case.id,
        newer.status == DocumentStatus.APPROVED,
        or_(newer.expiry_date.is_(None), newer.expiry_date > KycDocument.expiry_date),
        or_(newer.doc_type == KycDocument.doc_type,
            and_(newer.requirement != "", newer.requirement == KycDocument.requirement)))
    rows = s.execute(
        select(KycDocument.doc_type, KycDocument.requirement, KycDocument.expiry_date,
               KycCase.id, Client.id, Client.display_name)
        .join(KycCase, KycCase.id == KycDocument.case_id)
        .join(Client, Client.id == KycCase.client_id)
        .where(KycDocument.expiry_date <= today + timedelta(days=within_days),
               KycDocument.status.in_(_DOCUMENT_STATUSES),
               KycCase.status != KycStatus.REJECTED, Client.status != ClientStatus.CLOSED,
               ~replaced, *chosen(Client.id, filters))).all()
    covered = _covered(s, {r[4] for r in rows})
    out = []
    for dtype, req, expiry, case, cid, name in rows:
        requirement = str(requirement_of(req, dtype))
        if expiry is None or covered.get((cid, requirement), date.min) > expiry:
            continue
        label = DOC_TYPES[dtype].label if dtype in DOC_TYPES else dtype.replace("_", " ")
        label = label[:1].upper() + label[1:]
        left = (expiry - today).days
        if left < 0:
            kind, text = ExceptionKind.DOCUMENT_EXPIRED, \
                f"{label} expired {_ago(-left)} ago ({expiry:%Y-%m-%d})"
        else:
            kind, text = ExceptionKind.DOCUMENT_EXPIRING, (
                f"{label} expires today" if left == 0 else
                f"{label} expires in {_ago(left)} ({expiry:%Y-%m-%d})")
        out.append(ExceptionRow(kind, text + "; ask the client for a current one", cid, name,
                                _days(today, expiry), "", expiry, RecordRef("kyc_case", case)))
    return out


def _covered(s: Session, clients: set[int]) -> dict[tuple[int, str], date]:
    """The latest expiry among each of these clients' approved documents, per
    requirement: types recorded without a requirement are placed by app.kyc."""
    cover: dict[tuple[int, str], date] = {}
    if not clients:
        return cover
    for cid, req, dtype, expiry in s.execute(
            select(KycCase.client_id, KycDocument.requirement, KycDocument.doc_type,
                   KycDocument.expiry_date)
            .join(KycCase, KycCase.id == KycDocument.case_id)
            .where(KycCase.client_id.in_(clients),
                   KycDocument.status == DocumentStatus.APPROVED)):
        key = (cid, str(requirement_of(req, dtype)))
        cover[key] = max(cover.get(key, date.min), expiry or date.max)
    return cover


def review_search(today: date, filters: ClientFilter) -> Search:
    """Clients whose latest KYC case is approved and past its next review date."""
    later = aliased(KycCase)
    q = (select(KycCase.id, KycCase.next_review, Client.id, Client.display_name,
                Client.risk_rating)
         .join(Client, Client.id == KycCase.client_id)
         .where(KycCase.status == KycStatus.APPROVED, KycCase.next_review < today,
                Client.status != ClientStatus.CLOSED,
                ~exists().where(later.client_id == KycCase.client_id, later.id > KycCase.id),
                *chosen(Client.id, filters)))
    return Search(Part.KYC, q, KycCase.next_review)


def reviews(s: Session, today: date, filters: ClientFilter) -> list[ExceptionRow]:
    rows = s.execute(review_search(today, filters).select).all()
    return [ExceptionRow(ExceptionKind.REVIEW_OVERDUE,
                         f"Periodic KYC review ({rating.value} risk) was due {due:%Y-%m-%d}",
                         cid, name, _days(today, due), "", due, RecordRef("kyc_case", case))
            for case, due, cid, name, rating in rows if due is not None]


def payment_search(now: datetime, hours: int, filters: ClientFilter) -> Search:
    """Payments in a waiting status that nothing has changed for `hours`: a status
    change updates the payment, so its last update is when it entered the status or
    when someone last touched it there (ix_payment_requests_flow covers the search)."""
    q = (select(PaymentRequest.id, PaymentRequest.direction, PaymentRequest.status,
                PaymentRequest.amount_minor, PaymentRequest.currency, PaymentRequest.provider,
                PaymentRequest.updated_at, Client.id, Client.display_name)
         .join(Client, Client.id == PaymentRequest.client_id)
         .where(PaymentRequest.status.in_(WAITING),
                PaymentRequest.updated_at < now - timedelta(hours=hours),
                *chosen(PaymentRequest.client_id, filters)))
    return Search(Part.PAYMENTS, q, PaymentRequest.updated_at)


def stuck_payments(s: Session, now: datetime, hours: int,
                   filters: ClientFilter) -> list[ExceptionRow]:
    rows = s.execute(payment_search(now, hours, filters).select).all()
    out = []
    for pid, direction, status, amount, currency, provider, at, cid, name in rows:
        out.append(ExceptionRow(
            ExceptionKind.PAYMENT_STUCK,
            f"{direction.value.capitalize()} of {format_money(amount, currency)} via "
            f"{provider} unchanged in {status.value.replace('_', ' ')} since "
            f"{at:%Y-%m-%d %H:%M} UTC", cid, name, _days(now.date(), at.date()), "",
            (at + timedelta(hours=hours)).date(), RecordRef("payment", pid)))
    return out


def outbox_search(filters: ClientFilter) -> Search:
    author = aliased(User)
    q = (select(OutboxCommand.id, OutboxCommand.status, OutboxCommand.kind,
                OutboxCommand.entity, OutboxCommand.last_error, OutboxCommand.created_at,
                author.full_name, Client.id, Client.display_name)
         .outerjoin(author, author.id == OutboxCommand.created_by)
         .outerjoin(Client, and_(OutboxCommand.entity == "client",
                                 Client.external_id == OutboxCommand.entity_ref))
         .where(OutboxCommand.status.in_((OutboxStatus.REJECTED, OutboxStatus.CONFLICT)),
                *chosen(Client.id, filters)))
    return Search(Part.SYNC, q, OutboxCommand.created_at)


def outbox(s: Session, today: date, filters: ClientFilter) -> list[ExceptionRow]:
    rows = s.execute(outbox_search(filters).select).all()
    out = []
    for oid, status, command, entity, error, at, who, cid, name in rows:
        about = entity or "record"
        if status is OutboxStatus.CONFLICT:
            kind = ExceptionKind.SYNC_CONFLICT
            text = (f"The gateway changed this {about} too ({command}); choose which "
                    "version to keep")
        else:
            kind = ExceptionKind.COMMAND_REJECTED
            text = f"The gateway refused {command} on this {about}: " + \
                (error.strip() or "no reason given")
        out.append(ExceptionRow(kind, text, cid, name or "", _days(today, at.date()),
                                who or "", None, RecordRef("outbox", oid)))
    return out


def alert_search(today: date, filters: ClientFilter) -> Search:
    q = (select(Alert.id, Alert.severity, Alert.summary, Alert.due_date, Alert.created_at,
                Client.id, Client.display_name)
         .outerjoin(Client, Client.id == Alert.client_id)
         .where(Alert.status == AlertStatus.OPEN, Alert.due_date < today,
                *chosen(Alert.client_id, filters)))
    return Search(Part.COMPLIANCE, q, Alert.created_at)


def alerts(s: Session, today: date, filters: ClientFilter) -> list[ExceptionRow]:
    rows = s.execute(alert_search(today, filters).select).all()
    return [ExceptionRow(ExceptionKind.ALERT_OVERDUE,
                         f"{severity.value.capitalize()} alert not reviewed: {summary}",
                         cid, name or "", _days(today, raised.date()), "", due,
                         RecordRef("alert", aid))
            for aid, severity, summary, due, raised, cid, name in rows]


def case_search(today: date, filters: ClientFilter) -> Search:
    assignee = aliased(User)
    q = (select(ComplianceCase.id, ComplianceCase.title, ComplianceCase.status,
                ComplianceCase.due_date, ComplianceCase.created_at, assignee.full_name,
                Client.id, Client.display_name)
         .outerjoin(Client, Client.id == ComplianceCase.client_id)
         .outerjoin(assignee, assignee.id == ComplianceCase.assignee_id)
         .where(ComplianceCase.status.in_((CaseStatus.OPEN, CaseStatus.INVESTIGATING)),
                ComplianceCase.due_date < today,
                *chosen(ComplianceCase.client_id, filters)))
    return Search(Part.COMPLIANCE, q, ComplianceCase.created_at)


def cases(s: Session, today: date, filters: ClientFilter) -> list[ExceptionRow]:
    rows = s.execute(case_search(today, filters).select).all()
    return [ExceptionRow(ExceptionKind.CASE_OVERDUE,
                         f"Case {status.value}: {title}", cid, name or "",
                         _days(today, opened.date()), who or "", due,
                         RecordRef("compliance_case", case_id))
            for case_id, title, status, due, opened, who, cid, name in rows]
