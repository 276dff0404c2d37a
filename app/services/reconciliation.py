"""Reconciliation as staff work it: run it, see the breaks, take one up, resolve it
with a reason, import a provider's statement. Every step is permission-checked here
and audited in the same transaction as the change.

Running needs "run reports" or "post and reverse ledger entries" (compliance can
look; a clerk cannot). Working a break (owner, investigating, resolved) and
importing a statement need "post and reverse ledger entries" (finance).

After each sync exchange the engine calls `reconcile_after_sync`: a full run (every
account, payment and line), skipped when nothing reconciliation reads has changed
since the last run, and spaced out when runs get long (see there).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.crm.search_index import dbapi
from app.errors import NotFound, ValidationFailed
from app.ledger.journal import stamp
from app.models.reconciliation import BreakKind, BreakStatus, ReconException
from app.models.users import User
from app.reconcile.run import find, record
from app.reconcile.statement import Imported, import_file
from app.roles import ROLE_PERMISSIONS, Actor, Permission, require
from app.services.workspace import Desk
from app.workspace.store import Store

SEEN_KEY = "reconcile.seen"  # settings: what the books looked like at the last run
# After-sync runs may take this share of the sync thread's time at most.
AFTER_SYNC_SHARE = 0.1


@dataclass(frozen=True)
class RunReport:
    run_id: int
    accounts: int
    payments: int
    lines: int
    found: int
    new: int
    cleared: int
    closed: int
    seconds: float
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class BreakRecord:
    """One break as the exceptions list shows it."""

    id: int
    kind: BreakKind
    key: str
    status: BreakStatus
    summary: str
    currency: str
    difference_minor: int
    client_id: int | None
    owner: str
    ledger_side: dict[str, Any] | None
    platform_side: dict[str, Any] | None
    provider_side: dict[str, Any] | None
    first_run_id: int
    last_run_id: int
    cleared_run_id: int | None
    resolution: str
    resolved_by: str


def _require_run(actor: Actor) -> None:
    if not actor.can(Permission.RUN_REPORTS):
        require(actor, Permission.POST_LEDGER)


def _seen(db: Any) -> str:
    """A cheap mark of everything a run reads; equal marks mean a run would find
    what the last one found."""
    parts = [db.execute(sql).fetchone() for sql in (
        "SELECT max(id) FROM deals", "SELECT max(id) FROM journal_entries",
        "SELECT count(*), max(updated_at), sum(ticket) FROM payment_requests",
        "SELECT count(*), sum(balance_minor), max(updated_at) FROM account_states",
        "SELECT count(*), sum(length(currency)) FROM trading_accounts",
        "SELECT max(id), sum(copies) FROM provider_lines",
        "SELECT max(id) FROM provider_statements")]
    return repr(parts)[:2000]


def _run(store: Store, trigger: str, actor: Actor | None) -> RunReport:
    started = datetime.now(UTC)
    t = time.perf_counter()
    with store.read() as s:
        db = dbapi(s)
        seen = _seen(db)
        findings = find(db)
    with store.write() as s:
        db = dbapi(s)
        now = stamp(datetime.now(UTC))
        cur = db.execute(
            "INSERT INTO recon_runs (started_at, trigger, run_by, accounts_checked,"
            " payments_checked, lines_checked, breaks_found, breaks_new)"
            " VALUES (?, ?, ?, 0, 0, 0, 0, 0)",
            (stamp(started), trigger, actor.id if actor else None))
        run_id = int(cur.lastrowid)
        outcome = record(db, run_id, findings, now)
        db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key)"
                   " DO UPDATE SET value = excluded.value", (SEEN_KEY, seen))
        by_kind: dict[str, int] = {}
        for b in findings.breaks:
            by_kind[b.kind.value] = by_kind.get(b.kind.value, 0) + 1
        report = RunReport(run_id, findings.accounts, findings.payments, findings.lines,
                           outcome.found, outcome.new, outcome.cleared, outcome.closed,
                           time.perf_counter() - t, by_kind)
        if actor is not None or outcome.new or outcome.cleared:
            audit.record(s, actor, "reconcile.run", "recon_run", run_id, after={
                "trigger": trigger, "found": outcome.found, "new": outcome.new,
                "cleared": outcome.cleared, "closed_by_itself": outcome.closed,
                "by_kind": by_kind})
    return report


def run(desk: Desk) -> RunReport:
    """A full three-way run, on demand."""
    _require_run(desk.actor)
    return _run(desk.store, "on_demand", desk.actor)


def reconcile_after_sync(store: Store, budget_s: float) -> RunReport | None:
    """Run after a sync exchange, unless nothing changed since the last run. A run
    that took longer than `budget_s` spaces the next ones out so reconciliation takes
    at most AFTER_SYNC_SHARE of the sync thread (a 6 s run: at most every minute)."""
    with store.read() as s:
        db = dbapi(s)
        row = db.execute("SELECT value FROM settings WHERE key = ?", (SEEN_KEY,)).fetchone()
        if row is not None and row[0] == _seen(db):
            return None
        last = db.execute("SELECT started_at, finished_at FROM recon_runs"
                          " WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
    if last is not None:
        began, ended = (datetime.fromisoformat(str(x)).replace(tzinfo=UTC) for x in last)
        took = (ended - began).total_seconds()
        since = (datetime.now(UTC) - ended).total_seconds()
        if took > budget_s and since < took * (1 / AFTER_SYNC_SHARE - 1):
            return None
    return _run(store, "after_sync", None)


def _view(e: ReconException, names: dict[int, str]) -> BreakRecord:
    return BreakRecord(e.id, e.kind, e.key, e.status, e.summary, e.currency, e.difference_minor,
                      e.client_id, names.get(e.owner_id or 0, ""), e.ledger_side,
                      e.platform_side, e.provider_side, e.first_run_id, e.last_run_id,
                      e.cleared_run_id, e.resolution, names.get(e.resolved_by or 0, ""))


def list_exceptions(desk: Desk, statuses: set[BreakStatus] | None = None,
                    kind: BreakKind | None = None, limit: int = 1000) -> list[BreakRecord]:
    """Breaks newest first; by default those not resolved."""
    _require_run(desk.actor)
    wanted = statuses or {BreakStatus.OPEN, BreakStatus.INVESTIGATING}
    with desk.store.read() as s:
        q = select(ReconException).where(ReconException.status.in_(wanted))
        if kind is not None:
            q = q.where(ReconException.kind == kind)
        rows = s.scalars(q.order_by(ReconException.id.desc()).limit(limit)).all()
        names = {uid: name for uid, name in s.execute(select(User.id, User.username))}
        return [_view(e, names) for e in rows]


def _get(s: Session, exception_id: int) -> ReconException:
    e = s.get(ReconException, exception_id)
    if e is None:
        raise NotFound(f"There is no reconciliation exception #{exception_id}.")
    return e


def _state(e: ReconException) -> dict[str, Any]:
    return {"status": e.status, "owner_id": e.owner_id, "resolution": e.resolution}


def assign(desk: Desk, exception_id: int, username: str) -> None:
    """Give a break to someone who may work it."""
    require(desk.actor, Permission.POST_LEDGER)
    with desk.store.write() as s:
        e = _get(s, exception_id)
        user = s.scalars(select(User).where(User.username == username.strip())).first()
        if user is None or not user.active:
            raise NotFound(f"There is no active user {username!r}.")
        if Permission.POST_LEDGER not in ROLE_PERMISSIONS[user.role]:
            raise ValidationFailed(f"{user.full_name} ({user.role.label}) cannot work "
                                   "reconciliation breaks; choose someone in finance.", "owner")
        before = _state(e)
        e.owner_id, e.updated_at = user.id, datetime.now(UTC)
        audit.record(s, desk.actor, "reconcile.assign", "recon_exception", e.id,
                     before=before, after=_state(e))


def investigate(desk: Desk, exception_id: int) -> None:
    """Mark a break as being looked into; it becomes the actor's if it had no owner."""
    require(desk.actor, Permission.POST_LEDGER)
    with desk.store.write() as s:
        e = _get(s, exception_id)
        if e.status == BreakStatus.RESOLVED:
            raise ValidationFailed(f"Exception #{e.id} is resolved already.", "status")
        before = _state(e)
        e.status, e.owner_id = BreakStatus.INVESTIGATING, e.owner_id or desk.actor.id
        e.updated_at = datetime.now(UTC)
        audit.record(s, desk.actor, "reconcile.investigate", "recon_exception", e.id,
                     before=before, after=_state(e))


