"""CRM: clients, their contacts and tags, notes and tasks."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import JSON, Base, JSONDict, UtcDateTime, Versioned, str_enum, utcnow


class ClientKind(enum.StrEnum):
    PERSON = "person"
    COMPANY = "company"


class ClientStatus(enum.StrEnum):
    LEAD = "lead"
    REGISTERED = "registered"
    KYC_PENDING = "kyc_pending"
    VERIFIED = "verified"
    ACTIVE = "active"
    DORMANT = "dormant"
    CLOSED = "closed"


class RiskRating(enum.StrEnum):
    UNRATED = "unrated"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Client(Versioned, Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The gateway's id for the client once it is known there; unique across desks.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The partner code the client signed up with, as the platform reported it; links
    # the client to a partner as soon as that partner is known here.
    referral_code: Mapped[str] = mapped_column(String(32), nullable=False, default="",
                                               server_default="")
    kind: Mapped[ClientKind] = mapped_column(str_enum(ClientKind, "client_kind"), nullable=False)
    first_name: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    last_name: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    company_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # What lists show and search: "Last, First" or the company name.
    display_name: Mapped[str] = mapped_column(String(260), nullable=False)
    # Lower-cased, accent-free form of the display name for search and sort.
    search_name: Mapped[str] = mapped_column(String(260), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ClientStatus] = mapped_column(
        str_enum(ClientStatus, "client_status"), nullable=False, default=ClientStatus.LEAD
    )
    segment: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    risk_rating: Mapped[RiskRating] = mapped_column(
        str_enum(RiskRating, "risk_rating"), nullable=False, default=RiskRating.UNRATED
    )
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    partner_id: Mapped[int | None] = mapped_column(
        # Partners point at clients too; SQLite takes the cycle, use_alter tells SQLAlchemy.
        ForeignKey("partners.id", use_alter=True)
    )
    closed_reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    # When the relationship ended: retention periods run from here.
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # server_version (from Versioned) follows the platform's client record; the back
    # office fields above travel as a separate shared record with its own version.
    profile_version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0,
                                                 server_default="0")
    # What the risk rating reads (KYC questionnaire answers).
    occupation: Mapped[str] = mapped_column(String(120), nullable=False, default="",
                                            server_default="")
    source_of_funds: Mapped[str] = mapped_column(String(120), nullable=False, default="",
                                                 server_default="")
    # Declared yearly income in US cents; deposits are compared with it.
    declared_income: Mapped[int | None] = mapped_column(BigInteger)
    pep: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                      server_default="0")
    # A confirmed sanctions match: no new accounts and no money out until compliance
    # lifts it.
    frozen: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                         server_default="0")
    frozen_reason: Mapped[str] = mapped_column(String(500), nullable=False, default="",
                                               server_default="")
    screened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_clients_search_name", "search_name", "id"),
        Index("ix_clients_status", "status", "search_name"),
        Index("ix_clients_country", "country", "search_name"),
        Index("ix_clients_email", "email"),
        Index("ix_clients_partner", "partner_id"),
        Index("ix_clients_manager", "manager_id"),
        # The onboarding cohort by creation date, and the dashboard filters, read
        # without touching the (wide) client rows.
        Index("ix_clients_created", "created_at", "segment", "country", "manager_id"),
    )


class ContactKind(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    ADDRESS = "address"


class ClientContact(Base):
    __tablename__ = "client_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), nullable=False, index=True)
    kind: Mapped[ContactKind] = mapped_column(str_enum(ContactKind, "contact_kind"))
    value: Mapped[str] = mapped_column(String(500), nullable=False)
    is_primary: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class ClientTag(Base):
    __tablename__ = "client_tags"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)

    __table_args__ = (Index("ix_client_tags_tag", "tag", "client_id"),)


class ClientDevice(Base):
    """A device the platform saw the client sign in from (its fingerprint, never an
    address or anything it could be traced back with)."""

    __tablename__ = "client_devices"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), primary_key=True)
    device: Mapped[str] = mapped_column(String(64), primary_key=True)

    __table_args__ = (Index("ix_client_devices_device", "device", "client_id"),
                      {"sqlite_with_rowid": False})


class Note(Versioned, Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), nullable=False, index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)


class Task(Versioned, Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    due_date: Mapped[date | None] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ClientSearchTerm(Base):
    """One searchable word of a client (name in several spellings, email, phone digits,
    logins, ID numbers), folded; search is a prefix range over `term`."""

    __tablename__ = "client_search_terms"

    term: Mapped[str] = mapped_column(String(120), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), primary_key=True)

    __table_args__ = (Index("ix_client_search_terms_client", "client_id"),
                      {"sqlite_with_rowid": False})


class SavedFilter(Base):
    __tablename__ = "saved_filters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    definition: Mapped[JSONDict] = mapped_column(JSON, nullable=False, default=dict)
    shared: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    __table_args__ = (UniqueConstraint("owner_id", "name"),)


class Segment(Base):
    """A segment computed from data: `rule` says which clients belong (see app.crm)."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    description: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    rule: Mapped[JSONDict] = mapped_column(JSON, nullable=False, default=dict)


__all__ = [
    "Client", "ClientContact", "ClientDevice", "ClientKind", "ClientSearchTerm",
    "ClientStatus", "ClientTag", "ContactKind", "Note", "RiskRating", "SavedFilter",
    "Segment", "Task", "utcnow",
]
