"""Compliance: monitoring alerts, investigation cases, and four-eyes approvals."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import JSON, Base, JSONDict, UtcDateTime, Versioned, str_enum


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

    __table_args__ = (Index("ix_alerts_status", "status", "created_at"),)


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


class CaseAlert(Base):
    __tablename__ = "case_alerts"

    case_id: Mapped[int] = mapped_column(ForeignKey("compliance_cases.id"), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), primary_key=True)


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
