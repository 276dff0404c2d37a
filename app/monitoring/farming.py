"""Commission farming: a partner whose referred clients open and close positions within
seconds, round turn after round turn, earning the partner per-lot commission with no
real market exposure.

Counted per partner and calendar month: the positions its clients closed, and how many
of them were held under the limit (a position's opening deal is looked up by account
and position id, only within the limit before its close, through the deals' account
and time index). The joins are written CROSS so SQLite walks partner -> clients ->
accounts -> their deals in the period, never every deal of the period in time order
(which it otherwise picks: 8x slower on a full history). One alert per partner and
month.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from app.models.compliance import Severity
from app.monitoring import thresholds as t
from app.monitoring.context import Context, Hit
from app.monitoring.spec import RuleSpec, Settings

TICKETS_SHOWN = 20

_CLOSES = """
SELECT c.partner_id, strftime('%Y-%m', d.time_ms / 1000, 'unixepoch') AS month, c.id,
       d.platform || ':' || d.ticket,
       (SELECT max(i.time_ms) FROM deals i WHERE i.account_id = d.account_id
          AND i.time_ms BETWEEN d.time_ms - :hold + 1 AND d.time_ms
          AND i.position_id = d.position_id AND i.entry = 'in') AS opened
FROM clients c CROSS JOIN trading_accounts a ON a.client_id = c.id
CROSS JOIN deals d ON d.account_id = a.id AND d.time_ms BETWEEN :lo AND :hi
WHERE c.partner_id IN ({partners}) AND d.entry = 'out' AND d.action IN ('buy', 'sell')
  AND d.position_id IS NOT NULL
"""
_COUNTS = ("SELECT partner_id, month, count(*), count(opened) FROM ({closes})"
           " GROUP BY partner_id, month")


def month_bounds(month: str) -> tuple[int, int]:
    year, mon = (int(x) for x in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp()) * 1000, int(end.timestamp()) * 1000 - 1


def _partners(ctx: Context) -> list[int]:
    if ctx.scope.partners is not None:
        return sorted(ctx.scope.partners)
    return [int(p) for p, in ctx.db.execute(
        "SELECT DISTINCT partner_id FROM clients WHERE partner_id IS NOT NULL")]


def find(ctx: Context, cfg: Settings) -> list[Hit]:
    partners = _partners(ctx)
    months = ctx.scope.months
    if not partners or months == set():
        return []
    lo, hi = ctx.from_ms, ctx.to_ms
    if months is not None:
        lo = max(lo, min(month_bounds(m)[0] for m in months))
        hi = min(hi, max(month_bounds(m)[1] for m in months))
    hold = cfg.whole("max_hold_seconds") * 1000
    params = {"hold": hold, "lo": lo, "hi": hi}
    need, share = cfg.whole("min_round_turns"), cfg.whole("short_share_pct")
    hits = []
    for i in range(0, len(partners), 500):
        chunk = ",".join(str(p) for p in partners[i:i + 500])
        for partner, month, total, short in ctx.db.execute(
                _COUNTS.format(closes=_CLOSES.format(partners=chunk)), params).fetchall():
            if (months is not None and month not in months) or total < need \
                    or short * 100 < share * total:
                continue
            start, end = month_bounds(str(month))
            closes = [(int(c), str(tk), 0 if opened is None else 1) for _p, _m, c, tk, opened
                      in ctx.db.execute(_CLOSES.format(partners=int(partner)),
                                        {**params, "lo": max(lo, start), "hi": min(hi, end)})]
            hits.append(_hit(ctx, cfg, int(partner), str(month), int(total), int(short),
                             closes))
    return hits


def _hit(ctx: Context, cfg: Settings, partner: int, month: str, total: int, short: int,
         closes: list[tuple[int, str, int]]) -> Hit:
    uid, name, code, own = ctx.db.execute(
        "SELECT uid, name, referral_code, client_id FROM partners WHERE id = ?",
        (partner,)).fetchone()
    by_client: dict[int, list[int]] = {}
    for cid, _ticket, quick in closes:
        n = by_client.setdefault(cid, [0, 0])
        n[0] += 1
        n[1] += quick
    busiest = sorted(by_client, key=lambda c: (-by_client[c][0], c))
    client_id = int(own) if own is not None else busiest[0]
    refs = ctx.refs([*busiest[:20], client_id])
    start, end = month_bounds(month)
    first = datetime.fromtimestamp(start // 1000, UTC)
    hit = ctx.hit(cfg.spec.rule, client_id, [month], "", {}, end, subject=f"partner-{uid}")
    hit.summary = (f"Partner {name} ({code}): in {first:%B %Y} its clients closed {total:,} "
                   f"positions, {short:,} ({short * 100 // total}%) of them held under "
                   f"{cfg.shown('max_hold_seconds')}.")
    hit.evidence = {
        "partner": uid, "partner_name": name, "referral_code": code,
        "partner_client": None if own is None else refs[int(own)][0], "month": month,
        "round_turns": total, "held_briefly": short, "share_pct": short * 100 // total,
        "clients": [{"client": refs[c][0], "name": refs[c][1], "round_turns": by_client[c][0],
                     "held_briefly": by_client[c][1]} for c in busiest[:20]],
        "short_tickets": [tk for _, tk, quick in closes if quick][:TICKETS_SHOWN],
        "thresholds": {k: cfg.shown(k) for k in cfg.values}}
    return hit


def _words(v: Mapping[str, str]) -> str:
    return (f"A partner whose clients closed at least {v['min_round_turns']} positions in a "
            f"calendar month, {v['short_share_pct']} or more of them held under "
            f"{v['max_hold_seconds']}.")


FARMING = RuleSpec(
    "commission_farming", "Commission farming by a partner's clients", Severity.MEDIUM, 14,
    (t.whole("max_hold_seconds", "Held under", 120, 1, 86_400, " seconds"),
     t.whole("short_share_pct", "Share of such positions", 70, 1, 100, "%"),
     t.whole("min_round_turns", "Positions closed in the month", 50, 1, 1_000_000)),
    _words, find)
