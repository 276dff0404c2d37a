"""Onboarding throughput: the leads created in a period, how far each got by the period's
end (a KYC case opened, verified), and how long verification took.

Every client starts as a lead, so the cohort is the clients created in the period.
Verified means a KYC case approved before the period ended; the days to verify run
from the client's creation to that first approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from app.analytics.scope import ClientFilter, Span

SECONDS_PER_DAY = 86_400

# One probe of the client's KYC cases answers both questions, as of the period's end:
# NULL when no case was opened, -1 when one was but none approved, otherwise the
# seconds from the client's creation to the first approval. A probe per question
# cost a third more.
_COHORT = """
SELECT CAST(julianday(c.created_at) - ? AS INTEGER) / 7,
       (SELECT CASE WHEN count(*) THEN coalesce(max(0, unixepoch(min(
                 CASE WHEN k.status = 'approved' AND k.decided_at < ? THEN k.decided_at END))
                 - unixepoch(c.created_at)), -1) END
        FROM kyc_cases k WHERE k.client_id = c.id AND k.created_at < ?)
FROM clients c
WHERE c.created_at >= ? AND c.created_at < ?"""


@dataclass(frozen=True)
class Onboarding:
    weeks: tuple[date, ...]
    created: tuple[int, ...]    # leads created each week
    verified: tuple[int, ...]   # of those, verified by the period's end
    leads: int
    kyc_started: int
    verified_total: int
    median_days: Decimal | None
    p90_days: Decimal | None

    @property
    def conversion_percent(self) -> Decimal | None:
        """Verified as a share of leads, to one decimal place."""
        if not self.leads:
            return None
        return (Decimal(100 * self.verified_total) / self.leads).quantize(
            Decimal("0.1"), ROUND_HALF_EVEN)

    @property
    def funnel(self) -> tuple[tuple[str, int], ...]:
        return (("Leads created", self.leads), ("KYC started", self.kyc_started),
                ("Verified", self.verified_total))


def _days(seconds: Decimal) -> Decimal:
    return (seconds / SECONDS_PER_DAY).quantize(Decimal("0.1"), ROUND_HALF_EVEN)


def median_days(durations: list[int]) -> Decimal | None:
    """The middle duration (the mean of the two middle ones for an even count), in days.
    `durations` are seconds, sorted."""
    n = len(durations)
    if not n:
        return None
    middle = Decimal(durations[n // 2]) if n % 2 else \
        Decimal(durations[n // 2 - 1] + durations[n // 2]) / 2
    return _days(middle)


def percentile_days(durations: list[int], percent: int) -> Decimal | None:
    """The nearest-rank percentile of sorted durations in seconds: the smallest value at
    or above `percent`% of them, in days."""
    n = len(durations)
    if not n:
        return None
    rank = max(1, -(-percent * n // 100))  # ceil(percent * n / 100)
    return _days(Decimal(durations[rank - 1]))


def read_onboarding(db: Any, span: Span, filters: ClientFilter) -> Onboarding:
    where, params = filters.where("c")
    weeks = span.weeks
    created, verified = [0] * len(weeks), [0] * len(weeks)
    started = 0
    durations: list[int] = []
    end = span.end_text
    for week, took in db.execute(
            _COHORT + where, (span.monday_julian, end, end, span.start_text, end, *params)):
        created[week] += 1
        if took is None:
            continue
        started += 1
        if took >= 0:
            verified[week] += 1
            durations.append(took)
    durations.sort()
    return Onboarding(weeks, tuple(created), tuple(verified), sum(created), started,
                      len(durations), median_days(durations),
                      percentile_days(durations, 90))
