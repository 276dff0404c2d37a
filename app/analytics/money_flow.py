"""Deposits and withdrawals: completed amounts per week and currency, and the net.

A payment counts in the week it completed (its last update, when the status became
completed, as the ledger books it), in its own currency; amounts are never converted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.analytics.scope import ClientFilter, Span


@dataclass(frozen=True)
class CurrencyFlow:
    currency: str
    deposits: tuple[int, ...]      # minor units per week
    withdrawals: tuple[int, ...]   # minor units per week, positive
    deposit_count: int
    withdrawal_count: int

    @property
    def net(self) -> tuple[int, ...]:
        return tuple(d - w for d, w in zip(self.deposits, self.withdrawals, strict=True))

    @property
    def total_deposits(self) -> int:
        return sum(self.deposits)

    @property
    def total_withdrawals(self) -> int:
        return sum(self.withdrawals)

    @property
    def total_net(self) -> int:
        return self.total_deposits - self.total_withdrawals


@dataclass(frozen=True)
class MoneyFlow:
    weeks: tuple[date, ...]
    currencies: tuple[CurrencyFlow, ...]   # the largest deposits first


def read_money_flow(db: Any, span: Span, filters: ClientFilter) -> MoneyFlow:
    chosen, params = filters.client_ids("p.client_id")
    n = len(span.weeks)
    sums: dict[str, dict[str, list[int]]] = {}
    counts: dict[tuple[str, str], int] = {}
    for week, currency, direction, amount, count in db.execute(
            "SELECT CAST(julianday(p.updated_at) - ? AS INTEGER) / 7, p.currency,"
            " p.direction, sum(p.amount_minor), count(*)"
            " FROM payment_requests p"
            " WHERE p.status = 'completed' AND p.updated_at >= ? AND p.updated_at < ?"
            f"{chosen} GROUP BY 1, 2, 3",
            (span.monday_julian, span.start_text, span.end_text, *params)):
        by_direction = sums.setdefault(currency, {"deposit": [0] * n, "withdrawal": [0] * n})
        by_direction[direction][week] += int(amount)
        counts[(currency, direction)] = counts.get((currency, direction), 0) + int(count)
    flows = [CurrencyFlow(cur, tuple(d["deposit"]), tuple(d["withdrawal"]),
                          counts.get((cur, "deposit"), 0), counts.get((cur, "withdrawal"), 0))
             for cur, d in sums.items()]
    flows.sort(key=lambda f: (-f.total_deposits, f.currency))
    return MoneyFlow(span.weeks, tuple(flows))
