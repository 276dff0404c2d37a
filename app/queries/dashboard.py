"""The dashboard: headline figures (each one SQL aggregate over an index) and the
management figures of app.analytics for a period and a choice of clients."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.analytics.figures import (
    DashboardFigures,
    FilterChoices,
    read_figures,
    read_filter_choices,
)
from app.analytics.scope import EVERYONE, ClientFilter, Span
from app.roles import Permission, require
from app.services.workspace import Desk

# A quarter: long enough to show a trend, short enough that a week's change shows.
DEFAULT_WEEKS = 12


@dataclass(frozen=True)
class Headlines:
    clients: int
    clients_by_status: dict[str, int]
    trading_accounts: int
    deals_30d: int
    pending_withdrawals: int
    kyc_in_review: int
    open_alerts: int
    pending_outbox: int


def headlines(session: Session) -> Headlines:
    def one(sql: str, **params: object) -> int:
        return int(session.execute(text(sql), params).scalar() or 0)

    by_status = {str(s): int(n) for s, n in session.execute(
        text("SELECT status, count(*) FROM clients GROUP BY status"))}
    since = int((time.time() - 30 * 86400) * 1000)
    return Headlines(
        clients=sum(by_status.values()),
        clients_by_status=by_status,
        trading_accounts=one("SELECT count(*) FROM trading_accounts"),
        deals_30d=one("SELECT count(*) FROM deals WHERE time_ms >= :since", since=since),
        pending_withdrawals=one("SELECT count(*) FROM payment_requests WHERE direction = "
                                "'withdrawal' AND status IN ('requested', 'pending_approval')"),
        kyc_in_review=one("SELECT count(*) FROM kyc_cases WHERE status IN ('open', 'in_review')"),
        open_alerts=one("SELECT count(*) FROM alerts WHERE status = 'open'"),
        pending_outbox=one("SELECT count(*) FROM outbox WHERE status IN ('pending', 'in_flight')"),
    )


def dashboard(desk: Desk, first: date, last: date,
              filters: ClientFilter = EVERYONE) -> DashboardFigures:
    """The dashboard's figures for UTC days first..last and the chosen clients
    (app.analytics)."""
    require(desk.actor, Permission.VIEW)
    return read_figures(desk.store, Span(first, last), filters)


def filter_choices(desk: Desk) -> FilterChoices:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return read_filter_choices(s)


def default_span(today: date | None = None, weeks: int = DEFAULT_WEEKS) -> Span:
    """The dashboard's period until someone picks another: the last `weeks` whole
    weeks and this one so far."""
    today = today or datetime.now(UTC).date()
    return Span(today - timedelta(days=today.weekday() + 7 * weeks), today)
