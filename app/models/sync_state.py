"""Sync bookkeeping: pull cursors, stream position, and the outbox of commands."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import JSON, Base, JSONDict, UtcDateTime, str_enum, utcnow


class SyncCursor(Base):
    __tablename__ = "sync_cursors"

    feed: Mapped[str] = mapped_column(String(40), primary_key=True)
    cursor: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    last_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    # The gateway history the cursor and seq belong to (see the contract's epoch).
    epoch: Mapped[str] = mapped_column(String(64), nullable=False, default="",
                                       server_default="")
    # A first (or repeated) full pull is under way with the deal indexes set aside.
    bulk: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                       server_default="0")


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DONE = "done"
    REJECTED = "rejected"
    CONFLICT = "conflict"
    DISCARDED = "discarded"


class OutboxCommand(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_seq: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    payload: Mapped[JSONDict] = mapped_column(JSON, nullable=False)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus, "outbox_status"))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[int | None] = mapped_column(Integer)
    # What the command is about, for the Sync view ("client", "42").
    entity: Mapped[str] = mapped_column(String(40), nullable=False, default="",
                                        server_default="")
    entity_ref: Mapped[str] = mapped_column(String(64), nullable=False, default="",
                                            server_default="")
    # The local values the command changed, to put back if the gateway refuses it.
    revert: Mapped[JSONDict | None] = mapped_column(JSON)
    # On a conflict: the record as the gateway has it, shown beside ours.
    conflict: Mapped[JSONDict | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_outbox_status", "status", "device_seq"),)


class SyncError(Base):
    """Something the sync could not take, in words a clerk understands."""

    __tablename__ = "sync_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    source: Mapped[str] = mapped_column(String(20), nullable=False)  # pull, stream, push
    kind: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    record_id: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    message: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (Index("ix_sync_errors_at", "at"),)


class SharedRecord(Base):
    """Every shared back office record as the gateway last sent it, whatever its kind.

    Kinds with a typed table (notes, KYC cases, approvals, ...) are also applied there;
    keeping the raw record means a kind this version cannot show yet is not lost.
    """

    __tablename__ = "shared_records"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    data: Mapped[JSONDict | None] = mapped_column(JSON)


class MirrorTombstone(Base):
    """The version at which a mirror record was deleted, so an older copy of it that
    arrives late (a replayed stream frame) cannot bring it back."""

    __tablename__ = "mirror_tombstones"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)
