"""Double-entry client-money ledger: accounts, journal entries and their postings.

A posting's amount is signed minor units: debit positive, credit negative. An
entry is valid only when its postings sum to zero per currency.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UtcDateTime, str_enum, utcnow


class LedgerKind(enum.StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[LedgerKind] = mapped_column(str_enum(LedgerKind, "ledger_kind"))
    currency: Mapped[str] = mapped_column(String(5), nullable=False)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    trading_account_id: Mapped[int | None] = mapped_column(ForeignKey("trading_accounts.id"))
    provider: Mapped[str] = mapped_column(String(64), nullable=False, default="")


class JournalEntry(Base):
    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    memo: Mapped[str] = mapped_column(String(300), nullable=False)
    # What produced the entry (a deal, a payment, a payout): posting is idempotent on it.
    source_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    source_ref: Mapped[str] = mapped_column(String(64), nullable=False)
    reverses_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    # Why a person made it (a reversal or correction); empty for automatic postings.
    reason: Mapped[str] = mapped_column(String(300), nullable=False, default="",
                                        server_default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (UniqueConstraint("source_kind", "source_ref"),)


class Posting(Base):
    __tablename__ = "postings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), nullable=False)
    ledger_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(5), nullable=False)

    __table_args__ = (
        # Covering index: an account's balance is a sum read from the index alone.
        Index("ix_postings_account_amount", "ledger_account_id", "amount_minor"),
        Index("ix_postings_entry", "entry_id"),
    )
