"""Partner performance by tier: the commission accrued in a period per tier and currency.

Tier 0 is what partners earned on their own clients' deals, tier n what they earned
on clients of partners n levels below them, and tier -1 what chargebacks clawed back
from partners no longer above the client (app.commissions.accrue). A period is whole
UTC days of the deals' platform time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from app.analytics.scope import ClientFilter, Span

CLAWBACK_TIER = -1


def tier_label(tier: int) -> str:
    if tier == CLAWBACK_TIER:
        return "Clawed back from former uplines"
    if tier == 0:
        return "Own clients (tier 0)"
    return f"{tier} level{'s' if tier > 1 else ''} down (tier {tier})"


@dataclass(frozen=True)
class TierLine:
    tier: int
    currency: str
    amount_minor: int
    accruals: int

    @property
    def label(self) -> str:
        return tier_label(self.tier)


@dataclass(frozen=True)
class PartnerTiers:
    lines: tuple[TierLine, ...]   # by tier (clawbacks last), then currency

    @property
    def tiers(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(line.tier for line in self.lines))

    @property
    def currencies(self) -> tuple[str, ...]:
        return tuple(sorted({line.currency for line in self.lines}))

    def totals(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for line in self.lines:
            out[line.currency] += line.amount_minor
        return dict(sorted(out.items()))

    def amount(self, tier: int, currency: str) -> int:
        return sum(x.amount_minor for x in self.lines if x.tier == tier and x.currency == currency)


def read_partner_tiers(db: Any, span: Span, filters: ClientFilter) -> PartnerTiers:
    chosen, params = filters.client_ids("a.client_id")
    # The index is ordered by tier and currency, so the GROUP BY streams without a sort.
    rows = [TierLine(int(tier), str(cur), int(amount), int(n)) for tier, cur, amount, n in
            db.execute("SELECT a.tier, a.currency, sum(a.amount_minor), count(*)"
                       " FROM commission_accruals a"
                       f" WHERE a.time_ms >= ? AND a.time_ms < ?{chosen} GROUP BY 1, 2",
                       (span.start_ms, span.end_ms, *params))]
    rows.sort(key=lambda x: (x.tier < 0, x.tier, x.currency))
    return PartnerTiers(tuple(rows))
