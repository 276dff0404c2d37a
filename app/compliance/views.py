"""What the Compliance part shows: the alert queue and the case list as SQL listings
(filtered, sorted and paged in the database), one alert's evidence, and a case's card.

Anyone at the desk sees the queue and the cases (what, about whom, how far along);
notes and attachments are for those who work alerts and cases: what compliance
writes about a client must not reach the client's manager (tipping off).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session, aliased

from app.compliance.evidence import evidence_lines
from app.errors import NotFound
from app.models.compliance import (
    Alert,
    AlertStatus,
    CaseAlert,
    CaseAttachment,
    CaseNote,
    CaseStatus,
    ComplianceCase,
    Severity,
)
from app.models.crm import Client
from app.models.users import User
from app.queries.listing import Column, Listing, Row
from app.roles import ROLE_PERMISSIONS, Permission, require
from app.services.workspace import Desk

_client = aliased(Client)
_assignee = aliased(User)
SEVERITY_RANK = case({"high": 3, "medium": 2, "low": 1}, value=Alert.severity, else_=0)


def rule_label(rule: str) -> str:
    return rule.replace("_", " ").capitalize()


def _due_text(due: Any, closed: bool, today: date) -> str:
    if due is None:
        return ""
    day = due if isinstance(due, date) else date.fromisoformat(str(due))
    return f"{day.isoformat()}  overdue" if not closed and day < today else day.isoformat()


@dataclass(frozen=True)
class AlertFilter:
    status: AlertStatus | None = AlertStatus.OPEN  # None: every status
    severity: Severity | None = None
    rule: str | None = None
    client_id: int | None = None
    past_due: bool = False
    today: date = field(default_factory=date.today)


def alert_listing(f: AlertFilter) -> Listing:
    where: list[ColumnElement[bool]] = []
    if f.status is not None:
        where.append(Alert.status == f.status)
    if f.severity is not None:
        where.append(Alert.severity == f.severity)
    if f.rule:
        where.append(Alert.rule == f.rule)
    if f.client_id is not None:
        where.append(Alert.client_id == f.client_id)
    if f.past_due:
        where += [Alert.due_date < f.today, Alert.status == AlertStatus.OPEN]
    return Listing(
        name="alerts",
        columns=(
            Column("Raised", Alert.created_at),
            Column("Severity", SEVERITY_RANK, render=lambda r: str(r[7].value).capitalize()),
            Column("Rule", Alert.rule, render=lambda r: rule_label(str(r[2]))),
            Column("Client", _client.display_name),
            Column("Status", Alert.status),
            Column("Due", Alert.due_date,
                   render=lambda r: _due_text(r[5], r[4] is not AlertStatus.OPEN, f.today)),
            Column("Summary", Alert.summary),
        ),
        extra=(Alert.severity,),
        source=Alert.__table__.outerjoin(_client, _client.id == Alert.client_id),
        key=Alert.id,
        where=tuple(where),
        search=(Alert.rule, Alert.summary),
        folded_search=(_client.search_name,),
        default_descending=True,
    )


_alert_count = (select(func.count()).where(CaseAlert.case_id == ComplianceCase.id)
                .correlate(ComplianceCase).scalar_subquery())


@dataclass(frozen=True)
class CaseFilter:
    statuses: tuple[CaseStatus, ...] = (CaseStatus.OPEN, CaseStatus.INVESTIGATING)  # (): all
    assignee_id: int | None = None
    client_id: int | None = None
    past_due: bool = False
    today: date = field(default_factory=date.today)


def case_listing(f: CaseFilter) -> Listing:
    where: list[ColumnElement[bool]] = []
    if f.statuses:
        where.append(ComplianceCase.status.in_(f.statuses))
    if f.assignee_id is not None:
        where.append(ComplianceCase.assignee_id == f.assignee_id)
    if f.client_id is not None:
        where.append(ComplianceCase.client_id == f.client_id)
    if f.past_due:
        where += [ComplianceCase.due_date < f.today,
                  ComplianceCase.status != CaseStatus.CLOSED]
    return Listing(
        name="cases",
        columns=(
            Column("Opened", ComplianceCase.created_at),
            Column("Title", ComplianceCase.title),
            Column("Client", _client.display_name),
            Column("Status", ComplianceCase.status),
            Column("Assignee", _assignee.full_name),
            Column("Due", ComplianceCase.due_date,
                   render=lambda r: _due_text(r[5], r[3] is CaseStatus.CLOSED, f.today)),
            Column("Alerts", _alert_count, align_right=True),
            Column("Outcome", ComplianceCase.outcome,
                   render=lambda r: str(r[7]).replace("_", " ")),
        ),
        source=ComplianceCase.__table__
        .outerjoin(_client, _client.id == ComplianceCase.client_id)
        .outerjoin(_assignee, _assignee.id == ComplianceCase.assignee_id),
        key=ComplianceCase.id,
        where=tuple(where),
        search=(ComplianceCase.title,),
        folded_search=(_client.search_name,),
        default_descending=True,
    )


@dataclass(frozen=True)
class AlertView:
    id: int
    version: int
    rule: str
    severity: Severity
    status: AlertStatus
    summary: str
    client_id: int | None
    client_name: str
    raised_at: datetime
    due_date: date | None
    evidence: tuple[tuple[str, str], ...]
    case_id: int | None = None
    case_title: str = ""


def _alert_view(s: Session, alert: Alert, reasons: bool) -> AlertView:
    client = None if alert.client_id is None else s.get(Client, alert.client_id)
    found = s.execute(select(ComplianceCase.id, ComplianceCase.title)
                      .join(CaseAlert, CaseAlert.case_id == ComplianceCase.id)
                      .where(CaseAlert.alert_id == alert.id)).first()
    return AlertView(alert.id, alert.version, alert.rule, alert.severity, alert.status,
                     alert.summary, alert.client_id,
                     "" if client is None else client.display_name, alert.created_at,
                     alert.due_date, tuple(evidence_lines(alert.evidence, reasons=reasons)),
                     None if found is None else found[0], "" if found is None else found[1])


def alert_view(desk: Desk, alert_id: int) -> AlertView:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        alert = s.get(Alert, alert_id)
        if alert is None:
            raise NotFound("This alert no longer exists.")
        return _alert_view(s, alert, desk.actor.can(Permission.WORK_ALERTS))


def alert_rules(desk: Desk) -> list[str]:
    """The rules that have raised alerts here, for the filter."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return [str(r) for r in s.scalars(select(Alert.rule).distinct().order_by(Alert.rule))]


