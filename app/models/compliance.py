"""Compliance: monitoring alerts, investigation cases, and four-eyes approvals."""

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
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import JSON, Base, JSONDict, UtcDateTime, Versioned, str_enum, utcnow


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    IN_CASE = "in_case"
    CLOSED = "closed"


class Alert(Versioned, Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    rule: Mapped[str] = mapped_column(String(64), nullable=False)
    severity: Mapped[Severity] = mapped_column(str_enum(Severity, "severity"))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    status: Mapped[AlertStatus] = mapped_column(str_enum(AlertStatus, "alert_status"))
    summary: Mapped[str] = mapped_column(String(500), nullable=False)
    evidence: Mapped[JSONDict] = mapped_column(JSON, nullable=False, default=dict)
    # What the rule saw (rule, client and the anchoring records): the same activity
    # raises one alert however often the rules run, on any desk.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # By when compliance should have looked at it (raised + the rule's days to review).
    due_date: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_alerts_status", "status", "created_at"),
                      Index("ix_alerts_client", "client_id", "created_at"))


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    CLOSED = "closed"


class ComplianceCase(Versioned, Base):
    __tablename__ = "compliance_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, "case_status"))
    outcome: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    outcome_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_date: Mapped[date | None] = mapped_column(Date)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A confirmed case stopped this client's withdrawals (clients.frozen).
    froze_withdrawals: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                    server_default="0")

    __table_args__ = (Index("ix_compliance_cases_status", "status", "due_date"),)


class CaseNote(Base):
    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    case_id: Mapped[int] = mapped_column(ForeignKey("compliance_cases.id"), nullable=False,
                                         index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class CaseAttachment(Base):
    """A file attached to a case; its bytes live in the encrypted store, apart."""

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    case_id: Mapped[int] = mapped_column(ForeignKey("compliance_cases.id"), nullable=False,
                                         index=True)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    mime_type: Mapped[str] = mapped_column(String(100), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class CaseAttachmentContent(Base):
    __tablename__ = "case_attachment_contents"

    attachment_id: Mapped[int] = mapped_column(ForeignKey("case_attachments.id"),
                                               primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class MonitoringRule(Base):
    """A monitoring rule's settings; what it looks for is code (app.monitoring)."""

    __tablename__ = "monitoring_rules"

    rule: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    severity: Mapped[Severity] = mapped_column(str_enum(Severity, "severity"))
    thresholds: Mapped[JSONDict] = mapped_column(JSON, nullable=False, default=dict)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class MonitoringRun(Base):
    __tablename__ = "monitoring_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(20), nullable=False)  # on_demand, after_sync
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The activity looked at: from and to (epoch ms of payments and deals).
    from_ms: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    to_ms: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    clients_checked: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    alerts_raised: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    by_rule: Mapped[JSONDict] = mapped_column(JSON, nullable=False, default=dict)


class CaseAlert(Base):
    __tablename__ = "case_alerts"

    case_id: Mapped[int] = mapped_column(ForeignKey("compliance_cases.id"), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), primary_key=True)

    # Which case holds an alert, and the foreign-key check when an alert is removed.
    __table_args__ = (Index("ix_case_alerts_alert", "alert_id"),)


class ApprovalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Approval(Versioned, Base):
    """A maker-checker request: prepared by one person, decided by another."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)  # withdrawal, kyc, payout…
    entity: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_ref: Mapped[str] = mapped_column(String(64), nullable=False)
    prepared_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[ApprovalStatus] = mapped_column(str_enum(ApprovalStatus, "approval_status"))
    reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")

    __table_args__ = (Index("ix_approvals_entity", "entity", "entity_ref"),)