def resolve(desk: Desk, exception_id: int, reason: str) -> None:
    """Close a break; the reason (what was found, what was done) is required and kept."""
    require(desk.actor, Permission.POST_LEDGER)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("Say how the break was resolved: the reason is kept with it.",
                               "reason")
    if len(reason) > 500:
        raise ValidationFailed("Keep the reason under 500 characters.", "reason")
    with desk.store.write() as s:
        e = _get(s, exception_id)
        if e.status == BreakStatus.RESOLVED:
            raise ValidationFailed(f"Exception #{e.id} is resolved already.", "status")
        before = _state(e)
        now = datetime.now(UTC)
        e.status, e.resolution, e.resolved_by, e.resolved_at = (
            BreakStatus.RESOLVED, reason, desk.actor.id, now)
        e.owner_id, e.updated_at = e.owner_id or desk.actor.id, now
        audit.record(s, desk.actor, "reconcile.resolve", "recon_exception", e.id,
                     before=before, after=_state(e))


def import_statement(desk: Desk, provider: str, path: Path,
                     period: tuple[date, date] | None = None) -> Imported:
    """Import a provider's statement file (app/reconcile/statement.py has the format)."""
    require(desk.actor, Permission.POST_LEDGER)
    data = path.read_bytes()
    with desk.store.write() as s:
        done = import_file(dbapi(s), provider, path.name, data, period, desk.actor.id,
                           stamp(datetime.now(UTC)))
        audit.record(s, desk.actor, "reconcile.import_statement", "provider_statement",
                     done.statement_id, after={
                         "provider": provider.strip(), "file": path.name,
                         "lines": done.lines, "already_imported": done.already,
                         "period": [done.period_from, done.period_to]})
    return done
