"""Sanctions and PEP screening as the desk uses it.

- import_list(desk, source, paths): store a new list version from its official files
  (refused when the same files were imported before); a screening of all clients
  against it is then due: run rescreen_all on a worker thread.
- rescreen_all(desk, trigger, progress, cancelled): screen every client again, in
  batches that survive cancel and crash; rescreen_needed(desk) says one is due.
- screen_client_in(s, actor, client, trigger): screen one client inside the caller's
  write transaction (onboarding, change of name); screen_client(desk, client_id).
- review_hit(desk, hit_id, true_match, reason), lift_freeze(desk, client_id, reason).
- open_hits(desk), hits_for_client(desk, client_id), lists(desk): what screens show;
  unscreened_clients(desk): how many clients wait for a screening against the lists.
- screen_waiting(store, budget_s): screen clients that came without one (from the
  platform), a few batches at a time; the sync engine calls it between exchanges.
"""

from app.services.screening.clients import TRIGGERS, screen_client, screen_client_in
from app.services.screening.due import unscreened_clients
from app.services.screening.hits import Tally
from app.services.screening.importing import import_list
from app.services.screening.rescreen import RunResult, rescreen_all, rescreen_needed
from app.services.screening.review import lift_freeze, review_hit
from app.services.screening.views import HitView, ListVersion, hits_for_client, lists, open_hits
from app.services.screening.waiting import screen_waiting

__all__ = ["TRIGGERS", "HitView", "ListVersion", "RunResult", "Tally", "hits_for_client",
           "import_list", "lift_freeze", "lists", "open_hits", "rescreen_all",
           "rescreen_needed", "review_hit", "screen_client", "screen_client_in", "screen_waiting",
           "unscreened_clients"]
