"""Money in and out again: deposits followed by withdrawals of most of them, with
little trading in between (over days) or without regard to trading (within hours).

Lots traded are the volumes of the client's buy and sell deals, opening and closing
both counted, read per account through the deals' account-and-time index (the joins
are CROSS so SQLite never walks a whole period of every account's deals instead).

Both look from each withdrawal back over the window: the deposits in it (from the
first of them on) and every withdrawal since that first deposit. The alert is keyed
by the client and that first deposit, so further withdrawals of the same money raise
nothing new.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from app.models.compliance import Severity
from app.monitoring import thresholds as t
from app.monitoring.context import DAY_MS, HOUR_MS, Context, Hit, day_text, plain, usd_text
from app.monitoring.spec import RuleSpec, Settings

_EPISODES = """
WITH w AS (SELECT id, client_id, ms FROM mon_pay WHERE direction = 'withdrawal'
           AND {period}),
dep AS (SELECT w.id AS wid, w.client_id, w.ms AS wms, min(d.ms) AS first_ms,
               sum(d.usd) AS dep_usd
        FROM w JOIN mon_pay d ON d.client_id = w.client_id AND d.direction = 'deposit'
          AND d.ms BETWEEN w.ms - :window AND w.ms
        GROUP BY w.id HAVING sum(d.usd) >= :min_deposit),
out AS (SELECT dep.*, (SELECT sum(x.usd) FROM mon_pay x WHERE x.client_id = dep.client_id
                       AND x.direction = 'withdrawal' AND x.ms BETWEEN dep.first_ms AND dep.wms
                      ) AS out_usd
        FROM dep)
SELECT out.wid, out.client_id, out.wms, out.first_ms, out.dep_usd, out.out_usd,
       (SELECT coalesce(sum(dl.volume), 0) FROM trading_accounts a CROSS JOIN deals dl
          ON dl.account_id = a.id AND dl.time_ms BETWEEN out.first_ms AND out.wms
        WHERE a.client_id = out.client_id AND dl.action IN ('buy', 'sell')) AS traded
FROM out WHERE out.out_usd * 100 >= out.dep_usd * :pct
ORDER BY out.client_id, out.wms
"""


def _episodes(ctx: Context, window_ms: int, min_deposit: int, pct: int
              ) -> list[tuple[int, int, int, int, int, int, int]]:
    return [tuple(int(v) for v in row) for row in ctx.db.execute(  # type: ignore[misc]
        _EPISODES.format(period=ctx.in_period("ms")),
        {"window": window_ms, "min_deposit": min_deposit, "pct": pct})]


def _hits(ctx: Context, cfg: Settings, window_ms: int, max_traded: int | None,
          words: str) -> list[Hit]:
    hits: dict[str, Hit] = {}
    for _wid, cid, wms, first_ms, dep_usd, out_usd, traded in _episodes(
            ctx, window_ms, cfg.usd_cents("min_deposit"), cfg.whole("withdrawn_pct")):
        if max_traded is not None and traded >= max_traded:
            continue
        ids = [r[0] for r in ctx.db.execute(
            "SELECT id FROM mon_pay WHERE client_id = ? AND ms BETWEEN ? AND ?",
            (cid, first_ms, wms))]
        records = ctx.payments(ids)
        deposits = [r for r in records if r["direction"] == "deposit"]
        first = deposits[0]["payment"]
        hit = ctx.hit(cfg.spec.rule, cid, [first], "", {}, wms)
        if hit.key in hits:
            continue
        share = out_usd * 100 // max(dep_usd, 1)
        lots = Decimal(traded).scaleb(-2)
        hit.summary = (f"{ctx.name(cid)} deposited {usd_text(dep_usd)} from "
                       f"{day_text(first_ms)} and asked to withdraw {usd_text(out_usd)} "
                       f"({share}%) by {day_text(wms)}{words.format(lots=f'{lots:.2f}')}.")
        hit.evidence = {
            **ctx.client_evidence(cid), "deposits": deposits,
            "withdrawals": [r for r in records if r["direction"] == "withdrawal"],
            "deposited_usd": plain(dep_usd), "withdrawn_usd": plain(out_usd),
            "withdrawn_pct": share, "lots_traded": f"{lots:.2f}",
            "thresholds": {k: cfg.shown(k) for k in cfg.values}}
        hits[hit.key] = hit
    return list(hits.values())


def find_little_trading(ctx: Context, cfg: Settings) -> list[Hit]:
    return _hits(ctx, cfg, cfg.whole("window_days") * DAY_MS, cfg.hundredths("max_lots"),
                 ", with {lots} lots traded in between")


def find_rapid(ctx: Context, cfg: Settings) -> list[Hit]:
    return _hits(ctx, cfg, cfg.whole("within_hours") * HOUR_MS, None, "")


def _little_trading_words(v: Mapping[str, str]) -> str:
    return (f"Deposits of at least {v['min_deposit']} followed within {v['window_days']} by "
            f"withdrawals of at least {v['withdrawn_pct']} of them, with fewer than "
            f"{v['max_lots']} traded in between.")


def _rapid_words(v: Mapping[str, str]) -> str:
    return (f"Deposits of at least {v['min_deposit']} of which at least {v['withdrawn_pct']} "
            f"is asked back within {v['within_hours']}, whatever was traded.")


LITTLE_TRADING = RuleSpec(
    "little_trading", "Deposits withdrawn with little trading", Severity.MEDIUM, 10,
    (t.usd("min_deposit", "Deposits of at least", "1000.00"),
     t.whole("window_days", "Withdrawn within", 7, 1, 365, " days"),
     t.whole("withdrawn_pct", "Share withdrawn", 80, 1, 100, "%"),
     t.lots("max_lots", "Traded less than", "0.10")),
    _little_trading_words, find_little_trading)

RAPID_IN_OUT = RuleSpec(
    "rapid_in_out", "Rapid in and out of funds", Severity.HIGH, 5,
    (t.usd("min_deposit", "Deposits of at least", "1000.00"),
     t.whole("within_hours", "Withdrawn within", 24, 1, 720, " hours"),
     t.whole("withdrawn_pct", "Share withdrawn", 70, 1, 100, "%")),
    _rapid_words, find_rapid)
