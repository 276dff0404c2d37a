"""What a run looks at: the clients in scope, the period, the dollar rates, and the
temporary tables every rule reads (payments that count, with their time in epoch ms
and their amount in US cents).

Payments that count: completed deposits (the money arrived) and withdrawals that were
asked for and not failed, cancelled or rejected (the intent to take money out is what
the rules look at). A payment's time is when it was made (`created_at`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from app.kyc.fx import Rate
from app.money import exponent, format_money

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
# Dollar rates as integers: US cents = amount_minor * num / RATE_DEN (six significant
# places of a rate are plenty to compare with a threshold, and the product stays far
# inside SQLite's 64-bit integers for any real payment).
RATE_DEN = 10**6
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "backdesk:monitoring-alert")
KEY_LIMIT = 200
MS_SQL = ("(CAST(strftime('%s', {c}) AS INTEGER) * 1000"
          " + CAST(substr({c}, 21, 3) AS INTEGER))")
COUNTED = ("(p.direction = 'deposit' AND p.status = 'completed') OR (p.direction = 'withdrawal'"
           " AND p.status NOT IN ('failed', 'cancelled', 'rejected'))")
TRADES = "action IN ('buy', 'sell')"


def alert_key(rule: str, subject: str, *anchors: str) -> str:
    """rule:subject:anchors, e.g. little_trading:C1000123:PAY00001234; a key longer
    than the column keeps its start and a digest of the rest."""
    key = ":".join((rule, subject, *anchors))
    if len(key) <= KEY_LIMIT:
        return key
    import hashlib

    return key[:KEY_LIMIT - 17] + "#" + hashlib.sha256(key.encode()).hexdigest()[:16]


def alert_uid(key: str) -> str:
    """The same activity gives the same alert id on every desk that runs the rules."""
    return str(uuid.uuid5(NAMESPACE, key))


@dataclass
class Hit:
    rule: str
    key: str
    client_id: int | None
    summary: str
    evidence: dict[str, Any]
    at_ms: int
    # The key this activity had while its client was known only on this desk (by
    # local id): once the platform knows the client, the same activity is not new.
    local_key: str | None = None


@dataclass
class Scope:
    """Which clients a run checks (None: all of them); for the partner rule which
    partners and which months (None: all partners, every month in the period); for
    the shared-details rule the clients whose details or payments changed (None: the
    clients checked; deals alone change no detail)."""

    clients: set[int] | None = None
    partners: set[int] | None = None
    months: set[str] | None = None
    details: set[int] | None = None


def cents_per_minor(currency: str, rate: Rate) -> int:
    per_unit = (1 / rate.mid) if rate.inverted else rate.mid
    value = per_unit * 100 * RATE_DEN / Decimal(10) ** exponent(currency)
    return int(value.to_integral_value(rounding=ROUND_HALF_EVEN))


def day_text(ms: int) -> str:
    d = datetime.fromtimestamp(ms // 1000, UTC)
    return f"{d.day} {d:%b %Y}"


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def usd_text(cents: int) -> str:
    return format_money(cents, "USD")


def plain(cents: int) -> str:
    return format(Decimal(cents).scaleb(-2), ".2f")


@dataclass
class Context:
    db: Any
    scope: Scope
    from_ms: int
    to_ms: int
    now: datetime
    rates: dict[str, Rate]
    clients_checked: int = 0
    unconverted: dict[str, int] = field(default_factory=dict)
    _refs: dict[int, tuple[str, str]] = field(default_factory=dict)

    # -- the temporary tables -------------------------------------------------------------

    def prepare(self) -> None:
        db = self.db
        self.drop()
        db.execute("CREATE TEMP TABLE mon_scope (client_id INTEGER PRIMARY KEY)")
        if self.scope.clients is None:
            db.execute("INSERT INTO mon_scope SELECT id FROM clients")
        else:
            db.executemany("INSERT INTO mon_scope VALUES (?)",
                           [(c,) for c in sorted(self.scope.clients)])
        self.clients_checked = int(db.execute("SELECT count(*) FROM mon_scope").fetchone()[0])
        db.execute("CREATE TEMP TABLE mon_rate (currency TEXT PRIMARY KEY, num INTEGER)")
        rows = [("USD", RATE_DEN)]
        for currency, rate in self.rates.items():
            if currency != "USD":
                try:
                    rows.append((currency, cents_per_minor(currency, rate)))
                except Exception:  # noqa: S112 - a currency we cannot scale stays unconverted
                    continue
        db.executemany("INSERT INTO mon_rate VALUES (?, ?)", rows)
        # The payment's id is the table's rowid: evidence looks payments up by it.
        db.execute(
            "CREATE TEMP TABLE mon_pay (id INTEGER PRIMARY KEY, uid TEXT, client_id INTEGER,"
            " account_id INTEGER, direction TEXT, method TEXT, status TEXT,"
            " amount_minor INTEGER, currency TEXT, payer_name TEXT, payer_account TEXT,"
            " ms INTEGER, usd INTEGER)")
        db.execute(
            "INSERT INTO mon_pay SELECT p.id, p.uid, p.client_id, p.account_id,"
            " p.direction, p.method, p.status, p.amount_minor, p.currency, p.payer_name,"
            " p.payer_account, " + MS_SQL.format(c="p.created_at") + ","
            f" p.amount_minor * r.num / {RATE_DEN}"
            # A few clients: through their index; all of them: one pass over the table.
            + (" FROM payment_requests p JOIN mon_scope s ON s.client_id = p.client_id"
               if self.scope.clients is None else
               " FROM mon_scope s CROSS JOIN payment_requests p ON p.client_id = s.client_id")
            + " LEFT JOIN mon_rate r ON r.currency = p.currency WHERE " + COUNTED)
        db.execute("CREATE INDEX temp.mon_pay_client ON mon_pay (client_id, direction, ms)")
        self.unconverted = {str(c): int(n) for c, n in db.execute(
            "SELECT currency, count(*) FROM mon_pay WHERE usd IS NULL GROUP BY currency")}

    def drop(self) -> None:
        for table in ("mon_pay", "mon_rate", "mon_scope"):
            self.db.execute(f"DROP TABLE IF EXISTS temp.{table}")

    # -- names and references for keys, summaries and evidence ------------------------------

    def refs(self, client_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """client id -> (the id every desk knows it by, its display name)."""
        missing = sorted({c for c in client_ids if c not in self._refs})
        for i in range(0, len(missing), 500):
            chunk = missing[i:i + 500]
            for cid, external, name in self.db.execute(
                    "SELECT id, external_id, display_name FROM clients WHERE id IN"
                    f" ({','.join('?' * len(chunk))})", chunk):
                self._refs[int(cid)] = (str(external) if external else f"L{cid}", str(name))
        return self._refs

    def ref(self, client_id: int) -> str:
        return self.refs([client_id])[client_id][0]

    def name(self, client_id: int) -> str:
        return self.refs([client_id])[client_id][1]

    def client_evidence(self, client_id: int) -> dict[str, Any]:
        ref, name = self.refs([client_id])[client_id]
        return {"client": ref, "name": name}

    def payments(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """The counted payments, oldest first, as evidence lists them."""
        if not ids:
            return []
        out = []
        for i in range(0, len(ids), 500):
            chunk = list(ids[i:i + 500])
            out += self.db.execute(
                "SELECT uid, direction, method, status, amount_minor, currency, usd, ms,"
                " payer_name, payer_account FROM mon_pay WHERE id IN"
                f" ({','.join('?' * len(chunk))})", chunk).fetchall()
        out.sort(key=lambda r: (r[7], r[0]))
        return [{"payment": uid, "direction": direction, "method": method, "status": status,
                 "amount": format(Decimal(amount).scaleb(-exponent(currency)), "f"),
                 "currency": currency, "usd": None if usd is None else plain(int(usd)),
                 "at": iso(int(ms)), "payer_name": payer, "payer_account": account}
                for uid, direction, method, status, amount, currency, usd, ms, payer, account
                in out]

    def hit(self, rule: str, client_id: int | None, anchors: Sequence[str], summary: str,
            evidence: dict[str, Any], at_ms: int, subject: str | None = None) -> Hit:
        subject = subject or (self.ref(client_id) if client_id is not None else "-")
        local = f"L{client_id}"
        local_key = (alert_key(rule, local, *anchors)
                     if client_id is not None and subject != local else None)
        return Hit(rule, alert_key(rule, subject, *anchors), client_id, summary[:500],
                   evidence, at_ms, local_key)

    def in_period(self, column: str) -> str:
        """A condition keeping anchors inside the run's period."""
        return f"{column} BETWEEN {int(self.from_ms)} AND {int(self.to_ms)}"
