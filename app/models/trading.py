"""Trading-platform mirrors: accounts, their state, positions and deals.

Written only by the sync applier (and the demo loader); never edited by hand.
Prices are exact decimals kept as integers scaled by 10^8; volumes are integer
hundredths of a lot; money is integer minor units of the account's currency.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UtcDateTime, str_enum, utcnow

PRICE_PLACES = 8


class Price(TypeDecorator[Decimal]):
    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value).scaleb(PRICE_PLACES)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"price {value} has more than {PRICE_PLACES} decimal places")
        return int(scaled)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value).scaleb(-PRICE_PLACES)


def price_to_int(value: Decimal | str) -> int:
    return int(Decimal(value).scaleb(PRICE_PLACES))


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    READ_ONLY = "read_only"
    DISABLED = "disabled"
    ARCHIVED = "archived"


class TradingAccount(Base):
    __tablename__ = "trading_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20), nullable=False)
    login: Mapped[int] = mapped_column(BigInteger, nullable=False)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    group: Mapped[str] = mapped_column(String(64), nullable=False)
    currency: Mapped[str] = mapped_column(String(5), nullable=False)
    leverage: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[AccountStatus] = mapped_column(str_enum(AccountStatus, "account_status"))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    server_version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

    __table_args__ = (
        UniqueConstraint("platform", "login"),
        Index("ix_trading_accounts_client", "client_id"),
    )


class AccountState(Base):
    """Balance, credit, equity and margin as the platform last reported them."""

    __tablename__ = "account_states"

    account_id: Mapped[int] = mapped_column(ForeignKey("trading_accounts.id"), primary_key=True)
    balance_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    credit_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    equity_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    margin_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    free_margin_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Margin level in basis points (equity / margin x 10,000); null with no margin used.
    margin_level_bp: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    server_version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class Side(enum.StrEnum):
    BUY = "buy"
    SELL = "sell"


class Position(Base):
    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20), nullable=False)
    position_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("trading_accounts.id"), nullable=False)
    symbol: Mapped[str] = mapped_column(String(32), nullable=False)
    side: Mapped[Side] = mapped_column(str_enum(Side, "side"), nullable=False)
    volume: Mapped[int] = mapped_column(BigInteger, nullable=False)  # hundredths of a lot
    open_price: Mapped[Decimal] = mapped_column(Price, nullable=False)
    current_price: Mapped[Decimal] = mapped_column(Price, nullable=False)
    profit_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    swap_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    opened_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    server_version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

    __table_args__ = (
        UniqueConstraint("platform", "position_id"),
        Index("ix_positions_account", "account_id"),
    )


class DealAction(enum.StrEnum):
    BUY = "buy"
    SELL = "sell"
    BALANCE = "balance"
    CREDIT = "credit"
    CHARGE = "charge"
    CORRECTION = "correction"
    BONUS = "bonus"
    COMMISSION = "commission"
    AGENT = "agent"


class DealEntry(enum.StrEnum):
    IN = "in"
    OUT = "out"
    INOUT = "inout"
    NONE = "none"  # balance operations have no entry direction


class Deal(Base):
    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20), nullable=False)
    ticket: Mapped[int] = mapped_column(BigInteger, nullable=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("trading_accounts.id"), nullable=False)
    symbol: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    action: Mapped[DealAction] = mapped_column(str_enum(DealAction, "deal_action"))
    entry: Mapped[DealEntry] = mapped_column(str_enum(DealEntry, "deal_entry"))
    volume: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    price: Mapped[Decimal] = mapped_column(Price, nullable=False, default=Decimal(0))
    profit_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    commission_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    swap_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    fee_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    position_id: Mapped[int | None] = mapped_column(BigInteger)
    time_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    comment: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    server_version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

    __table_args__ = (
        UniqueConstraint("platform", "ticket"),
        # Covers the client history page (account, newest first) without touching rows
        # for the sort, and the per-account money sums.
        Index("ix_deals_account_time", "account_id", "time_ms"),
        # Time first for the period sums; the rest covers the dashboard's trading
        # activity (app.analytics.trading), so a week of deals is read from the index
        # alone. Widened rather than added: each index on deals slows sync's ingest.
        Index("ix_deals_time", "time_ms", "action", "account_id", "entry", "volume"),
    )


class Quote(Base):
    """The latest bid and ask per symbol, from the live stream."""

    __tablename__ = "quotes"

    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    bid: Mapped[Decimal] = mapped_column(Price, nullable=False)
    ask: Mapped[Decimal] = mapped_column(Price, nullable=False)
    time_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
