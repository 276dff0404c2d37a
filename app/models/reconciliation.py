"""Reconciliation: runs, the breaks they find, and provider statements to match against.

A break is identified by a stable key (what is out of line: an account, a payment, a
provider line) and its signature (the figures). A run that finds the same break
again updates it; a break resolved with a reason stays resolved while its figures
do not change, and comes back as a new exception when they do.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UtcDateTime, str_enum, utcnow


class BreakKind(enum.StrEnum):
    MISSING_ON_PLATFORM = "missing_on_platform"  # provider/payment moved money, platform did not
    MISSING_AT_PROVIDER = "missing_at_provider"  # completed payment absent from the statement
    AMOUNT_MISMATCH = "amount_mismatch"
    DUPLICATE = "duplicate"
    ORPHAN_PROVIDER = "orphan_provider"  # a provider line no payment explains
    ORPHAN_PLATFORM = "orphan_platform"  # a platform payment deal no payment explains
    BALANCE_DRIFT = "balance_drift"  # ledger and platform balance differ, unexplained
    LEDGER_WAITING = "ledger_waiting"  # deals the ledger cannot post yet


class BreakStatus(enum.StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"


class ReconRun(Base):
    __tablename__ = "recon_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    trigger: Mapped[str] = mapped_column(String(20), nullable=False)  # on_demand, after_sync
    run_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accounts_checked: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    payments_checked: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    lines_checked: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    breaks_found: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    breaks_new: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ReconException(Base):
    __tablename__ = "recon_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[BreakKind] = mapped_column(str_enum(BreakKind, "break_kind"))
    key: Mapped[str] = mapped_column(String(160), nullable=False)
    signature: Mapped[str] = mapped_column(String(160), nullable=False)
    summary: Mapped[str] = mapped_column(String(300), nullable=False)
    currency: Mapped[str] = mapped_column(String(5), nullable=False, default="")
    difference_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    # Each side's records as they were when the break was last seen (None: no record).
    ledger_side: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    platform_side: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    provider_side: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[BreakStatus] = mapped_column(str_enum(BreakStatus, "break_status"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    first_run_id: Mapped[int] = mapped_column(ForeignKey("recon_runs.id"), nullable=False)
    last_run_id: Mapped[int] = mapped_column(ForeignKey("recon_runs.id"), nullable=False)
    # Set when a run no longer finds the break (it cleared by itself, e.g. a late sync).
    cleared_run_id: Mapped[int | None] = mapped_column(ForeignKey("recon_runs.id"))
    resolution: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("key", "signature"),
        Index("ix_recon_exceptions_status", "status", "kind"),
    )


class ProviderStatement(Base):
    """One imported provider statement file (refused if the same file comes again)."""

    __tablename__ = "provider_statements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(64), nullable=False)
    file_name: Mapped[str] = mapped_column(String(260), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    period_from: Mapped[date | None] = mapped_column(Date)
    period_to: Mapped[date | None] = mapped_column(Date)
    lines: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class ProviderLine(Base):
    """A transaction as the payment provider reports it."""

    __tablename__ = "provider_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("provider_statements.id"),
                                              nullable=False)
    provider: Mapped[str] = mapped_column(String(64), nullable=False)
    provider_ref: Mapped[str] = mapped_column(String(128), nullable=False)
    direction: Mapped[str] = mapped_column(String(12), nullable=False)  # deposit, withdrawal
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    fee_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    currency: Mapped[str] = mapped_column(String(5), nullable=False)
    value_date: Mapped[date] = mapped_column(Date, nullable=False)
    # How many times the provider listed this transaction in one statement: more than
    # once is a duplicate at the provider (overlapping statements keep the highest).
    copies: Mapped[int] = mapped_column(Integer, nullable=False, default=1,
                                        server_default="1")

    __table_args__ = (
        # The same transaction in two overlapping statements is one line.
        UniqueConstraint("provider", "provider_ref", "status"),
        Index("ix_provider_lines_statement", "statement_id"),
    )
