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
    # The trading account agent commission is paid into (a balance operation).
    payout_account_id: Mapped[int | None] = mapped_column(ForeignKey("trading_accounts.id"))


class PartnerMove(Base):
    """A change of parent in the tree, effective from a date (history is never rewritten)."""

    __tablename__ = "partner_moves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str | None] = mapped_column(String(36), unique=True)
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
    uid: Mapped[str | None] = mapped_column(String(36), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("commission_plans.id"), nullable=False)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), nullable=False)
    client_group: Mapped[str] = mapped_column(String(64), nullable=False, default="*")
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)

    __table_args__ = (Index("ix_plan_assignments_partner", "partner_id", "effective_from"),)


class PlanVersion(Base):
    """The rules of a plan from a date on. A change adds a version; deals before its
    date keep the rules they were accrued under."""

    __tablename__ = "commission_plan_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    plan_id: Mapped[int] = mapped_column(ForeignKey("commission_plans.id"), nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    rules: Mapped[JSONDict] = mapped_column(JSON, nullable=False, default=dict)
    tier_shares_bp: Mapped[JSONDict] = mapped_column(JSON, nullable=False, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("plan_id", "effective_from"),)


class CommissionAccrual(Base):
    """What one deal earned one beneficiary. Exact amounts are in millionths of the
    minor unit; `amount_minor` is rounded with the beneficiary's carried residue, and
    `residue_micro` is what it carries on after this accrual."""

    __tablename__ = "commission_accruals"

    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    client_id: Mapped[int] = mapped_column(Integer, nullable=False)
    plan_id: Mapped[int] = mapped_column(ForeignKey("commission_plans.id"), nullable=False)
    tier: Mapped[int] = mapped_column(Integer, nullable=False)  # 0: the client's own partner
    rule: Mapped[str] = mapped_column(String(64), nullable=False)
    exact_micro: Mapped[int] = mapped_column(BigInteger, nullable=False)
    revenue_micro: Mapped[int] = mapped_column(BigInteger, nullable=False)  # of exact_micro
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    residue_micro: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(5), nullable=False)
    time_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"))

    __table_args__ = (
        Index("ix_commission_accruals_partner_time", "partner_id", "time_ms"),
        # Ordered by tier and currency, the sums per tier stream without sorting every
        # accrual (the dashboard's partner performance by tier).
        Index("ix_commission_accruals_tier", "tier", "currency", "time_ms", "amount_minor",
              "client_id"),
        {"sqlite_with_rowid": False},
    )


class CommissionCarry(Base):
    """The sub-cent residue each beneficiary carries to its next accrual."""

    __tablename__ = "commission_carry"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(5), primary_key=True)
    residue_micro: Mapped[int] = mapped_column(BigInteger, nullable=False)


class CpaAward(Base):
    """A referred client who qualified for a CPA: paid once, clawed back once."""

    __tablename__ = "commission_cpa_awards"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), nullable=False)
    plan_id: Mapped[int] = mapped_column(ForeignKey("commission_plans.id"), nullable=False)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), nullable=False)
    clawback_deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"))


class RunStatus(enum.StrEnum):
    PROPOSED = "proposed"
    DECIDED = "decided"


class CommissionRun(Versioned, Base):
    """A period's payout run: who prepared it, over which deals."""

    __tablename__ = "commission_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    prepared_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus, "run_status"))


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
    run_id: Mapped[int | None] = mapped_column(ForeignKey("commission_runs.id"), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(300), nullable=False, default="",
                                        server_default="")
