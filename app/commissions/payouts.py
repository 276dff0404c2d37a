"""Payouts and the accruals they pay, on every desk.

A payout from another desk links this desk's own accruals of the same partner,
currency and period, so no desk proposes them again. A payout the gateway has paid
is marked paid and booked. The sync applier calls both with every page.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.commissions.book import SERVER_OFFSET, day_start_ms, setting
from app.ledger import chart
from app.ledger.chart import Accounts
from app.ledger.journal import Draft, post_many, stamp


def settle_sent(db: Any) -> int:
    """Payouts whose agent commission the gateway has done become paid, and the ledger
    moves the amount from the partner's payable to the platform (where the platform's
    AGENT deal takes it into the account). The paying desk tells the gateway the payout
    is paid, so no other desk sends it again; a desk that learns it from the gateway
    books it the same way. Run after each push and pull; idempotent."""
    done = db.execute(
        "SELECT p.id, p.uid, p.partner_id, p.amount_minor, p.currency, o.sent_at"
        " FROM payouts p JOIN outbox o ON o.entity = 'payout' AND o.entity_ref = p.uid"
        " AND o.kind = 'balance-operation' WHERE p.status = 'sent' AND o.status = 'done'"
    ).fetchall()
    for pid, uid, *_ in done:
        db.execute("UPDATE payouts SET status = 'paid' WHERE id = ?", (pid,))
        _share_paid(db, uid)
    elsewhere = db.execute(
        "SELECT p.id, p.uid, p.partner_id, p.amount_minor, p.currency, NULL FROM payouts p"
        " WHERE p.status = 'paid' AND NOT EXISTS (SELECT 1 FROM journal_entries j"
        " WHERE j.source_kind = 'payout' AND j.source_ref = p.uid)").fetchall()
    drafts = []
    for _, uid, partner, amount, cur, sent_at in {r[0]: r for r in [*done, *elsewhere]}.values():
        at = sent_at if isinstance(sent_at, str) else stamp(datetime.now(UTC))
        drafts.append(Draft("payout", uid, f"Commission payout {uid[:8]}",
                            ((chart.ib_payable(f"P{partner}", cur), amount),
                             (chart.ib_payable("platform", cur), -amount)), at))
    if drafts:
        post_many(db, Accounts(db), drafts)
    return len(done)


def _share_paid(db: Any, uid: str) -> None:
    """Queues the gateway's copy of a payout as paid (signatures as they stand)."""
    row = db.execute("SELECT version, data FROM shared_records WHERE kind = 'payout'"
                     " AND id = ? AND deleted = 0", (uid,)).fetchone()
    if row is None or json.loads(row[1])["status"] == "paid":
        return
    payload = {"kind": "payout", "id": uid, "base_version": int(row[0]), "deleted": False,
               "data": {**json.loads(row[1]), "status": "paid"}}
    (seq,) = db.execute("SELECT coalesce(max(device_seq), 0) + 1 FROM outbox").fetchone()
    db.execute(
        "INSERT INTO outbox (device_seq, idempotency_key, kind, payload, status, attempts,"
        " last_error, created_at, entity, entity_ref) VALUES (?, ?, 'put-record', ?,"
        " 'pending', 0, '', ?, 'payout', ?)",
        (seq, uuid.uuid4().hex, json.dumps(payload), stamp(datetime.now(UTC)), uid))


# Accruals not in a payout, or in one that was rejected.
# A rejection still on its way to the gateway keeps its accruals: if the gateway
# refuses it, the payout comes back as proposed with them.
UNPAID = ("(payout_id IS NULL OR payout_id IN (SELECT id FROM payouts WHERE status ="
          " 'rejected' AND uid NOT IN (SELECT entity_ref FROM outbox WHERE entity = 'payout'"
          " AND status IN ('pending', 'in_flight', 'conflict'))))")


def linked_sum(db: Any, payout_id: int) -> int:
    (total,) = db.execute("SELECT coalesce(sum(amount_minor), 0) FROM commission_accruals"
                          " WHERE payout_id = ?", (payout_id,)).fetchone()
    return int(total)


def link_accruals(db: Any, payout_id: int, partner_id: int, currency: str,
                  period_end: date | str) -> int:
    """Accruals of the partner and currency up to the end of the period's last server
    day, not yet in a payout (or in a rejected one), join this payout."""
    day = period_end if isinstance(period_end, date) else date.fromisoformat(period_end[:10])
    end = day_start_ms(day + timedelta(days=1), int(setting(db, SERVER_OFFSET, "0")) * 60_000)
    cur = db.execute(
        "UPDATE commission_accruals SET payout_id = ? WHERE partner_id = ? AND currency = ?"
        f" AND time_ms < ? AND {UNPAID}", (payout_id, partner_id, currency, end))
    return int(cur.rowcount)
