"""Retention: how long each kind of record is kept, and what the purge removed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import JSON, Base, JSONDict, UtcDateTime, utcnow


class RetentionPolicy(Base):
    __tablename__ = "retention_policies"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Whole years after the relationship (or the record) ended.
    years: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class RetentionPurge(Base):
    """One kind's part of a purge run: how many records went and which (by id)."""

    __tablename__ = "retention_purges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_uid: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    cutoff: Mapped[date] = mapped_column(Date, nullable=False)
    removed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Ids only: what a purge removed must not survive in its own record.
    detail: Mapped[JSONDict] = mapped_column(JSON, nullable=False, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
