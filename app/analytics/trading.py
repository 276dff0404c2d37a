"""Trading activity by segment: trade deals and the lots they closed, per client segment
per week.

Deals are every buy and sell; lots are the volume of closing deals (entry out or
inout), as partner performance counts them. A deal belongs to its trading account's
client's segment as the segment is now.

How it stays fast over a million deals (bench/dashboard.py): the accounts of the
chosen clients go into a temporary table with a small segment number; each week is
one range over the covering `ix_deals_time` with one probe of that table per deal,
and the per-segment sums are columns of the same statement (a GROUP BY would sort
every deal; sorting unsorted rows here costs about 1.5 µs each). Each segment's
column adds up `2**36 + closing volume` per deal, so one sum carries both the count
(the high bits) and the volume (the low 36 bits, room for 687 million lots a week).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from app.analytics.scope import ClientFilter, Span
from app.money import lots

# Segments after the largest few are drawn together; a chart of twenty colours is
# not read, and each column is one more sum per deal.
NAMED_SEGMENTS = 6
OTHER = "Other segments"
NO_SEGMENT = "(no segment)"
_SHIFT = 36
_MASK = (1 << _SHIFT) - 1
_TABLE = "temp.dashboard_account_segments"


@dataclass(frozen=True)
class SegmentActivity:
    segment: str
    deals: tuple[int, ...]      # per week
    volume: tuple[int, ...]     # hundredths of a lot closed, per week

    @property
    def total_deals(self) -> int:
        return sum(self.deals)

    @property
    def total_lots(self) -> Decimal:
        return lots(sum(self.volume))


@dataclass(frozen=True)
class TradingActivity:
    weeks: tuple[date, ...]
    segments: tuple[SegmentActivity, ...]

    @property
    def total_deals(self) -> int:
        return sum(s.total_deals for s in self.segments)

    @property
    def total_lots(self) -> Decimal:
        return lots(sum(sum(s.volume) for s in self.segments))


def segment_names(db: Any, filters: ClientFilter) -> list[str]:
    """The chosen clients' segments, the most populated first."""
    where, params = filters.where("c")
    return [str(name) for name, _n in db.execute(
        "SELECT c.segment, count(*) FROM clients c"
        f" WHERE 1{where} GROUP BY 1 ORDER BY 2 DESC, 1", params)]


def read_trading(db: Any, span: Span, filters: ClientFilter) -> TradingActivity:
    names = segment_names(db, filters)
    if not names:
        return TradingActivity(span.weeks, ())
    shown = names if len(names) <= NAMED_SEGMENTS + 1 else names[:NAMED_SEGMENTS]
    labels = [n or NO_SEGMENT for n in shown] + ([OTHER] if len(names) > len(shown) else [])
    where, params = filters.where("c")
    number = " ".join(f"WHEN ? THEN {i}" for i in range(len(shown)))
    db.execute(f"DROP TABLE IF EXISTS {_TABLE}")
    db.execute(f"CREATE TABLE {_TABLE} (account_id INTEGER PRIMARY KEY,"
               " segment INTEGER NOT NULL)")
    try:
        # CROSS JOIN keeps the clients outside: their narrow index (ix_clients_created)
        # holds the segment, and each client's accounts are one covered probe away.
        db.execute(
            f"INSERT INTO {_TABLE} SELECT t.id, CASE c.segment {number} ELSE {len(shown)} END"
            " FROM clients c"
            f" CROSS JOIN trading_accounts t ON t.client_id = c.id WHERE 1{where}",
            (*shown, *params))
        columns = ", ".join(
            f"sum(CASE a.segment WHEN {i} THEN {1 << _SHIFT}"
            " + CASE d.entry WHEN 'in' THEN 0 ELSE d.volume END END)"
            for i in range(len(labels)))
        sql = (f"SELECT {columns} FROM deals d"
               f" JOIN {_TABLE} a ON a.account_id = d.account_id"
               " WHERE d.time_ms >= ? AND d.time_ms < ? AND d.action IN ('buy', 'sell')")
        weekly = [db.execute(sql, bounds).fetchone() for bounds in span.week_bounds_ms()]
    finally:
        db.execute(f"DROP TABLE IF EXISTS {_TABLE}")
    segments = []
    for i, label in enumerate(labels):
        packed = [row[i] or 0 for row in weekly]
        segments.append(SegmentActivity(label, tuple(p >> _SHIFT for p in packed),
                                        tuple(p & _MASK for p in packed)))
    return TradingActivity(span.weeks, tuple(segments))
