"""KYC: cases, documents (bytes inside the encrypted store), checks and screening hits."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text
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


class KycDocument(Versioned, Base):
    __tablename__ = "kyc_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    case_id: Mapped[int] = mapped_column(ForeignKey("kyc_cases.id"), nullable=False, index=True)
    doc_type: Mapped[str] = mapped_column(String(40), nullable=False)
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

    __table_args__ = (Index("ix_screening_hits_client", "client_id", "status"),)
