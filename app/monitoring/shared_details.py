"""Many clients sharing one payment instrument, phone number, address or device: the
mark of accounts opened for someone else (money mules) or of one person behind several
clients.

Instruments are the payer accounts of payments (IBANs, wallets, crypto addresses);
a masked card (****1234) identifies nothing and is left out. Phones are compared by
their digits, addresses as folded words, devices as the platform's fingerprints.
One alert per shared value and group of clients: the same group raises nothing new,
a client joining it does.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from app.models.compliance import Severity
from app.monitoring import thresholds as t
from app.monitoring.context import Context, Hit
from app.monitoring.spec import RuleSpec, Settings
from app.text import fold

_DIGITS = ("replace(replace(replace(replace(replace(replace(replace({c}, ' ', ''), '-', ''),"
           " '(', ''), ')', ''), '.', ''), '+', ''), '/', '')")
_INSTRUMENT = "upper(replace(replace(payer_account, ' ', ''), '-', ''))"
# kind -> (what the clients hold, as (client_id, value) rows)
_VALUES = {
    "payment instrument": (
        f"SELECT DISTINCT client_id, {_INSTRUMENT} AS value FROM payment_requests"
        " WHERE length(payer_account) >= 6 AND instr(payer_account, '*') = 0"),
    "phone": (
        f"SELECT client_id, value FROM (SELECT id AS client_id, {_DIGITS.format(c='phone')}"
        " AS value FROM clients WHERE phone <> '' UNION SELECT client_id,"
        f" {_DIGITS.format(c='value')} FROM client_contacts WHERE kind = 'phone')"
        " WHERE length(value) >= 7"),
    "device": "SELECT client_id, device AS value FROM client_devices",
}
_WORDS = re.compile(r"[^\w]+")
NOUN = {"payment instrument": "payment instrument", "phone": "phone number",
        "address": "address", "device": "device"}


def _holders(ctx: Context) -> set[int] | None:
    return ctx.scope.details if ctx.scope.details is not None else ctx.scope.clients


def _groups(ctx: Context, sql: str, need: int) -> dict[str, list[int]]:
    scoped = "" if _holders(ctx) is None else \
        " AND value IN (SELECT value FROM v JOIN mon_details s ON s.client_id = v.client_id)"
    rows = ctx.db.execute(
        f"WITH v AS MATERIALIZED ({sql}) SELECT value, group_concat(DISTINCT client_id)"
        f" FROM v WHERE 1 = 1{scoped} GROUP BY value HAVING count(DISTINCT client_id) >= ?",
        (need,))
    return {str(value): sorted(int(c) for c in str(ids).split(",")) for value, ids in rows}


def _addresses(ctx: Context, need: int) -> dict[str, list[int]]:
    held: dict[str, set[int]] = {}
    for cid, value in ctx.db.execute(
            "SELECT client_id, value FROM client_contacts WHERE kind = 'address'"):
        folded = " ".join(_WORDS.sub(" ", fold(str(value))).split())
        if folded:
            held.setdefault(folded, set()).add(int(cid))
    scope = _holders(ctx)
    return {value: sorted(ids) for value, ids in held.items()
            if len(ids) >= need and (scope is None or ids & scope)}


def find(ctx: Context, cfg: Settings) -> list[Hit]:
    need = cfg.whole("min_clients")
    holders = _holders(ctx)
    if holders is not None and not holders:
        return []   # only deals arrived: no detail changed
    ctx.db.execute("DROP TABLE IF EXISTS temp.mon_details")
    ctx.db.execute("CREATE TEMP TABLE mon_details (client_id INTEGER PRIMARY KEY)")
    try:
        ctx.db.executemany("INSERT INTO mon_details VALUES (?)",
                           [(c,) for c in sorted(holders or ())])
        found = {kind: _groups(ctx, sql, need) for kind, sql in _VALUES.items()}
    finally:
        ctx.db.execute("DROP TABLE IF EXISTS temp.mon_details")
    found["address"] = _addresses(ctx, need)
    hits = []
    for kind, groups in found.items():
        for value, ids in groups.items():
            hits.append(_hit(ctx, cfg, kind, value, ids))
    return hits


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _hit(ctx: Context, cfg: Settings, kind: str, value: str, ids: list[int]) -> Hit:
    refs = ctx.refs(ids)
    group = sorted(refs[c][0] for c in ids)
    # On the group's latest client, by the id every desk knows it by (C1000123 after
    # C999999): two desks put the alert on the same client.
    newest = max(ids, key=lambda c: (len(refs[c][0]), refs[c][0]))
    subject = f"{kind.split()[-1]}-{_digest(value)}"
    hit = ctx.hit(cfg.spec.rule, newest, [f"group-{_digest(' '.join(group))}"], "", {},
                  ctx.to_ms, subject=subject)
    names = "; ".join(refs[c][1] for c in ids[:5]) + ("; …" if len(ids) > 5 else "")
    hit.summary = (f"{len(ids)} clients share one {NOUN[kind]} ({_shown(kind, value)}): "
                   f"{names}.")
    hit.evidence = {"kind": kind, "value": value, "count": len(ids),
                    "clients": [{"client": refs[c][0], "name": refs[c][1]} for c in ids],
                    "thresholds": {k: cfg.shown(k) for k in cfg.values}}
    return hit


def _shown(kind: str, value: str) -> str:
    if kind == "device":
        return f"device {value[:12]}…" if len(value) > 12 else f"device {value}"
    return value[:60]


def _words(v: Mapping[str, str]) -> str:
    return (f"{v['min_clients']} or more clients using the same payment instrument, phone "
            "number, address or device (one alert per shared value and group of clients; "
            "masked card numbers are not compared).")


SHARED_DETAILS = RuleSpec(
    "shared_details", "Clients sharing payment details, phone, address or device",
    Severity.MEDIUM, 14,
    (t.whole("min_clients", "Clients sharing one", 3, 2, 1000),),
    _words, find)
