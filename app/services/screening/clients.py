"""Screening one client: at onboarding, after a change of name, or on request."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app import audit
from app.errors import NotFound
from app.models.crm import Client
from app.models.kyc import ScreeningRun
from app.roles import Actor, Permission, require
from app.services.screening.active import active_lists, facts_of
from app.services.screening.hits import Tally, record_hits
from app.services.workspace import Desk

TRIGGERS = ("onboarding", "name_change", "list_update", "manual")


def screen_client_in(s: Session, actor: Actor | None, client: Client,
                     trigger: str = "onboarding") -> Tally:
    """Screen `client` against the active lists inside the caller's write transaction
    (client creation or edit), so the client and its hits are saved together. Without
    any imported list nothing is recorded and the client stays unscreened."""
    active = active_lists(s)
    if not active.lists:
        return Tally()
    s.flush()  # a new client needs its id
    now = datetime.now(UTC)
    found = active.screener.screen(facts_of(client).subject())
    tally = record_hits(s, {client.id: found}, active, now)
    client.screened_at = now
    s.add(ScreeningRun(trigger=trigger, started_at=now, finished_at=now, clients=1,
                       hits=tally.hits, actor_id=actor.id if actor else None,
                       lists={**active.signature, "state": "done", "new": tally.new,
                              "reopened": tally.reopened}))
    if tally.opened:
        audit.record(s, actor, "screening.hits", "client", client.id,
                     after={"trigger": trigger, "new": tally.new,
                            "reopened": tally.reopened,
                            "entries": [f"{active.info(h.entry).name} {h.entry.entry_id} "
                                        f"({h.score})" for h in found]})
    return tally


def screen_client(desk: Desk, client_id: int, trigger: str = "manual") -> Tally:
    """Screen one client now, as its own transaction."""
    if not desk.actor.can(Permission.REVIEW_SCREENING):
        require(desk.actor, Permission.EDIT_CLIENTS)
    with desk.store.write() as s:
        client = s.get(Client, client_id)
        if client is None:
            raise NotFound("This client no longer exists.")
        return screen_client_in(s, desk.actor, client, trigger)
