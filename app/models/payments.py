"""Payments: deposit and withdrawal requests and their status history."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UtcDateTime, Versioned, str_enum, utcnow


class PaymentDirection(enum.StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"


class PaymentMethod(enum.StrEnum):
    CARD = "card"
    BANK_WIRE = "bank_wire"
    E_WALLET = "e_wallet"
    CRYPTO = "crypto"


class PaymentStatus(enum.StrEnum):
    REQUESTED = "requested"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    REFUNDED = "refunded"
    CHARGED_BACK = "charged_back"


class PaymentRequest(Versioned, Base):
    __tablename__ = "payment_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), nullable=False)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("trading_accounts.id"))
    direction: Mapped[PaymentDirection] = mapped_column(
        str_enum(PaymentDirection, "payment_direction")
    )
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, "payment_method"))
    provider: Mapped[str] = mapped_column(String(64), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(5), nullable=False)
    fee_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus, "payment_status"))
    provider_ref: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    payer_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    payer_account: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The gateway user who asked for it (a desk user, or "" for the client portal):
    # whoever requested a withdrawal may not approve it.
    requested_by_name: Mapped[str] = mapped_column(String(64), nullable=False, default="",
                                                   server_default="")
    # Bank identifier for a wire (BIC); payer_account holds the IBAN, wallet or card.
    bank_code: Mapped[str] = mapped_column(String(16), nullable=False, default="",
                                           server_default="")
    # When the payment's currency is not the trading account's: the amount booked on
    # the account and the rate used (account currency per payment currency, exact text).
    account_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    fx_rate: Mapped[str] = mapped_column(String(32), nullable=False, default="",
                                         server_default="")
    # The platform deal that moved the money (a deposit's credit, a withdrawal's debit).
    ticket: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_payment_requests_client", "client_id", "created_at"),
        Index("ix_payment_requests_status", "status", "created_at"),
        # Completed amounts by completion time, per currency and direction: the money
        # flow of the dashboard, read from the index alone.
        Index("ix_payment_requests_flow", "status", "updated_at", "currency", "direction",
              "amount_minor", "client_id"),
    )


class PaymentStatusChange(Base):
    __tablename__ = "payment_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment_requests.id"), nullable=False)
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus, "payment_status"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(500), nullable=False, default="")

    __table_args__ = (Index("ix_payment_status_changes_payment", "payment_id", "at"),)
