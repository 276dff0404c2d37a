"""Running the rules: their settings as stored, the hits they find in one read snapshot,
the alerts those hits become, and what arrived since the last run after a sync.

The finding runs in a read transaction (WAL: it never blocks the sync's writes); the
alerts are written afterwards in one short write transaction that checks each key
again, so two runs racing raise an alert once.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.kyc.fx import usd_rates
from app.models.compliance import Severity
from app.monitoring.context import Context, Hit, Scope, alert_uid
from app.monitoring.registry import RULES
from app.monitoring.spec import DAYS_TO_REVIEW, Settings, read_values

MAX_MS = 2**53  # no upper bound on activity times


def load_settings(db: Any) -> dict[str, Settings]:
    stored = {str(r): (bool(e), str(sev), json.loads(th) if isinstance(th, str) else th)
              for r, e, sev, th in db.execute(
                  "SELECT rule, enabled, severity, thresholds FROM monitoring_rules")}
    out: dict[str, Settings] = {}
    for rule, spec in RULES.items():
        enabled, severity, values = stored.get(rule, (True, spec.severity.value, {}))
        values = values if isinstance(values, dict) else {}
        days = values.get(DAYS_TO_REVIEW, spec.days_to_review)
        out[rule] = Settings(spec, enabled, Severity(severity),
                             days if isinstance(days, int) and not isinstance(days, bool)
                             else spec.days_to_review, read_values(spec, values))
    return out


@dataclass
class Found:
    settings: dict[str, Settings]
    hits: list[Hit]
    clients_checked: int
    found: dict[str, int]
    seconds: dict[str, float]
    unconverted: dict[str, int] = field(default_factory=dict)


def find(s: Session, db: Any, scope: Scope, from_ms: int, to_ms: int,
         now: datetime) -> Found:
    """Every enabled rule over the scope, inside the caller's read transaction."""
    settings = load_settings(db)
    ctx = Context(db, scope, from_ms, to_ms, now, usd_rates(s))
    hits: list[Hit] = []
    found: dict[str, int] = {}
    seconds: dict[str, float] = {}
    ctx.prepare()
    try:
        for rule, cfg in settings.items():
            if not cfg.enabled:
                continue
            t = time.perf_counter()
            made = cfg.spec.find(ctx, cfg)
            seconds[rule] = round(time.perf_counter() - t, 3)
            found[rule] = len(made)
            hits += made
    finally:
        ctx.drop()
    return Found(settings, hits, ctx.clients_checked, found, seconds, ctx.unconverted)


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def raise_alerts(db: Any, hits: list[Hit], settings: dict[str, Settings],
                 now: datetime) -> list[tuple[int, str]]:
    """Writes the hits whose key has no alert yet (open, closed or in a case);
    returns (alert id, rule) of those raised."""
    fresh: dict[str, Hit] = {}
    for h in hits:
        fresh.setdefault(h.key, h)
    known_as = {h.local_key: h.key for h in fresh.values() if h.local_key}
    keys = list(fresh) + list(known_as)
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        for (key,) in db.execute(f"SELECT key FROM alerts WHERE key IN"
                                 f" ({','.join('?' * len(chunk))})", chunk):
            fresh.pop(known_as.get(key, key), None)
    at, today = stamp(now), now.astimezone(UTC).date()
    db.executemany(
        "INSERT INTO alerts (uid, rule, severity, client_id, status, summary, evidence, key,"
        " due_date, version, server_version, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, 1, 0, ?, ?) ON CONFLICT DO NOTHING",
        [(alert_uid(h.key), h.rule, settings[h.rule].severity.value, h.client_id, h.summary,
          json.dumps(h.evidence, ensure_ascii=False, sort_keys=True), h.key,
          (today + timedelta(days=settings[h.rule].days_to_review)).isoformat(), at, at)
         for h in fresh.values()])
    raised: list[tuple[int, str]] = []
    keys = list(fresh)
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        raised += [(int(a), str(r)) for a, r in db.execute(
            f"SELECT id, rule FROM alerts WHERE created_at = ? AND key IN"
            f" ({','.join('?' * len(chunk))})", [at, *chunk])]
    return sorted(raised)


# -- what arrived since the last run after a sync ---------------------------------------------

def quick_mark(db: Any) -> dict[str, Any]:
    """Cheap figures that change whenever something the rules read arrives."""
    one = {name: db.execute(sql).fetchone()[0] for name, sql in (
        ("deal", "SELECT max(id) FROM deals"),
        ("payment", "SELECT max(id) FROM payment_requests"),
        ("status", "SELECT max(id) FROM payment_status_changes"),
        ("contact", "SELECT max(id) FROM client_contacts"),
        ("client", "SELECT max(id) FROM clients"),
        ("clients_at", "SELECT max(updated_at) FROM clients"),
        ("partner", "SELECT max(id) FROM partners"))}
    return {k: (v if v is None or isinstance(v, int) else str(v)) for k, v in one.items()}


def touched(db: Any, mark: dict[str, Any]) -> Scope:
    """The clients, partners and months activity arrived for since `mark`."""
    def since(name: str) -> int:
        value = mark.get(name)
        return int(value) if isinstance(value, int) else 0

    traded = {int(c) for c, in db.execute(
        "SELECT DISTINCT a.client_id FROM deals d JOIN trading_accounts a"
        " ON a.id = d.account_id WHERE d.id > ? AND a.client_id IS NOT NULL", (since("deal"),))}
    changed: set[int] = set()
    for sql, arg in (
            ("SELECT DISTINCT client_id FROM payment_requests WHERE id > ?", since("payment")),
            ("SELECT DISTINCT p.client_id FROM payment_status_changes c JOIN payment_requests p"
             " ON p.id = c.payment_id WHERE c.id > ?", since("status")),
            ("SELECT DISTINCT client_id FROM client_contacts WHERE id > ?", since("contact")),
            ("SELECT id FROM clients WHERE id > ?", since("client"))):
        changed.update(int(c) for c, in db.execute(sql, (arg,)))
    seen = mark.get("clients_at")
    if isinstance(seen, str) and seen:
        # Strictly later than the newest change the last run saw. A desk edit stamped
        # just before that but committed just after it is missed here (a window of
        # milliseconds); the client's next activity or an on-demand run looks at it.
        changed.update(int(c) for c, in db.execute(
            "SELECT id FROM clients WHERE updated_at > ?", (seen,)))
    clients = traded | changed
    months = {str(m) for m, in db.execute(
        "SELECT DISTINCT strftime('%Y-%m', time_ms / 1000, 'unixepoch') FROM deals"
        " WHERE id > ? AND entry = 'out'", (since("deal"),))}
    partners: set[int] = set()
    ids = sorted(clients)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        partners.update(int(p) for p, in db.execute(
            "SELECT DISTINCT partner_id FROM clients WHERE partner_id IS NOT NULL AND id IN"
            f" ({','.join('?' * len(chunk))})", chunk))
    # A partner that arrived after its clients: they are its now.
    clients.update(int(c) for c, in db.execute(
        "SELECT id FROM clients WHERE partner_id > ?", (since("partner"),)))
    arrived = {int(p) for p, in db.execute(
        "SELECT id FROM partners WHERE id > ?", (since("partner"),))}
    partners.update(arrived)
    # ... and so are the months its clients traded in before it arrived (rare: a
    # partner arrives once, so every month of the partners in scope is looked at).
    return Scope(clients, partners, None if arrived else months, changed)
