"""What the payout summary says: the payouts of one commission run, or of every run
whose payout period ends within a period, one line each, with totals per currency and
status and counts by status, for the managers who approve and send them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.errors import NotFound, ValidationFailed
from app.models.partners import PayoutStatus
from app.reports.document import Period

STATUSES = tuple(PayoutStatus)
# A rejected payout pays nothing: totals to pay leave it out.
OWED = tuple(s for s in STATUSES if s is not PayoutStatus.REJECTED)


@dataclass(frozen=True)
class RunInfo:
    id: int
    uid: str
    period: Period
    prepared_by: str
    status: str


@dataclass(frozen=True)
class PayoutLine:
    id: int
    partner_name: str
    partner_code: str
    period_start: date
    period_end: date
    currency: str
    amount: int   # minor units of `currency`
    status: PayoutStatus
    prepared_by: str
    approved_by: str
    reason: str = ""


@dataclass(frozen=True)
class PayoutSummary:
    period: Period
    run: RunInfo | None
    lines: tuple[PayoutLine, ...]

    @property
    def currencies(self) -> list[str]:
        return sorted({x.currency for x in self.lines})

    def total(self, currency: str, statuses: tuple[PayoutStatus, ...] = OWED) -> int:
        return sum(x.amount for x in self.lines
                   if x.currency == currency and x.status in statuses)

    @property
    def counts(self) -> dict[PayoutStatus, int]:
        """Payouts by status, every status listed (zero when none)."""
        out = dict.fromkeys(STATUSES, 0)
        for x in self.lines:
            out[x.status] += 1
        return out


_SELECT = (
    "SELECT p.id, pa.name, pa.referral_code, p.period_start, p.period_end, p.currency,"
    " p.amount_minor, p.status, coalesce(up.full_name, ''), coalesce(ua.full_name, ''),"
    " p.reason FROM payouts p JOIN partners pa ON pa.id = p.partner_id"
    " LEFT JOIN users up ON up.id = p.prepared_by LEFT JOIN users ua ON ua.id = p.approved_by")


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def find_run(db: Any, uid: str) -> RunInfo:
    """A run by its uid, or by the first characters of it when only one run has them."""
    uid = uid.strip()
    rows = db.execute(
        "SELECT r.id, r.uid, r.period_start, r.period_end, coalesce(u.full_name, ''),"
        " r.status FROM commission_runs r LEFT JOIN users u ON u.id = r.prepared_by"
        " WHERE r.uid = ? OR (length(?) >= 4 AND substr(r.uid, 1, length(?)) = ?)"
        " ORDER BY r.uid = ? DESC", (uid, uid, uid, uid, uid)).fetchall()
    if not rows:
        raise NotFound(f"There is no commission run {uid!r}.")
    if len(rows) > 1 and rows[0][1] != uid:
        raise ValidationFailed(f"{uid!r} starts the ids of {len(rows)} commission runs; "
                               "give more of it.", "run")
    rid, full, start, end, who, status = rows[0]
    return RunInfo(int(rid), str(full), Period(_day(start), _day(end)), str(who), str(status))


def _lines(db: Any, where: str, args: tuple[Any, ...]) -> tuple[PayoutLine, ...]:
    lines = [PayoutLine(int(i), str(name), str(code), _day(start), _day(end), cur, int(amount),
                        PayoutStatus(status), str(prepared), str(approved), str(reason or ""))
             for i, name, code, start, end, cur, amount, status, prepared, approved, reason
             in db.execute(f"{_SELECT} WHERE {where}", args)]
    lines.sort(key=lambda x: (x.partner_name.casefold(), x.partner_code, x.period_end, x.id))
    return tuple(lines)


def read_run_payouts(db: Any, run_uid: str) -> PayoutSummary:
    run = find_run(db, run_uid)
    return PayoutSummary(run.period, run, _lines(db, "p.run_id = ?", (run.id,)))


def read_period_payouts(db: Any, period: Period) -> PayoutSummary:
    """Payouts whose payout period ends within `period` (so each counts once)."""
    return PayoutSummary(period, None, _lines(
        db, "p.period_end >= ? AND p.period_end <= ?",
        (period.date_from.isoformat(), period.date_to.isoformat())))
