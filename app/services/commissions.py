"""Commission runs and payouts: accrue, propose per partner, approve with four eyes,
pay through the outbox, and book what was paid.

A run over a period gathers each partner's unpaid accruals up to the period's end
(earlier unpaid ones included, so a negative balance carries forward) and proposes
one payout per partner and currency when the total is above zero. A finance officer
other than the one who prepared it approves or rejects each payout; a rejected
payout's accruals count as unpaid again. An approved payout is paid as an agent
commission balance operation into the partner's trading account; once the gateway
has done it, the ledger moves the amount from the partner's payable to the
platform, where the platform's AGENT deal takes it into the account.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.commissions.accrue import accrue_new_deals
from app.commissions.book import Book
from app.commissions.payouts import UNPAID, link_accruals, linked_sum
from app.commissions.recalc import (
    PENDING,
    Recalculated,
    locked_until,
    recalculate_from,
    recalculate_pending,
)
from app.crm.search_index import dbapi
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.models.partners import CommissionRun, Partner, Payout, PayoutStatus, RunStatus
from app.models.trading import TradingAccount
from app.models.users import User
from app.money import from_minor
from app.roles import Permission, require
from app.services.outbox import enqueue, put_record, signer
from app.services.workspace import Desk
from app.workspace.store import Store

_WIRE_STATUS = {PayoutStatus.PROPOSED: "pending_approval", PayoutStatus.APPROVED: "approved",
                PayoutStatus.SENT: "approved", PayoutStatus.PAID: "paid",
                PayoutStatus.REJECTED: "rejected"}


def catch_up(db: Any) -> int:
    """Accrue every deal recorded so far; the accruals written."""
    written = 0
    book = Book.load(db)
    while (made := accrue_new_deals(db, book=book)) is not None:
        written += made
    return written


def accrue_waiting(desk: Desk) -> int:
    require(desk.actor, Permission.VIEW)
    written = 0
    while True:
        with desk.store.write() as s:
            made = accrue_new_deals(dbapi(s))
        if made is None:
            return written
        written += made


def recalculate_after_sync(store: Store) -> Recalculated | None:
    """The recalculation late links noted during a sync (a client linked to its partner
    after its deals arrived), once per sync exchange."""
    with store.read() as s:
        if dbapi(s).execute("SELECT 1 FROM settings WHERE key = ?", (PENDING,)).fetchone() \
                is None:
            return None
    with store.write() as s:
        return recalculate_pending(dbapi(s))


def recalculate(desk: Desk, day: date) -> Recalculated:
    require(desk.actor, Permission.MANAGE_PARTNERS)
    with desk.store.write() as s:
        locked = locked_until(dbapi(s))
        if locked is not None and day <= locked:
            raise ValidationFailed(f"Commission up to {locked:%d %b %Y} is in a payout run "
                                   "and stays as it was; recalculate from a later date.",
                                   "effective_from")
        done = recalculate_from(dbapi(s), day)
        audit.record(s, desk.actor, "commission.recalculate", "commissions", day.isoformat(),
                     after={"from_deal": done.first_deal, "before": done.accruals_before,
                            "after": done.accruals_after,
                            "changed": {f"{p}:{c}": v for (p, c), v in done.changed.items()}})
        return done


def _wire_preparer(s: Session, p: Payout) -> str | None:
    """The name the payout was first sent with (the gateway keeps it as signed)."""
    db = dbapi(s)
    for sql in ("SELECT json_extract(payload, '$.data.prepared_by') FROM outbox"
                " WHERE kind = 'put-record' AND entity = 'payout' AND entity_ref = ?"
                " ORDER BY device_seq LIMIT 1",
                "SELECT json_extract(data, '$.prepared_by') FROM shared_records"
                " WHERE kind = 'payout' AND id = ?"):
        row = db.execute(sql, (p.uid,)).fetchone()
        if row is not None and row[0]:
            return str(row[0])
    return None


def _share_payout(s: Session, desk: Desk, p: Payout,
                  revert: dict[str, Any] | None = None) -> None:
    partner = s.get(Partner, p.partner_id)
    approved = s.get(User, p.approved_by) if p.approved_by is not None else None
    assert partner is not None
    put_record(s, desk.actor, "payout", p.uid, p.server_version, {
        "partner_id": partner.uid, "period_start": p.period_start.isoformat(),
        "period_end": p.period_end.isoformat(),
        "amount": format(from_minor(p.amount_minor, p.currency), "f"), "currency": p.currency,
        "status": _WIRE_STATUS[p.status],
        "prepared_by": _wire_preparer(s, p) or signer(s, desk.actor),
        "approved_by": None if approved is None else signer(s, desk.actor)}, revert=revert)


@dataclass(frozen=True)
class RunResult:
    run_id: int
    payouts: int
    totals: dict[str, int]      # currency -> minor units proposed
    carried: int                # partners whose balance stays unpaid (zero or below)


def prepare_run(desk: Desk, first: date, last: date) -> RunResult:
    """Propose payouts for commission up to the end of `last` (server dates)."""
    require(desk.actor, Permission.MANAGE_PARTNERS)
    if last < first:
        raise ValidationFailed("The period ends before it starts.", "period")
    with desk.store.write() as s:
        db = dbapi(s)
        catch_up(db)
        _, end = Book.load(db).ms_range(first, last)
        run = CommissionRun(uid=str(uuid.uuid4()), period_start=first, period_end=last,
                            prepared_by=desk.actor.id, status=RunStatus.PROPOSED)
        s.add(run)
        s.flush()
        balances = db.execute(
            "SELECT partner_id, currency, sum(amount_minor) FROM commission_accruals"
            f" WHERE {UNPAID} AND time_ms < ? GROUP BY partner_id, currency"
            " ORDER BY partner_id, currency", (end,)).fetchall()
        totals: dict[str, int] = {}
        made = carried = 0
        for pid, cur, amount in balances:
            if amount <= 0:
                carried += 1
                continue
            p = Payout(uid=str(uuid.uuid4()), partner_id=pid, period_start=first,
                       period_end=last, amount_minor=amount, currency=cur,
                       status=PayoutStatus.PROPOSED, prepared_by=desk.actor.id, run_id=run.id)
            s.add(p)
            s.flush()
            link_accruals(db, p.id, pid, cur, last)
            _share_payout(s, desk, p)
            totals[cur] = totals.get(cur, 0) + amount
            made += 1
        put_record(s, desk.actor, "commission_run", run.uid, 0, {
            "period_start": first.isoformat(), "period_end": last.isoformat(),
            "status": "calculated", "prepared_by": signer(s, desk.actor),
            "totals": {c: format(from_minor(v, c), "f") for c, v in totals.items()}},
            revert=None)
        audit.record(s, desk.actor, "commission.run", "commission_run", run.id,
                     after={"period": f"{first}..{last}", "payouts": made, "totals": totals})
        return RunResult(run.id, made, totals, carried)


def _payout(s: Session, payout_id: int) -> Payout:
    p = s.get(Payout, payout_id)
    if p is None:
        raise NotFound(f"There is no payout #{payout_id}.")
    return p


def decide_payout(desk: Desk, payout_id: int, approve: bool, reason: str = "") -> None:
    require(desk.actor, Permission.APPROVE_PAYOUTS)
    with desk.store.write() as s:
        p = _payout(s, payout_id)
        if p.prepared_by == desk.actor.id:
            raise PermissionDenied("You prepared this payout run: another finance officer "
                                   "must approve or reject its payouts.")
        if p.status is not PayoutStatus.PROPOSED:
            raise ValidationFailed(f"This payout is already {p.status.value}.", "status")
        if approve:
            _check_linked(s, p)
        if not approve and not reason.strip():
            raise ValidationFailed("Say why the payout is rejected; the partner manager "
                                   "will see it.", "reason")
        p.status = PayoutStatus.APPROVED if approve else PayoutStatus.REJECTED
        p.approved_by = desk.actor.id if approve else None
        p.decided_at = datetime.now(UTC)
        p.reason = reason.strip()[:300]
        s.flush()
        # A rejected payout's accruals count as unpaid again (the next run takes them);
        # if the gateway refuses the decision, the payout goes back to proposed.
        _share_payout(s, desk, p, revert={"table": "payouts", "id": p.id, "values": {
            "status": "proposed", "approved_by": None, "decided_at": None, "reason": ""}})
        audit.record(s, desk.actor, "payout.approve" if approve else "payout.reject",
                     "payout", p.id, after={"amount": p.amount_minor, "currency": p.currency,
                                            "reason": p.reason})
        _close_run(s, p.run_id)


def _close_run(s: Session, run_id: int | None) -> None:
    run = s.get(CommissionRun, run_id) if run_id is not None else None
    if run is None:
        return
    waiting = s.scalar(select(Payout.id).where(Payout.run_id == run.id,
                                               Payout.status == PayoutStatus.PROPOSED).limit(1))
    if waiting is None:
        run.status = RunStatus.DECIDED


def _check_linked(s: Session, p: Payout) -> None:
    """A payout pays exactly the accruals it holds on this desk, or it does not go."""
    linked = linked_sum(dbapi(s), p.id)
    if linked != p.amount_minor:
        raise ValidationFailed(
            f"This payout is {from_minor(p.amount_minor, p.currency)} {p.currency} but the "
            f"commission it holds here is {from_minor(linked, p.currency)}: it may already "
            "be paid by another payout. Reject it and prepare a new run.", "amount")


def send_payout(desk: Desk, payout_id: int) -> int:
    """Queue the agent commission for an approved payout; the outbox row id."""
    require(desk.actor, Permission.APPROVE_PAYOUTS)
    with desk.store.write() as s:
        p = _payout(s, payout_id)
        if p.status is not PayoutStatus.APPROVED:
            raise ValidationFailed(f"Only an approved payout can be paid; this one is "
                                   f"{p.status.value}.", "status")
        _check_linked(s, p)
        partner = s.get(Partner, p.partner_id)
        assert partner is not None
        account = (s.get(TradingAccount, partner.payout_account_id)
                   if partner.payout_account_id is not None else None)
        if account is None:
            raise ValidationFailed(f"{partner.name} has no trading account to pay "
                                   "commission into: set one on the partner first.",
                                   "payout_account")
        if account.currency != p.currency:
            raise ValidationFailed(f"{partner.name}'s payout account {account.login} is in "
                                   f"{account.currency}, the payout in {p.currency}.",
                                   "payout_account")
        amount = format(from_minor(p.amount_minor, p.currency), "f")
        row = enqueue(s, desk.actor, "balance-operation", {
            "login": account.login, "operation": "agent_commission", "amount": amount,
            "comment": f"IB payout {p.uid[:8]}"}, entity="payout", entity_ref=p.uid,
            revert={"table": "payouts", "id": p.id, "values": {"status": "approved"}})
        p.status = PayoutStatus.SENT
        audit.record(s, desk.actor, "payout.send", "payout", p.id,
                     after={"login": account.login, "amount": amount, "currency": p.currency,
                            "device_seq": row.device_seq})
        return row.id


@dataclass(frozen=True)
class PayoutRow:
    id: int
    partner_id: int
    partner: str
    code: str
    period_start: date
    period_end: date
    amount_minor: int
    currency: str
    status: str
    prepared_by: str
    approved_by: str
    reason: str
    accruals: int
    can_decide: bool


def payouts(desk: Desk, status: str | None = None, run_id: int | None = None
            ) -> list[PayoutRow]:
    require(desk.actor, Permission.VIEW)
    where: list[str] = []
    args: list[Any] = []
    if status:
        where.append("p.status = ?")
        args.append(status)
    if run_id is not None:
        where.append("p.run_id = ?")
        args.append(run_id)
    sql = ("SELECT p.id, p.partner_id, pa.name, pa.referral_code, p.period_start,"
           " p.period_end, p.amount_minor, p.currency, p.status, u1.full_name,"
           " coalesce(u2.full_name, ''), p.reason, p.prepared_by,"
           " (SELECT count(*) FROM commission_accruals a WHERE a.payout_id = p.id)"
           " FROM payouts p JOIN partners pa ON pa.id = p.partner_id"
           " JOIN users u1 ON u1.id = p.prepared_by LEFT JOIN users u2 ON u2.id = p.approved_by"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY p.id DESC")
    with desk.store.read() as s:
        rows = dbapi(s).execute(sql, args).fetchall()
    can = desk.actor.can(Permission.APPROVE_PAYOUTS)
    return [PayoutRow(i, pid, name, code, date.fromisoformat(str(a)[:10]),
                      date.fromisoformat(str(b)[:10]), amount, cur, st, prep, appr, reason,
                      n, can and st == "proposed" and prepared_by != desk.actor.id)
            for (i, pid, name, code, a, b, amount, cur, st, prep, appr, reason, prepared_by, n)
            in rows]