@dataclass(frozen=True)
class Person:
    id: int
    name: str


def assignable_users(desk: Desk) -> list[Person]:
    """Active users who may work alerts and cases."""
    require(desk.actor, Permission.VIEW)
    roles = [r for r, perms in ROLE_PERMISSIONS.items() if Permission.WORK_ALERTS in perms]
    with desk.store.read() as s:
        return [Person(u.id, u.full_name) for u in s.scalars(
            select(User).where(User.active.is_(True), User.role.in_(roles))
            .order_by(User.full_name))]


@dataclass(frozen=True)
class NoteLine:
    author: str
    at: datetime
    body: str


@dataclass(frozen=True)
class AttachmentLine:
    id: int
    file_name: str
    mime_type: str
    size: int
    added_by: str
    added_at: datetime


@dataclass(frozen=True)
class CaseCard:
    id: int
    version: int
    title: str
    status: CaseStatus
    outcome: str
    outcome_reason: str
    client_id: int | None
    client_name: str
    client_frozen: bool
    frozen_reason: str
    shared: bool  # the client is known to the gateway (or there is none)
    assignee_id: int | None
    assignee_name: str
    due_date: date | None
    opened_by: str
    opened_at: datetime
    closed_by: str
    closed_at: datetime | None
    froze_withdrawals: bool
    alerts: tuple[AlertView, ...]
    notes: tuple[NoteLine, ...]
    attachments: tuple[AttachmentLine, ...]
    restricted: bool  # notes and attachments withheld from this person

    def overdue(self, today: date | None = None) -> bool:
        return (self.status is not CaseStatus.CLOSED and self.due_date is not None
                and self.due_date < (today or date.today()))


def _name(s: Session, user_id: int | None) -> str:
    user = None if user_id is None else s.get(User, user_id)
    return "" if user is None else user.full_name


def case_card(desk: Desk, case_id: int) -> CaseCard:
    require(desk.actor, Permission.VIEW)
    allowed = desk.actor.can(Permission.WORK_ALERTS)
    with desk.store.read() as s:
        c = s.get(ComplianceCase, case_id)
        if c is None:
            raise NotFound("This compliance case no longer exists.")
        client = None if c.client_id is None else s.get(Client, c.client_id)
        alerts = s.scalars(select(Alert).join(CaseAlert, CaseAlert.alert_id == Alert.id)
                           .where(CaseAlert.case_id == c.id).order_by(Alert.created_at))
        notes: list[NoteLine] = []
        files: list[AttachmentLine] = []
        if allowed:
            notes = [NoteLine(_name(s, n.author_id) or "another desk", n.created_at, n.body)
                     for n in s.scalars(select(CaseNote).where(CaseNote.case_id == c.id)
                                        .order_by(CaseNote.created_at, CaseNote.id))]
            files = [AttachmentLine(a.id, a.file_name, a.mime_type, a.size,
                                    _name(s, a.added_by), a.added_at)
                     for a in s.scalars(select(CaseAttachment).where(
                         CaseAttachment.case_id == c.id).order_by(CaseAttachment.id))]
        return CaseCard(
            # Compliance's reasons are for compliance: a manager could tip the client off.
            c.id, c.version, c.title, c.status, c.outcome, c.outcome_reason if allowed else "",
            c.client_id,
            "" if client is None else client.display_name,
            client is not None and client.frozen, "" if client is None else client.frozen_reason,
            client is None or client.external_id is not None, c.assignee_id,
            _name(s, c.assignee_id), c.due_date, _name(s, c.opened_by), c.created_at,
            _name(s, c.closed_by), c.closed_at, c.froze_withdrawals,
            tuple(_alert_view(s, a, allowed) for a in alerts), tuple(notes), tuple(files),
            not allowed)


def open_alerts_of(desk: Desk, client_id: int | None, limit: int = 500) -> list[AlertView]:
    """Open alerts that could join a case about this client (None: about no client)."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        rows = s.scalars(select(Alert).where(
            Alert.status == AlertStatus.OPEN,
            Alert.client_id.is_(None) if client_id is None else Alert.client_id == client_id)
            .order_by(Alert.created_at.desc()).limit(limit))
        return [_alert_view(s, a, desk.actor.can(Permission.WORK_ALERTS)) for a in rows]


def listing_rows(desk: Desk, listing: Listing, text: str = "") -> list[Row]:
    """Every row of a listing (tests and small exports; views page instead)."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return listing.page(s, text, None, listing.default_descending, 0, 1_000_000)
