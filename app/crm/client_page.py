"""What the client page shows: profile, contacts, trading accounts with their live
state, money movements, KYC cases and documents, partner, notes and tasks.

Each part has its own function (the page can load them separately on the worker);
`client_page` gathers them all in one read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.crm.contacts import ContactRow, list_contacts
from app.crm.tasks import TaskRow, client_tasks
from app.errors import NotFound
from app.models.crm import Client, ClientKind, ClientStatus, ClientTag, Note, RiskRating
from app.models.kyc import DocumentStatus, KycCase, KycDocument, KycStatus
from app.models.partners import Partner
from app.models.payments import PaymentRequest
from app.models.trading import AccountState, Position, TradingAccount
from app.models.users import User
from app.money import from_minor
from app.roles import Permission, require
from app.services.workspace import Desk


@dataclass(frozen=True)
class Profile:
    id: int
    external_id: str | None
    kind: ClientKind
    display_name: str
    first_name: str
    last_name: str
    company_name: str
    email: str
    phone: str
    country: str
    date_of_birth: date | None
    status: ClientStatus
    segment: str
    risk_rating: RiskRating
    manager_id: int | None
    manager_name: str
    partner_id: int | None
    partner_name: str
    partner_code: str
    tags: list[str]
    closed_reason: str
    pep: bool
    frozen: bool
    frozen_reason: str
    occupation: str
    source_of_funds: str
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AccountRow:
    login: int
    platform: str
    group: str
    currency: str
    leverage: int
    status: str
    opened_at: datetime
    # The platform's last reported state; None until the first state arrives.
    balance: Decimal | None
    credit: Decimal | None
    equity: Decimal | None
    margin: Decimal | None
    free_margin: Decimal | None
    margin_level_pct: Decimal | None
    state_at: datetime | None
    open_positions: int


@dataclass(frozen=True)
class PaymentRow:
    id: int
    created_at: datetime
    direction: str
    method: str
    provider: str
    amount: Decimal
    fee: Decimal
    currency: str
    status: str
    login: int | None


@dataclass(frozen=True)
class DocumentRow:
    id: int
    doc_type: str
    requirement: str
    issuing_country: str
    number: str
    issue_date: date | None
    expiry_date: date | None
    status: DocumentStatus
    reject_reason: str
    file_name: str
    size: int
    reviewed_at: datetime | None


@dataclass(frozen=True)
class KycCaseRow:
    id: int
    status: KycStatus
    enhanced: bool
    decided_at: datetime | None
    decided_by: str
    next_review: date | None
    edd_reason: str
    documents: list[DocumentRow]


@dataclass(frozen=True)
class NoteRow:
    id: int
    created_at: datetime
    author: str
    body: str


@dataclass(frozen=True)
class ClientPage:
    profile: Profile
    contacts: list[ContactRow]
    accounts: list[AccountRow]
    payments: list[PaymentRow]  # the newest PAYMENTS_SHOWN
    payments_total: int
    kyc: list[KycCaseRow]
    notes: list[NoteRow]
    tasks: list[TaskRow] = field(default_factory=list)


PAYMENTS_SHOWN = 50


def _profile(s: Session, client_id: int) -> Profile:
    c = s.get(Client, client_id)
    if c is None:
        raise NotFound("This client no longer exists.")
    manager = s.get(User, c.manager_id) if c.manager_id is not None else None
    partner = s.get(Partner, c.partner_id) if c.partner_id is not None else None
    tags = list(s.scalars(select(ClientTag.tag).where(ClientTag.client_id == client_id)
                          .order_by(ClientTag.tag)))
    return Profile(
        c.id, c.external_id, c.kind, c.display_name, c.first_name, c.last_name,
        c.company_name, c.email, c.phone, c.country, c.date_of_birth, c.status, c.segment,
        c.risk_rating, c.manager_id, manager.full_name if manager else "", c.partner_id,
        partner.name if partner else "", partner.referral_code if partner else "", tags,
        c.closed_reason, c.pep, c.frozen, c.frozen_reason, c.occupation, c.source_of_funds,
        c.version, c.created_at, c.updated_at)


def _money(minor: int | None, currency: str) -> Decimal | None:
    return None if minor is None else from_minor(minor, currency)


def _accounts(s: Session, client_id: int) -> list[AccountRow]:
    positions = (select(func.count()).where(Position.account_id == TradingAccount.id)
                 .correlate(TradingAccount).scalar_subquery())
    rows = s.execute(
        select(TradingAccount, AccountState, positions)
        .outerjoin(AccountState, AccountState.account_id == TradingAccount.id)
        .where(TradingAccount.client_id == client_id).order_by(TradingAccount.login))
    out = []
    for a, st, n in rows:
        cur = a.currency
        out.append(AccountRow(
            a.login, a.platform, a.group, cur, a.leverage, a.status.value, a.opened_at,
            _money(st and st.balance_minor, cur), _money(st and st.credit_minor, cur),
            _money(st and st.equity_minor, cur), _money(st and st.margin_minor, cur),
            _money(st and st.free_margin_minor, cur),
            None if st is None or st.margin_level_bp is None
            else Decimal(st.margin_level_bp).scaleb(-2),
            st.updated_at if st else None, int(n)))
    return out


def _payments(s: Session, client_id: int, offset: int, limit: int) -> list[PaymentRow]:
    rows = s.execute(
        select(PaymentRequest, TradingAccount.login)
        .outerjoin(TradingAccount, TradingAccount.id == PaymentRequest.account_id)
        .where(PaymentRequest.client_id == client_id)
        .order_by(PaymentRequest.created_at.desc(), PaymentRequest.id.desc())
        .offset(offset).limit(limit))
    return [PaymentRow(p.id, p.created_at, p.direction.value, p.method.value, p.provider,
                       from_minor(p.amount_minor, p.currency),
                       from_minor(p.fee_minor, p.currency), p.currency, p.status.value, login)
            for p, login in rows]


def _kyc(s: Session, client_id: int) -> list[KycCaseRow]:
    cases = s.execute(select(KycCase, User.full_name)
                      .outerjoin(User, User.id == KycCase.decided_by)
                      .where(KycCase.client_id == client_id)
                      .order_by(KycCase.created_at.desc(), KycCase.id.desc())).all()
    out = []
    for case, decider in cases:
        docs = [DocumentRow(d.id, d.doc_type, d.requirement, d.issuing_country, d.number,
                            d.issue_date, d.expiry_date, d.status, d.reject_reason,
                            d.file_name, d.size, d.reviewed_at)
                for d in s.scalars(select(KycDocument).where(KycDocument.case_id == case.id)
                                   .order_by(KycDocument.id))]
        out.append(KycCaseRow(case.id, case.status, case.enhanced, case.decided_at,
                              decider or "", case.next_review, case.edd_reason, docs))
    return out


def _notes(s: Session, client_id: int) -> list[NoteRow]:
    rows = s.execute(select(Note, User.full_name).outerjoin(User, User.id == Note.author_id)
                     .where(Note.client_id == client_id)
                     .order_by(Note.created_at.desc(), Note.id.desc()))
    return [NoteRow(n.id, n.created_at, author or "", n.body) for n, author in rows]


def client_profile(desk: Desk, client_id: int) -> Profile:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return _profile(s, client_id)


def client_accounts(desk: Desk, client_id: int) -> list[AccountRow]:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return _accounts(s, client_id)


def client_payments(desk: Desk, client_id: int, offset: int = 0,
                    limit: int = PAYMENTS_SHOWN) -> list[PaymentRow]:
    """Money movements, newest first."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return _payments(s, client_id, offset, limit)


def client_kyc(desk: Desk, client_id: int) -> list[KycCaseRow]:
    """KYC cases (newest first) with their documents; read only, without file content."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return _kyc(s, client_id)


def client_notes(desk: Desk, client_id: int) -> list[NoteRow]:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return _notes(s, client_id)


def client_page(desk: Desk, client_id: int) -> ClientPage:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        profile = _profile(s, client_id)
        total = int(s.scalar(select(func.count()).where(
            PaymentRequest.client_id == client_id)) or 0)
        page = ClientPage(profile, [], _accounts(s, client_id),
                          _payments(s, client_id, 0, PAYMENTS_SHOWN), total,
                          _kyc(s, client_id), _notes(s, client_id))
    return ClientPage(page.profile, list_contacts(desk, client_id), page.accounts,
                      page.payments, page.payments_total, page.kyc, page.notes,
                      client_tasks(desk, client_id))
