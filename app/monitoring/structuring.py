"""Structuring: several deposits each just under a reporting threshold within a few
days, as if split to stay below it.

SQL finds the clients with deposits in the band; their band deposits (few) are then
grouped from the first one on: a group is every band deposit within the window of
its first, and counts when it has enough of them. Grouping from each client's first
band deposit makes the groups, and so the alert keys, the same whatever period or
scope a run has.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.models.compliance import Severity
from app.monitoring import thresholds as t
from app.monitoring.context import DAY_MS, Context, Hit, day_text, plain, usd_text
from app.monitoring.spec import RuleSpec, Settings


def find(ctx: Context, cfg: Settings) -> list[Hit]:
    top = cfg.usd_cents("reporting_threshold")
    low = top * cfg.whole("lower_pct") // 100
    window, need = cfg.whole("window_days") * DAY_MS, cfg.whole("min_deposits")
    band: dict[int, list[tuple[int, int, int]]] = {}
    for cid, pid, ms, usd in ctx.db.execute(
            "SELECT b.client_id, b.id, b.ms, b.usd FROM mon_pay b WHERE b.direction = 'deposit'"
            " AND b.usd >= ? AND b.usd < ? AND b.client_id IN (SELECT client_id FROM mon_pay"
            " WHERE direction = 'deposit' AND usd >= ? AND usd < ? AND " + ctx.in_period("ms")
            + ")"
            " ORDER BY b.client_id, b.ms, b.id", (low, top, low, top)):
        band.setdefault(int(cid), []).append((int(pid), int(ms), int(usd)))
    hits = []
    for cid, deposits in band.items():
        i = 0
        while i < len(deposits):
            start = deposits[i][1]
            group = [d for d in deposits[i:] if d[1] <= start + window]
            if len(group) < need:
                i += 1
                continue
            last = group[-1][1]
            if ctx.from_ms <= last <= ctx.to_ms:
                hits.append(_hit(ctx, cfg, cid, group, top))
            i += len(group)
    return hits


def _hit(ctx: Context, cfg: Settings, cid: int, group: list[tuple[int, int, int]],
         top: int) -> Hit:
    records = ctx.payments([p for p, _, _ in group])
    total = sum(u for _, _, u in group)
    hit = ctx.hit(cfg.spec.rule, cid, [records[0]["payment"]], "", {}, group[-1][1])
    hit.summary = (f"{ctx.name(cid)} made {len(group)} deposits between "
                   f"{day_text(group[0][1])} and {day_text(group[-1][1])}, each just under "
                   f"the {usd_text(top)} reporting threshold ({usd_text(total)} in all).")
    hit.evidence = {**ctx.client_evidence(cid), "deposits": records,
                    "total_usd": plain(total), "count": len(group),
                    "band_usd": [plain(top * cfg.whole("lower_pct") // 100), plain(top)],
                    "thresholds": {k: cfg.shown(k) for k in cfg.values}}
    return hit


def _words(v: Mapping[str, str]) -> str:
    return (f"{v['min_deposits']} or more deposits within {v['window_days']}, each between "
            f"{v['lower_pct']} and 100% of the {v['reporting_threshold']} reporting "
            "threshold.")


STRUCTURING = RuleSpec(
    "structuring", "Deposits split under a reporting threshold", Severity.HIGH, 5,
    (t.usd("reporting_threshold", "Reporting threshold", "10000.00", "1.00"),
     t.whole("lower_pct", "Just under means from", 90, 50, 99, "%"),
     t.whole("min_deposits", "At least this many deposits", 3, 2, 100),
     t.whole("window_days", "Within", 7, 1, 90, " days")),
    _words, find)
