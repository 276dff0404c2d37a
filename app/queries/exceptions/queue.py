"""The queue: every part's exceptions in one list, the oldest first."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app.analytics.scope import EVERYONE, ClientFilter
from app.queries.exceptions import parts
from app.queries.exceptions.rows import ExceptionRow, Part
from app.queries.exceptions.settings import QueueSettings, queue_settings
from app.roles import Permission, require
from app.services.workspace import Desk


def _part(s: Session, which: Part, now: datetime, settings: QueueSettings,
          filters: ClientFilter) -> list[ExceptionRow]:
    today = now.date()
    if which is Part.RECONCILIATION:
        return parts.recon_breaks(s, today, filters)
    if which is Part.KYC:
        return (parts.documents(s, today, settings.document_days, filters)
                + parts.reviews(s, today, filters))
    if which is Part.PAYMENTS:
        return parts.stuck_payments(s, now, settings.stuck_payment_hours, filters)
    if which is Part.SYNC:
        return parts.outbox(s, today, filters)
    return parts.alerts(s, today, filters) + parts.cases(s, today, filters)


def read_queue(s: Session, *, part: Part | None = None, now: datetime | None = None,
               settings: QueueSettings | None = None,
               filters: ClientFilter = EVERYONE) -> list[ExceptionRow]:
    """The open exceptions (of one part, or all), oldest first; with `filters`, only
    those about the chosen clients."""
    now = now or datetime.now(UTC)
    settings = settings or queue_settings(s)
    rows: list[ExceptionRow] = []
    for which in Part:
        if part is None or part is which:
            rows += _part(s, which, now, settings, filters)
    rows.sort(key=lambda r: (-r.age_days, r.due or now.date(), r.part.value,
                             r.client_name, r.ref.id))
    return rows


def exception_queue(desk: Desk, part: Part | None = None, *, now: datetime | None = None,
                    filters: ClientFilter = EVERYONE) -> list[ExceptionRow]:
    """What waits for somebody across the back office, the oldest first."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return read_queue(s, part=part, now=now, filters=filters)
