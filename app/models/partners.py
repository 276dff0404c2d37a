"""IB and affiliates: partner tree, commission plans, accruals and payouts."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import JSON, Base, JSONDict, UtcDateTime, Versioned, str_enum, utcnow


class Partner(Versioned, Base):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    referral_code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    currency: Mapped[str] = mapped_column(String(5), nullable=False)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)


class PartnerMove(Base):
    """A change of parent in the tree, effective from a date (history is never rewritten)."""

    __tablename__ = "partner_moves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), nullable=False)
    old_parent_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    new_parent_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class PlanKind(enum.StrEnum):
    PER_LOT = "per_lot"
    SPREAD_SHARE = "spread_share"
    REVENUE_SHARE = "revenue_share"
    CPA = "cpa"
    HYBRID = "hybrid"


class CommissionPlan(Versioned, Base):
    __tablename__ = "commission_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    kind: Mapped[PlanKind] = mapped_column(str_enum(PlanKind, "plan_kind"))
    currency: Mapped[str] = mapped_column(String(5), nullable=False)
    # Rates and conditions as exact decimal strings, e.g. {"per_lot": {"FX": "7.00"}}.
    rules: Mapped[JSONDict] = mapped_column(JSON, nullable=False, default=dict)
    # Share of each upper tier in basis points, e.g. [2000, 1000, 1000].
    tier_shares_bp: Mapped[JSONDict] = mapped_column(JSON, nullable=False, default=dict)


class PlanAssignment(Base):
    __tablename__ = "plan_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("commission_plans.id"), nullable=False)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), nullable=False)
    client_group: Mapped[str] = mapped_column(String(64), nullable=False, default="*")
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)

    __table_args__ = (Index("ix_plan_assignments_partner", "partner_id", "effective_from"),)


class CommissionAccrual(Base):
    __tablename__ = "commission_accruals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), nullable=False)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), nullable=False)
    plan_id: Mapped[int] = mapped_column(ForeignKey("commission_plans.id"), nullable=False)
    tier: Mapped[int] = mapped_column(Integer, nullable=False)
    rule: Mapped[str] = mapped_column(String(64), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(5), nullable=False)
    time_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"))

    __table_args__ = (
        UniqueConstraint("deal_id", "partner_id"),
        Index("ix_commission_accruals_partner_time", "partner_id", "time_ms", "amount_minor"),
    )


class PayoutStatus(enum.StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    SENT = "sent"
    PAID = "paid"
    REJECTED = "rejected"


class Payout(Versioned, Base):
    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(5), nullable=False)
    status: Mapped[PayoutStatus] = mapped_column(str_enum(PayoutStatus, "payout_status"))
    prepared_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
