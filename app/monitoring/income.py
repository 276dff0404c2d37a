"""Deposits out of line with the declared income: what a client paid in over a window
(in US dollars at the platform's quotes) against the yearly income they declared.

A running sum over each client's deposits finds the deposit that takes the window's
total over the limit; that deposit anchors the alert. The total staying over the limit
raises nothing more; falling back under and crossing again does. Clients without a
declared income are not checked (KYC asks for it).
"""

from __future__ import annotations

from collections.abc import Mapping

from app.models.compliance import Severity
from app.monitoring import thresholds as t
from app.monitoring.context import DAY_MS, Context, Hit, day_text, plain, usd_text
from app.monitoring.spec import RuleSpec, Settings

EVIDENCE_LIMIT = 50

_CROSSINGS = """
SELECT id, client_id, ms, usd, total, income, limit_usd FROM (
  SELECT id, client_id, ms, usd, income, limit_usd, upto - coalesce(later, 0) AS total FROM (
    SELECT p.id, p.client_id, p.ms, p.usd, c.declared_income AS income,
           max(c.declared_income * :pct / 100, :min_total) AS limit_usd,
           sum(p.usd) OVER (PARTITION BY p.client_id ORDER BY p.ms
                            RANGE BETWEEN :window PRECEDING AND CURRENT ROW) AS upto,
           -- deposits made in the same millisecond count one after the other (by uid,
           -- which every desk shares): the RANGE above holds all of them
           sum(p.usd) OVER (PARTITION BY p.client_id, p.ms ORDER BY p.uid
                            ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS later
    FROM mon_pay p JOIN clients c ON c.id = p.client_id
    WHERE p.direction = 'deposit' AND p.usd IS NOT NULL AND c.declared_income IS NOT NULL))
WHERE total >= limit_usd AND total - usd < limit_usd AND {period}
ORDER BY client_id, ms
"""


def find(ctx: Context, cfg: Settings) -> list[Hit]:
    window = cfg.whole("window_days") * DAY_MS
    hits = []
    for pid, cid, ms, _usd, total, income, limit in ctx.db.execute(
            _CROSSINGS.format(period=ctx.in_period("ms")),
            {"pct": cfg.whole("income_pct"), "min_total": cfg.usd_cents("min_total"),
             "window": window}):
        ids = [r[0] for r in ctx.db.execute(
            "SELECT id FROM mon_pay WHERE client_id = ? AND direction = 'deposit'"
            " AND ms BETWEEN ? AND ? ORDER BY ms DESC LIMIT ?",
            (cid, ms - window, ms, EVIDENCE_LIMIT))]
        records = ctx.payments(ids)
        anchor = next(r["payment"] for r in ctx.payments([pid]))
        hit = ctx.hit(cfg.spec.rule, int(cid), [anchor], "", {}, int(ms))
        share = int(total) * 100 // max(int(income), 1)
        hit.summary = (f"{ctx.name(cid)} deposited {usd_text(int(total))} in the "
                       f"{cfg.shown('window_days')} to {day_text(int(ms))}: "
                       + (f"{share}% of the declared yearly income of {usd_text(int(income))}."
                          if income else "no income was declared."))
        hit.evidence = {**ctx.client_evidence(int(cid)), "declared_income_usd": plain(income),
                        "deposited_usd": plain(int(total)), "limit_usd": plain(int(limit)),
                        "crossing_payment": anchor, "deposits": records,
                        "thresholds": {k: cfg.shown(k) for k in cfg.values}}
        hits.append(hit)
    return hits


def _words(v: Mapping[str, str]) -> str:
    return (f"Deposits over {v['window_days']} adding up to at least {v['income_pct']} of the "
            f"client's declared yearly income (and to at least {v['min_total']}), converted "
            "to US dollars at the platform's quotes.")


ABOVE_INCOME = RuleSpec(
    "above_income", "Deposits out of line with declared income", Severity.MEDIUM, 14,
    (t.whole("window_days", "Deposits over", 365, 7, 3650, " days"),
     t.whole("income_pct", "Share of yearly income", 50, 1, 1000, "%"),
     t.usd("min_total", "And at least", "5000.00")),
    _words, find)
