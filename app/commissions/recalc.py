"""Recalculating accruals from a date: the same deals give the same accruals.

Everything from the first deal on that server date is taken back (accruals, CPA
awards, carried residues) and accrued again, up to where accrual had reached. The
ledger gets one entry, dated now, with the difference per partner, so it always
holds what the accruals say. Commission already in a payout is settled money: a recalculation that
would reach it is refused.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.commissions.accrue import accrue_new_deals, mark, set_mark
from app.commissions.book import Book
from app.errors import ValidationFailed
from app.ledger import chart
from app.ledger.chart import Accounts
from app.ledger.journal import Draft, post_many, stamp

RECALCS = "commissions.recalculations"  # settings key: how many have run (entry refs)
PENDING = "commissions.recalculate_from"  # settings key: a late link waits for this date


@dataclass(frozen=True)
class Recalculated:
    first_deal: int
    accruals_before: int
    accruals_after: int
    # (partner id, currency) -> change in minor units; empty when nothing moved
    changed: dict[tuple[int, str], int]


def _totals(db: Any, first: int) -> tuple[int, dict[tuple[int, str], int]]:
    totals: dict[tuple[int, str], int] = {}
    count = 0
    for pid, cur, n, amount in db.execute(
            "SELECT partner_id, currency, count(*), sum(amount_minor) FROM commission_accruals"
            " WHERE deal_id >= ? GROUP BY partner_id, currency", (first,)):
        totals[(pid, cur)] = amount
        count += n
    return count, totals


def locked_until(db: Any) -> date | None:
    """The last server date of commission already in a payout run (not rejected)."""
    (found,) = db.execute("SELECT max(period_end) FROM payouts WHERE status != 'rejected'"
                          ).fetchone()
    return None if found is None else date.fromisoformat(str(found)[:10])


def recalculate_from(db: Any, day: date) -> Recalculated:
    """Inside the caller's write transaction."""
    book = Book.load(db)
    start, _ = book.ms_range(day, day)
    reached = mark(db)
    row = db.execute("SELECT min(id) FROM deals WHERE time_ms >= ? AND id <= ?",
                     (start, reached)).fetchone()
    if row is None or row[0] is None:
        return Recalculated(reached + 1, 0, 0, {})
    first = int(row[0])
    paid = db.execute(
        "SELECT p.period_end FROM commission_accruals a JOIN payouts p ON p.id = a.payout_id"
        " WHERE a.deal_id >= ? AND p.status != 'rejected' LIMIT 1", (first,)).fetchone()
    if paid is not None:
        raise ValidationFailed(
            f"Commission up to {paid[0]} is already in a payout run; it cannot be "
            "recalculated. Make the change effective after that period.", "effective_from")
    before_count, before = _totals(db, first)
    # Links to rejected payouts go with them: their commission is unpaid anyway.
    db.execute("DELETE FROM commission_accruals WHERE deal_id >= ?", (first,))
    db.execute("DELETE FROM commission_cpa_awards WHERE deal_id >= ?", (first,))
    db.execute("UPDATE commission_cpa_awards SET clawback_deal_id = NULL"
               " WHERE clawback_deal_id >= ?", (first,))
    db.execute("DELETE FROM commission_carry")
    # Each beneficiary carries on from its last accrual before the first deal.
    db.execute(
        "INSERT INTO commission_carry (partner_id, currency, residue_micro)"
        " SELECT partner_id, currency, residue_micro FROM ("
        "  SELECT partner_id, currency, residue_micro, row_number() OVER ("
        "   PARTITION BY partner_id, currency ORDER BY deal_id DESC) AS n"
        "  FROM commission_accruals) WHERE n = 1")
    set_mark(db, first - 1)
    while accrue_new_deals(db, book=book, to_ledger=False, upto=reached) is not None:
        pass
    after_count, after = _totals(db, first)
    changed = {k: after.get(k, 0) - before.get(k, 0) for k in before.keys() | after.keys()}
    changed = {k: v for k, v in changed.items() if v}
    if changed:
        _post_difference(db, changed, first)
    return Recalculated(first, before_count, after_count, changed)


def _post_difference(db: Any, changed: dict[tuple[int, str], int], first: int) -> None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", (RECALCS,)).fetchone()
    n = int(row[0]) + 1 if row else 1
    db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key)"
               " DO UPDATE SET value = excluded.value", (RECALCS, str(n)))
    lines: list[tuple[str, int]] = []
    expense: dict[str, int] = defaultdict(int)
    for (pid, cur), amount in sorted(changed.items()):
        lines.append((chart.ib_payable(f"P{pid}", cur), -amount))
        expense[cur] += amount
    lines.extend((chart.house("ib_commission", cur), amount) for cur, amount in expense.items())
    post_many(db, Accounts(db), [Draft("commission", f"recalculation {n} from deal {first}",
                                       "Partner commission recalculated", lines,
                                       stamp(datetime.now(UTC)))])


def note_late_links(db: Any, client_ids: Iterable[int]) -> None:
    """Clients who became referred (or whose accounts became theirs) after some of their
    deals were accrued without a partner: their commission is owed from their first such
    deal. Noted here, done once per sync by `recalculate_pending`, not once per page."""
    ids = sorted(set(client_ids))
    reached = mark(db)
    earliest: int | None = None
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        (found,) = db.execute(
            "SELECT min(d.time_ms) FROM trading_accounts a JOIN deals d ON d.account_id = a.id"
            f" WHERE a.client_id IN ({','.join('?' * len(chunk))}) AND d.id <= ?",
            (*chunk, reached)).fetchone()
        if found is not None and (earliest is None or found < earliest):
            earliest = found
    if earliest is None:
        return
    day = Book.load(db).day(earliest)
    row = db.execute("SELECT value FROM settings WHERE key = ?", (PENDING,)).fetchone()
    if row is None or day < date.fromisoformat(row[0]):
        db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key)"
                   " DO UPDATE SET value = excluded.value", (PENDING, day.isoformat()))


def recalculate_pending(db: Any) -> Recalculated | None:
    """The recalculation late links asked for, from the first day not in a payout run."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", (PENDING,)).fetchone()
    if row is None:
        return None
    db.execute("DELETE FROM settings WHERE key = ?", (PENDING,))
    day = date.fromisoformat(row[0])
    locked = locked_until(db)
    if locked is not None:  # paid commission stays as it was paid
        day = max(day, locked + timedelta(days=1))
    return recalculate_from(db, day)
