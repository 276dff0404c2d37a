"""A dormant client suddenly active: no deals and no payments for a long time, then
large deposits or heavy trading within a few weeks of waking up.

The first event after each quiet spell is found with window functions: per trading
account over its deals (in the order of the account-and-time index, reading nothing
else) and per client over its payments; each such
event is then checked against everything the client did before it, on every account.
The event that ended the quiet spell anchors the alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from app.models.compliance import Severity
from app.monitoring import thresholds as t
from app.monitoring.context import DAY_MS, Context, Hit, day_text, plain, usd_text
from app.monitoring.spec import RuleSpec, Settings

_WAKE = """
CREATE TEMP TABLE mon_wake AS
SELECT a.client_id, x.time_ms AS ms, x.id AS deal_id, NULL AS payment
FROM (SELECT d.account_id, d.id, d.time_ms,
             lag(d.time_ms) OVER (PARTITION BY d.account_id ORDER BY d.time_ms) AS prev
      FROM deals d WHERE d.account_id IN (SELECT a.id FROM trading_accounts a
                                          JOIN mon_scope s ON s.client_id = a.client_id)) x
JOIN trading_accounts a ON a.id = x.account_id
WHERE (x.prev IS NULL OR x.time_ms - x.prev >= :gap) AND {deal_period}
UNION ALL
SELECT client_id, ms, NULL, uid FROM (
  SELECT client_id, ms, uid, lag(ms) OVER (PARTITION BY client_id ORDER BY ms) AS prev
  FROM mon_pay)
WHERE (prev IS NULL OR ms - prev >= :gap) AND {pay_period}
"""

_QUIET = """
SELECT client_id, ms, deal_id, payment, before FROM (
  SELECT w.client_id, w.ms, w.deal_id, w.payment, max(
    coalesce((SELECT max(d.time_ms) FROM trading_accounts a CROSS JOIN deals d
              ON d.account_id = a.id AND d.time_ms < w.ms WHERE a.client_id = w.client_id), -1),
    coalesce((SELECT max(p.ms) FROM mon_pay p WHERE p.client_id = w.client_id
              AND p.ms < w.ms), -1)) AS before
  FROM mon_wake w)
WHERE before >= 0 AND ms - before >= :gap
ORDER BY client_id, ms
"""


def find(ctx: Context, cfg: Settings) -> list[Hit]:
    gap = cfg.whole("dormant_days") * DAY_MS
    active = cfg.whole("active_days") * DAY_MS
    db = ctx.db
    db.execute("DROP TABLE IF EXISTS temp.mon_wake")
    try:
        db.execute(_WAKE.format(deal_period=ctx.in_period("x.time_ms"),
                                pay_period=ctx.in_period("ms")), {"gap": gap})
        woke = db.execute(_QUIET, {"gap": gap}).fetchall()
    finally:
        db.execute("DROP TABLE IF EXISTS temp.mon_wake")
    hits = []
    for cid, ms, deal_id, payment, before in woke:
        cid, ms, before = int(cid), int(ms), int(before)
        if payment is None:
            platform, ticket = db.execute("SELECT platform, ticket FROM deals WHERE id = ?",
                                          (deal_id,)).fetchone()
            ref = f"deal:{platform}:{ticket}"
        else:
            ref = f"payment:{payment}"
        deposits = [(int(i), int(u)) for i, u in db.execute(
            "SELECT id, coalesce(usd, 0) FROM mon_pay WHERE client_id = ? AND direction ="
            " 'deposit' AND ms BETWEEN ? AND ? ORDER BY ms", (cid, ms, ms + active))]
        deposited = sum(u for _, u in deposits)
        (traded,) = db.execute(
            "SELECT coalesce(sum(d.volume), 0) FROM trading_accounts a CROSS JOIN deals d"
            " ON d.account_id = a.id AND d.time_ms BETWEEN ? AND ? WHERE a.client_id = ?"
            " AND d.action IN ('buy', 'sell')", (ms, ms + active, cid)).fetchone()
        if deposited < cfg.usd_cents("min_deposit") and int(traded) < cfg.hundredths("min_lots"):
            continue
        hits.append(_hit(ctx, cfg, cid, ms, ref, before, deposits, deposited,
                         int(traded)))
    return hits


def _hit(ctx: Context, cfg: Settings, cid: int, ms: int, ref: str, before: int,
         deposits: list[tuple[int, int]], deposited: int, traded: int) -> Hit:
    quiet = (ms - before) // DAY_MS
    lots = Decimal(traded).scaleb(-2)
    hit = ctx.hit(cfg.spec.rule, cid, [ref.split(":", 1)[1]], "", {}, ms)
    hit.summary = (f"{ctx.name(cid)} was inactive for {quiet} days (since "
                   f"{day_text(before)}), then in the {cfg.shown('active_days')} from "
                   f"{day_text(ms)} deposited {usd_text(deposited)} and traded "
                   f"{lots:.2f} lots.")
    hit.evidence = {**ctx.client_evidence(cid), "first_activity_after": ref,
                    "woke_at": day_text(ms), "last_activity_before": day_text(before),
                    "quiet_days": quiet, "deposited_usd": plain(deposited),
                    "lots_traded": f"{lots:.2f}",
                    "deposits": ctx.payments([i for i, _ in deposits][:50]),
                    "thresholds": {k: cfg.shown(k) for k in cfg.values}}
    return hit


def _words(v: Mapping[str, str]) -> str:
    return (f"No deals and no payments for at least {v['dormant_days']}, then within "
            f"{v['active_days']} deposits of at least {v['min_deposit']} or at least "
            f"{v['min_lots']} traded.")


DORMANT = RuleSpec(
    "dormant_reactivated", "Dormant account suddenly active", Severity.MEDIUM, 14,
    (t.whole("dormant_days", "Inactive for at least", 180, 30, 3650, " days"),
     t.whole("active_days", "Then within", 30, 1, 365, " days"),
     t.usd("min_deposit", "Deposits of at least", "10000.00"),
     t.lots("min_lots", "Or traded at least", "10.00")),
    _words, find)
