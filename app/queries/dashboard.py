"""Headline figures for the dashboard, each one SQL aggregate over an index."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session


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
