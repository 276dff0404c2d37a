"""Screening clients that arrived without one: from the trading platform through sync,
or whose name, date of birth or country the platform changed.

The desk screens them itself, as it screens a client a clerk onboards: nobody has to
press a button, and no permission is asked (seeing the hits still needs one). It runs
on the sync thread between exchanges, a few hundred clients at a time, so a first pull
of a large book is screened over the following minutes without holding the stream.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import select, update

from app import audit
from app.models.crm import Client
from app.models.kyc import ScreeningRun
from app.services.screening.active import FACT_COLUMNS, active_lists, facts_of
from app.services.screening.hits import Tally, record_hits
from app.workspace.store import Store

_COLUMNS = [getattr(Client, c) for c in FACT_COLUMNS]
BATCH = 200


def screen_waiting(store: Store, budget_s: float = 0.5) -> Tally:
    """Screen never-screened clients for about `budget_s` seconds, oldest first; each
    batch is written with its hits in one transaction. Returns what was screened."""
    tally = Tally()
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        with store.read() as s:
            active = active_lists(s)
            if not active.lists:
                return tally
            batch = [facts_of(r) for r in s.execute(
                select(*_COLUMNS).where(Client.screened_at.is_(None))
                .order_by(Client.id).limit(BATCH))]
        if not batch:
            return tally
        found = {c.id: active.screener.screen(c.subject()) for c in batch}
        with store.write() as s:
            # Only clients still waiting and unchanged: a clerk's edit screened them anew.
            read = {c.id: c for c in batch}
            still = {r.id for r in s.execute(select(*_COLUMNS).where(
                Client.id.in_(list(found)), Client.screened_at.is_(None)))
                if facts_of(r) == read[r.id]}
            found = {cid: hits for cid, hits in found.items() if cid in still}
            if not found:
                continue
            now = datetime.now(UTC)
            done = record_hits(s, found, active, now)
            s.execute(update(Client).where(Client.id.in_(list(found)))
                      .values(screened_at=now, updated_at=Client.updated_at))
            s.add(ScreeningRun(trigger="onboarding", started_at=now, finished_at=now,
                               clients=done.clients, hits=done.hits, actor_id=None,
                               lists={**active.signature, "state": "done",
                                      "new": done.new, "reopened": done.reopened}))
            for cid, hits in found.items() if done.opened else ():
                if hits:
                    audit.record(s, None, "screening.hits", "client", cid, after={
                        "trigger": "platform client",
                        "entries": [f"{active.info(h.entry).name} {h.entry.entry_id} "
                                    f"({h.score})" for h in hits]})
        tally.add(done)
    return tally
