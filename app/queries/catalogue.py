"""The listings behind each part's main view."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.models.audit import AuditEntry
from app.models.compliance import Alert
from app.models.crm import Client
from app.models.kyc import KycCase
from app.models.ledger import JournalEntry
from app.models.partners import Partner
from app.models.payments import PaymentRequest
from app.models.sync_state import OutboxCommand, SyncError
from app.models.trading import Deal, TradingAccount
from app.money import format_money
from app.queries.listing import Column, Listing, Row


def money(amount_at: int, currency_at: int) -> Callable[[Row], str]:
    def render(row: Row) -> str:
        return format_money(int(row[amount_at]), str(row[currency_at]))

    return render


CLIENTS = Listing(
    name="clients",
    columns=(
        Column("ID", Client.id, align_right=True),
        Column("Name", Client.search_name, render=lambda r: str(r[7])),
        Column("Status", Client.status),
        Column("Country", Client.country),
        Column("Email", Client.email),
        Column("Segment", Client.segment),
        Column("Risk", Client.risk_rating),
    ),
    extra=(Client.display_name,),
    source=Client.__table__,
    key=Client.id,
    search=(Client.email, Client.phone),
    folded_search=(Client.search_name,),
    default_sort=1,
)

_client = aliased(Client)

PAYMENTS = Listing(
    name="payments",
    columns=(
        Column("Created", PaymentRequest.created_at),
        Column("Client", _client.display_name),
        Column("Type", PaymentRequest.direction),
        Column("Method", PaymentRequest.method),
        Column("Provider", PaymentRequest.provider),
        Column("Amount", PaymentRequest.amount_minor, render=money(5, 7), align_right=True),
        Column("Status", PaymentRequest.status),
    ),
    extra=(PaymentRequest.currency,),
    source=PaymentRequest.__table__.join(_client, _client.id == PaymentRequest.client_id),
    key=PaymentRequest.id,
    search=(PaymentRequest.provider_ref, PaymentRequest.provider, _client.email),
    folded_search=(_client.search_name,),
    default_descending=True,
)

KYC_CASES = Listing(
    name="kyc",
    columns=(
        Column("Client", _client.display_name),
        Column("Status", KycCase.status),
        Column("Enhanced", KycCase.enhanced, render=lambda r: "EDD" if r[2] else ""),
        Column("Decided", KycCase.decided_at),
        Column("Next review", KycCase.next_review),
    ),
    source=KycCase.__table__.join(_client, _client.id == KycCase.client_id),
    key=KycCase.id,
    folded_search=(_client.search_name,),
)

_parent = aliased(Partner)
_referred = (select(func.count()).where(Client.partner_id == Partner.id)
             .correlate(Partner).scalar_subquery())

PARTNERS = Listing(
    name="partners",
    columns=(
        Column("Code", Partner.referral_code),
        Column("Partner", Partner.name),
        Column("Parent", _parent.name),
        Column("Clients referred", _referred, align_right=True),
        Column("Currency", Partner.currency),
    ),
    source=Partner.__table__.outerjoin(_parent, _parent.id == Partner.parent_id),
    key=Partner.id,
    search=(Partner.name, Partner.referral_code),
)

ALERTS = Listing(
    name="alerts",
    columns=(
        Column("Raised", Alert.created_at),
        Column("Rule", Alert.rule),
        Column("Severity", Alert.severity),
        Column("Client", _client.display_name),
        Column("Status", Alert.status),
        Column("Summary", Alert.summary),
    ),
    source=Alert.__table__.outerjoin(_client, _client.id == Alert.client_id),
    key=Alert.id,
    search=(Alert.rule, Alert.summary),
    folded_search=(_client.search_name,),
    default_descending=True,
)

JOURNAL = Listing(
    name="journal",
    columns=(
        Column("Posted", JournalEntry.posted_at),
        Column("Memo", JournalEntry.memo),
        Column("Source", JournalEntry.source_kind),
        Column("Reference", JournalEntry.source_ref),
    ),
    source=JournalEntry.__table__,
    key=JournalEntry.id,
    search=(JournalEntry.memo, JournalEntry.source_ref),
    default_descending=True,
)

AUDIT = Listing(
    name="audit",
    columns=(
        Column("#", AuditEntry.id, align_right=True),
        Column("When (UTC)", AuditEntry.at),
        Column("Who", AuditEntry.actor_name),
        Column("Action", AuditEntry.action),
        Column("Record", AuditEntry.entity, render=lambda r: f"{r[4]} {r[5]}"),
    ),
    extra=(AuditEntry.entity_id,),
    source=AuditEntry.__table__,
    key=AuditEntry.id,
    search=(AuditEntry.actor_name, AuditEntry.action, AuditEntry.entity_id),
    default_descending=True,
)

OUTBOX = Listing(
    name="outbox",
    columns=(
        Column("Seq", OutboxCommand.device_seq, align_right=True),
        Column("Command", OutboxCommand.kind),
        Column("About", OutboxCommand.entity_ref),
        Column("Status", OutboxCommand.status),
        Column("Attempts", OutboxCommand.attempts, align_right=True),
        Column("Last error", OutboxCommand.last_error),
    ),
    source=OutboxCommand.__table__,
    key=OutboxCommand.id,
    search=(OutboxCommand.kind, OutboxCommand.last_error),
)


def client_deals(client_id: int) -> Listing:
    """A client's deal history across their trading accounts, newest first."""
    return Listing(
        name="client_deals",
        columns=(
            Column("Time", Deal.time_ms, render=_ms_time),
            Column("Login", TradingAccount.login),
            Column("Ticket", Deal.ticket),
            Column("Symbol", Deal.symbol),
            Column("Action", Deal.action),
            Column("Entry", Deal.entry),
            Column("Lots", Deal.volume, render=lambda r: f"{int(r[6]) / 100:.2f}",
                   align_right=True),
            Column("Profit", Deal.profit_minor, render=money(7, 8), align_right=True),
        ),
        extra=(TradingAccount.currency,),
        source=Deal.__table__.join(TradingAccount, TradingAccount.id == Deal.account_id),
        key=Deal.id,
        where=(TradingAccount.client_id == client_id,),
        default_descending=True,
        search=(Deal.symbol,),
    )


def _ms_time(row: Row) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(row[0]) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


SYNC_ERRORS = Listing(
    name="sync_errors",
    columns=(
        Column("When", SyncError.at),
        Column("Where", SyncError.source),
        Column("Record", SyncError.kind),
        Column("Id", SyncError.record_id),
        Column("What happened", SyncError.message),
    ),
    source=SyncError.__table__,
    key=SyncError.id,
    search=(SyncError.message, SyncError.record_id),
    default_sort=0,
    default_descending=True,
)
