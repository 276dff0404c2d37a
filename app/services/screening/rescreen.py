"""Screening every client again, after a list update or on request.

Runs on a worker thread, in batches: each batch's hits, the clients' screened_at and
the run's counts are committed together, so a cancelled or killed run loses nothing
and doubles nothing. Running it again continues the unfinished run for the same list
versions: clients screened since the run started are not screened twice.
"""

from __future__ import annotations

import time
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
from app.services.screening.scoring import Scorer, default_workers
from app.services.workspace import Desk

# Clients per batch: sized to take about BATCH_SECONDS, so a cancel is answered
# within seconds however fast the matcher is; each write holds the lock ~10-50 ms.
BATCH_FIRST, BATCH_MAX, BATCH_SECONDS = 200, 5000, 2.0
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


def _write_batch(s: Session, scorer: Scorer, run_id: int, since: datetime,
                 batch: list[ClientFacts], found: dict[int, list[Hit]]) -> Tally:
    # A client edited or screened since the batch was read is checked again as it is now.
    ids = [c.id for c in batch]
    current = {r.id: facts_of(r) for r in s.execute(
        select(*_COLUMNS).where(Client.id.in_(ids), _due(since)))}
    found = {cid: hits for cid, hits in found.items() if cid in current}
    changed = [c for c in batch if c.id in current and current[c.id] != c]
    if changed:
        found.update(scorer.screen([current[c.id] for c in changed]))
    now = datetime.now(UTC)
    tally = record_hits(s, found, scorer.active, now)
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


def _batches(desk: Desk, scorer: Scorer, run_id: int, since: datetime, tally: Tally,
             report: Callable[[], None], cancelled: Callable[[], bool] | None) -> bool:
    """Screen and write batch after batch; False when cancelled."""
    last, size = 0, BATCH_FIRST
    while True:
        if cancelled is not None and cancelled():
            return False
        with desk.store.read() as s:
            rows = s.execute(select(*_COLUMNS).where(Client.id > last, _due(since))
                             .order_by(Client.id).limit(size)).all()
        if not rows:
            return True
        batch = [facts_of(r) for r in rows]
        start = time.perf_counter()
        found = scorer.screen(batch)
        rate = len(batch) / max(time.perf_counter() - start, 1e-3)
        size = int(min(BATCH_MAX, max(10, rate * BATCH_SECONDS)))
        with desk.store.write() as s:
            tally.add(_write_batch(s, scorer, run_id, since, batch, found))
        last = rows[-1].id
        report()


def rescreen_all(desk: Desk, trigger: str = "list_update",
                 progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None,
                 workers: int | None = None) -> RunResult:
    """Screen every client not yet screened against the active lists.
    `progress(done, total)` is called after each batch; `cancelled()` is asked
    before each one. Call from a worker thread: it takes seconds to minutes.
    `workers` processes score (default: every core, up to 4, for large runs)."""
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
    total = done_before + todo
    tally = Tally()

    def report() -> None:
        if progress is not None:
            progress(min(done_before + tally.clients, total), total)

    with Scorer(active, workers or default_workers(todo)) as scorer:
        finished = _batches(desk, scorer, run_id, since, tally, report, cancelled)
    if not finished:
        with desk.store.write() as s:
            paused = s.get(ScreeningRun, run_id)
            assert paused is not None
            paused.lists = {**paused.lists, "state": "paused"}
        return RunResult(run_id, False, tally)
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
