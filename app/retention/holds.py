"""Closed clients, when each relationship ended, and what holds a client's records back.

The end is `clients.closed_at`, set when the client is closed. Clients closed before
it was recorded have none: their last change (`updated_at`) stands in, and they are
reported as such. A later change only moves that date forward, so records are never
removed early because of it.

A closed client is held (nothing of theirs is purged, whatever the period says)
while any of these lasts; each is named in the preview and the purge's result:
frozen by compliance; an alert or compliance case not closed; a screening hit not
reviewed; money or credit on a trading account, open positions, or client money in
the ledger; a payment not settled; changes waiting to be sent to the gateway; an
active partner account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.models.payments import PaymentStatus
from app.money import format_money

_CLOSED = "SELECT id FROM clients WHERE status = 'closed'"
UNSETTLED_PAYMENTS = (PaymentStatus.REQUESTED, PaymentStatus.PENDING_APPROVAL,
                      PaymentStatus.APPROVED, PaymentStatus.PENDING, PaymentStatus.PROCESSING)
# The shared records about a client the outbox sends, and how to find the client (`x`).
_WAITING_RECORDS = (
    ("note", "notes x"), ("task", "tasks x"), ("kyc_case", "kyc_cases x"),
    ("kyc_document", "(SELECT d.uid, k.client_id FROM kyc_documents d JOIN kyc_cases k"
                     " ON k.id = d.case_id) x"),
    ("screening_review", "screening_hits x"), ("alert", "alerts x"),
    ("compliance_case", "compliance_cases x"))


@dataclass(frozen=True)
class ClosedClient:
    id: int
    name: str
    ended: date
    inferred: bool  # no closing date recorded: the last change of the record stands in
    held: tuple[str, ...]  # why nothing of theirs may go now (empty: not held)


def _money(minor: int, currency: str) -> str:
    try:
        return format_money(minor, currency)
    except Exception:  # a currency this version cannot format: still say how much
        return f"{minor} {currency} (minor units)"


def _ids(label: str, ids: Iterable[int]) -> str:
    found = sorted(ids)
    shown = ", ".join(f"#{i}" for i in found[:5]) + (", ..." if len(found) > 5 else "")
    return f"{len(found)} {label}{'s' if len(found) > 1 else ''} ({shown})"


def _reasons(db: Any) -> dict[int, list[str]]:
    why: dict[int, list[str]] = {}

    def add(cid: int, text: str) -> None:
        why.setdefault(int(cid), []).append(text)

    for (cid,) in db.execute(f"SELECT id FROM clients WHERE id IN ({_CLOSED}) AND frozen"):
        add(cid, "frozen by compliance")
    for table, label in (("alerts", "open alert"), ("compliance_cases", "open compliance case")):
        found: dict[int, list[int]] = {}
        for cid, rid in db.execute(f"SELECT client_id, id FROM {table} WHERE status != 'closed'"
                                   f" AND client_id IN ({_CLOSED})"):
            found.setdefault(cid, []).append(rid)
        for cid, ids in found.items():
            add(cid, _ids(label, ids))
    hits: dict[int, list[int]] = {}
    for cid, rid in db.execute("SELECT client_id, id FROM screening_hits WHERE status = 'open'"
                               f" AND client_id IN ({_CLOSED})"):
        hits.setdefault(cid, []).append(rid)
    for cid, ids in hits.items():
        add(cid, _ids("screening hit", ids) + " not reviewed yet")
    for cid, login, currency, balance, credit in db.execute(
            "SELECT t.client_id, t.login, t.currency, s.balance_minor, s.credit_minor"
            " FROM trading_accounts t JOIN account_states s ON s.account_id = t.id"
            f" WHERE t.client_id IN ({_CLOSED}) AND (s.balance_minor != 0"
            " OR s.credit_minor != 0) ORDER BY t.login"):
        parts = [f"balance {_money(balance, currency)}"] if balance else []
        parts += [f"credit {_money(credit, currency)}"] if credit else []
        add(cid, f"money left on trading account {login} ({', '.join(parts)})")
    for cid, login, n in db.execute(
            "SELECT t.client_id, t.login, count(*) FROM positions p JOIN trading_accounts t"
            f" ON t.id = p.account_id WHERE t.client_id IN ({_CLOSED})"
            " GROUP BY t.id ORDER BY t.login"):
        add(cid, f"{n} open position{'s' if n > 1 else ''} on trading account {login}")
    for cid, currency, amount in db.execute(
            "SELECT a.client_id, a.currency, sum(p.amount_minor) FROM ledger_accounts a"
            " JOIN postings p ON p.ledger_account_id = a.id"
            f" WHERE a.client_id IN ({_CLOSED}) GROUP BY a.id HAVING sum(p.amount_minor) != 0"):
        add(cid, f"client money held in the ledger ({_money(-int(amount), currency)})")
    # The client's trading balance as the ledger has it (its account names the trading
    # account, not the client: app.ledger.chart.trading), where the platform's differs.
    for cid, login, currency, amount in db.execute(
            "SELECT t.client_id, t.login, a.currency, sum(p.amount_minor) FROM trading_accounts t"
            " JOIN ledger_accounts a ON a.code = 'trading:' || t.platform || ':' || t.login"
            " || ':' || t.currency JOIN postings p ON p.ledger_account_id = a.id"
            " LEFT JOIN account_states s ON s.account_id = t.id"
            f" WHERE t.client_id IN ({_CLOSED}) GROUP BY a.id HAVING sum(p.amount_minor) != 0"
            " AND -sum(p.amount_minor) != coalesce(s.balance_minor, 0) ORDER BY t.login"):
        add(cid, f"client money in the ledger for trading account {login} "
                 f"({_money(-int(amount), currency)})")
    marks = ",".join("?" * len(UNSETTLED_PAYMENTS))
    for cid, pid, direction, status in db.execute(
            "SELECT client_id, id, direction, status FROM payment_requests"
            f" WHERE status IN ({marks}) AND client_id IN ({_CLOSED}) ORDER BY id",
            [s.value for s in UNSETTLED_PAYMENTS]):
        add(cid, f"{direction} #{pid} not settled ({status.replace('_', ' ')})")
    waiting = {int(cid) for (cid,) in db.execute(
            "SELECT DISTINCT c.id FROM clients c WHERE c.status = 'closed' AND EXISTS"
            " (SELECT 1 FROM outbox o WHERE o.status IN ('pending', 'in_flight', 'conflict')"
            " AND ((o.entity IN ('client', 'client_profile') AND o.entity_ref = c.external_id)"
            " OR (o.entity = 'account' AND o.entity_ref IN (SELECT CAST(t.login AS TEXT)"
            " FROM trading_accounts t WHERE t.client_id = c.id))))")}
    # A record of theirs removed while its command waits would still be sent, and the
    # next pull would bring it back.
    for entity, rows in _WAITING_RECORDS:
        waiting |= {int(cid) for (cid,) in db.execute(
            f"SELECT DISTINCT x.client_id FROM outbox o JOIN {rows} ON x.uid = o.entity_ref"
            " WHERE o.status IN ('pending', 'in_flight', 'conflict') AND o.entity = ?"
            f" AND x.client_id IN ({_CLOSED})", (entity,))}
    for cid in sorted(waiting):
        add(cid, "changes waiting to be sent to the gateway")
    for (cid,) in db.execute("SELECT DISTINCT client_id FROM partners WHERE active"
                             f" AND client_id IN ({_CLOSED})"):
        add(cid, "an active partner (introducing broker)")
    return why


def closed_clients(db: Any) -> dict[int, ClosedClient]:
    """Every closed client with the end of the relationship and what holds them."""
    why = _reasons(db)
    out: dict[int, ClosedClient] = {}
    for cid, name, closed_at, updated_at in db.execute(
            "SELECT id, display_name, closed_at, updated_at FROM clients"
            " WHERE status = 'closed'"):
        ended = str(closed_at if closed_at is not None else updated_at)[:10]
        out[cid] = ClosedClient(cid, name, date.fromisoformat(ended), closed_at is None,
                                tuple(why.get(cid, ())))
    return out


def past(clients: dict[int, ClosedClient], cutoff: date) -> list[int]:
    """Clients not held whose relationship ended before `cutoff`."""
    return sorted(c.id for c in clients.values() if not c.held and c.ended < cutoff)


def held_past(clients: dict[int, ClosedClient], cutoff: date) -> list[int]:
    return sorted(c.id for c in clients.values() if c.held and c.ended < cutoff)
