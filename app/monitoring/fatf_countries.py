"""Activity from countries on FATF's lists (as kept in risk_countries): payments of a
client who lives in one, and bank wires from or to an IBAN of one (its first two
letters are the country).

One alert per client and listed country of residence, and one per client and IBAN:
more payments of the same kind raise nothing new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from app.countries import countries
from app.models.compliance import Severity
from app.monitoring import thresholds as t
from app.monitoring.context import Context, Hit, plain, usd_text
from app.monitoring.spec import RuleSpec, Settings

EVIDENCE_LIMIT = 20
LIST_WORDS = {"call_for_action": "FATF call for action",
              "increased_monitoring": "FATF increased monitoring"}
_IBAN = "upper(replace(p.payer_account, ' ', ''))"
Row = tuple[int, int, int]  # payment id, time, US cents


def _listed(ctx: Context, cfg: Settings) -> dict[str, str]:
    lists = ("call_for_action", "increased_monitoring") if cfg.flag("grey_list") \
        else ("call_for_action",)
    return {str(c): str(w) for c, w in ctx.db.execute(
        "SELECT country, fatf_list FROM risk_countries") if w in lists}


def find(ctx: Context, cfg: Settings) -> list[Hit]:
    listed = _listed(ctx, cfg)
    if not listed:
        return []
    ctx.db.execute("DROP TABLE IF EXISTS temp.mon_listed")
    ctx.db.execute("CREATE TEMP TABLE mon_listed (country TEXT PRIMARY KEY, list TEXT)")
    try:
        ctx.db.executemany("INSERT INTO mon_listed VALUES (?, ?)", list(listed.items()))
        period, least = ctx.in_period("p.ms"), cfg.usd_cents("min_amount")
        # Any payment (no smallest amount) includes those in a currency without a quote.
        counted = "(p.usd >= ? OR (p.usd IS NULL AND ? = 0))"
        residents: dict[tuple[int, str], list[Row]] = {}
        for cid, country, pid, ms, usd in ctx.db.execute(
                "SELECT p.client_id, c.country, p.id, p.ms, p.usd FROM mon_pay p JOIN clients c"
                f" ON c.id = p.client_id JOIN mon_listed l ON l.country = c.country"
                f" WHERE {period} AND {counted} ORDER BY p.client_id, p.ms", (least, least)):
            residents.setdefault((int(cid), str(country)), []).append(
                (int(pid), int(ms), 0 if usd is None else int(usd)))
        wires: dict[tuple[int, str], list[Row]] = {}
        for cid, iban, pid, ms, usd in ctx.db.execute(
                f"SELECT p.client_id, {_IBAN}, p.id, p.ms, p.usd FROM mon_pay p JOIN mon_listed l"
                f" ON l.country = substr({_IBAN}, 1, 2) WHERE p.method = 'bank_wire'"
                f" AND {period} AND {counted} ORDER BY p.client_id, p.ms", (least, least)):
            wires.setdefault((int(cid), str(iban)), []).append(
                (int(pid), int(ms), 0 if usd is None else int(usd)))
    finally:
        ctx.db.execute("DROP TABLE IF EXISTS temp.mon_listed")
    hits = []
    for (cid, country), rows in residents.items():
        hits.append(_hit(ctx, cfg, cid, rows, f"country-{country}", country, listed[country],
                         f"lives in {countries().get(country, country)}"))
    for (cid, iban), rows in wires.items():
        country = iban[:2]
        digest = hashlib.sha256(iban.encode()).hexdigest()[:16]
        hit = _hit(ctx, cfg, cid, rows, f"iban-{digest}", country, listed[country],
                   f"wired money with an account in {countries().get(country, country)}")
        hit.evidence["iban"] = iban
        hits.append(hit)
    return hits


def _hit(ctx: Context, cfg: Settings, cid: int, rows: list[Row], anchor: str, country: str,
         fatf_list: str, what: str) -> Hit:
    records = ctx.payments([r[0] for r in rows[-EVIDENCE_LIMIT:]])
    total = sum(r[2] for r in rows)
    ids = rows
    hit = ctx.hit(cfg.spec.rule, cid, [anchor], "", {}, max(r[1] for r in rows))
    hit.summary = (f"{ctx.name(cid)} {what} ({LIST_WORDS.get(fatf_list, fatf_list)}): "
                   f"{len(ids)} payment{'s' if len(ids) > 1 else ''}"
                   + (f", {usd_text(total)}." if total else "."))
    hit.evidence = {**ctx.client_evidence(cid), "country": country, "fatf_list": fatf_list,
                    "payments": records, "count": len(ids),
                    "total_usd": plain(total),
                    "thresholds": {k: cfg.shown(k) for k in cfg.values}}
    return hit


def _words(v: Mapping[str, str]) -> str:
    grey = "call for action or increased monitoring" if v["grey_list"] == "yes" \
        else "call for action"
    which = "Any payment" if v["min_amount"] == "0.00 USD" else \
        f"Payments of at least {v['min_amount']}"
    return (f"{which} by a client living in a country on FATF's {grey} list, or bank "
            "wires from or to an IBAN of such a country.")


FATF_COUNTRY = RuleSpec(
    "fatf_country", "Activity from FATF-listed countries", Severity.HIGH, 5,
    (t.usd("min_amount", "Payments of at least", "0.00"),
     t.flag("grey_list", "Count the increased-monitoring (grey) list too", True)),
    _words, find)
