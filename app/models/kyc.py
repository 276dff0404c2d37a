"""KYC: cases, documents (bytes inside the encrypted store), checks and screening hits."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import JSON, Base, JSONDict, UtcDateTime, Versioned, str_enum, utcnow


class KycStatus(enum.StrEnum):
    OPEN = "open"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    EDD = "edd"


class DocumentStatus(enum.StrEnum):
    NEW = "new"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class KycCase(Versioned, Base):
    __tablename__ = "kyc_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), nullable=False, index=True)
    status: Mapped[KycStatus] = mapped_column(str_enum(KycStatus, "kyc_status"))
    enhanced: Mapped[bool] = mapped_column(nullable=False, default=False)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_review: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The last rating and the factors that produced it, as shown to the reviewer.
    risk_factors: Mapped[JSONDict] = mapped_column(JSON, nullable=False, default=dict,
                                                   server_default="{}")
    rated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    edd_reason: Mapped[str] = mapped_column(String(500), nullable=False, default="",
                                            server_default="")

    __table_args__ = (
        # A client's first approval and first case, for onboarding throughput.
        Index("ix_kyc_cases_progress", "client_id", "status", "decided_at", "created_at"),
        # Approved cases by next review date: the overdue reviews of the exception queue.
        Index("ix_kyc_cases_review", "status", "next_review"),
    )


class KycDocument(Versioned, Base):
    __tablename__ = "kyc_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    case_id: Mapped[int] = mapped_column(ForeignKey("kyc_cases.id"), nullable=False, index=True)
    doc_type: Mapped[str] = mapped_column(String(40), nullable=False)
    # Which requirement of the case it answers (identity, proof_of_address, selfie, ...).
    requirement: Mapped[str] = mapped_column(String(40), nullable=False, default="",
                                             server_default="")
    issuing_country: Mapped[str] = mapped_column(String(2), nullable=False, default="")
    number: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    issue_date: Mapped[date | None] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[DocumentStatus] = mapped_column(str_enum(DocumentStatus, "document_status"))
    reject_reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    mime_type: Mapped[str] = mapped_column(String(100), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DocumentContent(Base):
    """The file itself, kept apart so listing documents never loads their bytes."""

    __tablename__ = "document_contents"

    document_id: Mapped[int] = mapped_column(ForeignKey("kyc_documents.id"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class KycCheck(Base):
    __tablename__ = "kyc_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("kyc_cases.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)  # identity, address, pep…
    result: Mapped[str] = mapped_column(String(20), nullable=False)  # pass, fail, refer
    detail: Mapped[JSONDict] = mapped_column(JSON, nullable=False, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class HitStatus(enum.StrEnum):
    OPEN = "open"
    TRUE_MATCH = "true_match"
    FALSE_POSITIVE = "false_positive"


class ScreeningHit(Versioned, Base):
    __tablename__ = "screening_hits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), nullable=False)
    list_name: Mapped[str] = mapped_column(String(40), nullable=False)
    list_version: Mapped[str] = mapped_column(String(40), nullable=False)
    entry_ref: Mapped[str] = mapped_column(String(64), nullable=False)
    matched_name: Mapped[str] = mapped_column(String(300), nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)  # 0..100
    reasons: Mapped[JSONDict] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[HitStatus] = mapped_column(str_enum(HitStatus, "hit_status"))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_screening_hits_client", "client_id", "status"),
                      Index("ix_screening_hits_entry", "client_id", "list_name", "entry_ref"))


class FatfList(enum.StrEnum):
    CALL_FOR_ACTION = "call_for_action"
    INCREASED_MONITORING = "increased_monitoring"


class RiskCountry(Base):
    """A country on one of FATF's public lists; kept as data a compliance officer edits."""

    __tablename__ = "risk_countries"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    fatf_list: Mapped[FatfList] = mapped_column(str_enum(FatfList, "fatf_list"), nullable=False)
    note: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class ListSource(enum.StrEnum):
    OFAC = "ofac"
    UN = "un"
    EU = "eu"
    OPENSANCTIONS = "opensanctions"


class SanctionList(Base):
    """One imported version of a sanctions or PEP list."""

    __tablename__ = "sanction_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[ListSource] = mapped_column(str_enum(ListSource, "list_source"),
                                              nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    version: Mapped[str] = mapped_column(String(40), nullable=False)
    published: Mapped[date | None] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entry_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Of the files as imported: the same files twice are one version.
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    # Only the newest version of each source is screened against.
    active: Mapped[bool] = mapped_column(nullable=False, default=True)

    __table_args__ = (UniqueConstraint("source", "sha256"),)


class SanctionEntry(Base):
    __tablename__ = "sanction_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("sanction_lists.id"), nullable=False)
    ref: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # person, organisation, ...
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    aliases: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    birth_dates: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    countries: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    programs: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    remarks: Mapped[str] = mapped_column(Text, nullable=False, default="")

    __table_args__ = (Index("ix_sanction_entries_list", "list_id", "ref"),)


class ScreeningRun(Base):
    """One screening pass: who or what started it, against which list versions."""

    __tablename__ = "screening_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(20), nullable=False)  # onboarding, ...
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    clients: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    hits: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    lists: Mapped[JSONDict] = mapped_column(JSON, nullable=False, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
