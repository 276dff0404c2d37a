"""Screening every client again, after a list update or on request.

Runs on a worker thread, in batches: each batch's hits, the clients' screened_at and
the run's counts are committed together, so a cancelled or killed run loses nothing
and doubles nothing. Running it again continues the unfinished run for the same list
versions: clients screened since the run started are not screened twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from app import audit
from app.errors import ValidationFailed
from app.models.crm import Client
from app.models.kyc import ScreeningRun
from app.roles import Actor, Permission, require
from app.screening.matcher import Hit
from app.services.screening.active import (
    FACT_COLUMNS,
    ActiveLists,
    ClientFacts,
    active_lists,
    facts_of,
)
from app.services.screening.hits import Tally, record_hits
from app.services.workspace import Desk

BATCH = 2000  # clients per transaction: the write lock is held ~tens of ms per batch
_COLUMNS = [getattr(Client, c) for c in FACT_COLUMNS]


@dataclass(frozen=True)
class RunResult:
    run_id: int
    finished: bool      # False: cancelled; running again continues it
    tally: Tally        # what this call screened (a resumed run counted before, too)


def require_rescreen(actor: Actor) -> None:
    if not actor.can(Permission.IMPORT_LISTS):
        require(actor, Permission.REVIEW_SCREENING)


def _due(since: datetime) -> ColumnElement[bool]:
    return or_(Client.screened_at.is_(None), Client.screened_at < since)


def _run_for(s: Session, active: ActiveLists, trigger: str, actor: Actor,
             now: datetime) -> ScreeningRun:
    """The unfinished run for these list versions, else a new one; unfinished runs
    for older versions are closed as superseded (this run screens everyone)."""
    run = None
    for old in s.scalars(select(ScreeningRun).where(ScreeningRun.finished_at.is_(None))
                         .order_by(ScreeningRun.id)):
        if run is None and old.lists.get("lists") == active.signature["lists"]:
            run = old
        else:
            old.finished_at, old.lists = now, {**old.lists, "state": "superseded"}
    if run is None:
        run = ScreeningRun(trigger=trigger, started_at=now, actor_id=actor.id,
                           lists={**active.signature, "new": 0, "reopened": 0})
        s.add(run)
    run.lists = {**run.lists, "state": "running"}
    s.flush()
    return run


def rescreen_needed(desk: Desk) -> bool:
    """True while a list update's screening of all clients has not finished."""
    with desk.store.read() as s:
        return s.scalar(select(func.count()).select_from(ScreeningRun)
                        .where(ScreeningRun.finished_at.is_(None))) != 0


def _screen(active: ActiveLists, clients: list[ClientFacts]) -> dict[int, list[Hit]]:
    return {c.id: active.screener.screen(c.subject()) for c in clients}


def _write_batch(s: Session, active: ActiveLists, run_id: int, since: datetime,
                 batch: list[ClientFacts], found: dict[int, list[Hit]]) -> Tally:
    # A client edited or screened since the batch was read is checked again as it is now.
    ids = [c.id for c in batch]
    current = {r.id: facts_of(r) for r in s.execute(
        select(*_COLUMNS).where(Client.id.in_(ids), _due(since)))}
    found = {cid: hits for cid, hits in found.items() if cid in current}
    changed = [c for c in batch if c.id in current and current[c.id] != c]
    found.update(_screen(active, [current[c.id] for c in changed]))
    now = datetime.now(UTC)
    tally = record_hits(s, found, active, now)
    if found:  # updated_at stays: being screened is not an edit of the client
        s.execute(update(Client).where(Client.id.in_(list(found)))
                  .values(screened_at=now, updated_at=Client.updated_at))
    run = s.get(ScreeningRun, run_id)
    assert run is not None
    run.clients += tally.clients
    run.hits += tally.hits
    run.lists = {**run.lists, "new": run.lists.get("new", 0) + tally.new,
                 "reopened": run.lists.get("reopened", 0) + tally.reopened}
    return tally


def rescreen_all(desk: Desk, trigger: str = "list_update",
                 progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> RunResult:
    """Screen every client not yet screened against the active lists.
    `progress(done, total)` is called after each batch; `cancelled()` is asked
    before each one. Call from a worker thread: it takes seconds to minutes."""
    require_rescreen(desk.actor)
    with desk.store.read() as s:
        active = active_lists(s)
    if not active.lists:
        raise ValidationFailed("Import a sanctions or PEP list first: there is nothing to "
                               "screen the clients against.", "lists")
    with desk.store.write() as s:
        run = _run_for(s, active, trigger, desk.actor, datetime.now(UTC))
        run_id, since, done_before = run.id, run.started_at, run.clients
    with desk.store.read() as s:
        todo = s.scalar(select(func.count()).select_from(Client).where(_due(since))) or 0
    total, tally, last = done_before + todo, Tally(), 0
    while True:
        if cancelled is not None and cancelled():
            with desk.store.write() as s:
                paused = s.get(ScreeningRun, run_id)
                assert paused is not None
                paused.lists = {**paused.lists, "state": "paused"}
            return RunResult(run_id, False, tally)
        with desk.store.read() as s:
            rows = s.execute(select(*_COLUMNS).where(Client.id > last, _due(since))
                             .order_by(Client.id).limit(BATCH)).all()
        if not rows:
            break
        batch = [facts_of(r) for r in rows]
        found = _screen(active, batch)
        with desk.store.write() as s:
            tally.add(_write_batch(s, active, run_id, since, batch, found))
        last = rows[-1].id
        if progress is not None:
            progress(min(done_before + tally.clients, total), total)
    with desk.store.write() as s:
        done = s.get(ScreeningRun, run_id)
        assert done is not None
        done.finished_at, done.lists = datetime.now(UTC), {**done.lists, "state": "done"}
        audit.record(s, desk.actor, "screening.rescreen", "screening_run", run_id,
                     after={"trigger": done.trigger, "clients": done.clients,
                            "hits": done.hits, "new": done.lists.get("new", 0),
                            "reopened": done.lists.get("reopened", 0),
                            "lists": done.lists.get("lists", [])})
    return RunResult(run_id, True, tally)
