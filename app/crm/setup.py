"""What the CRM needs once a workspace is open: current search terms, default segments.

Call `prepare_workspace(store)` after opening or creating a workspace and after demo
data is loaded (on the worker: a backfill of 100,000 clients takes seconds). It is
cheap when there is nothing to do: two small reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.crm.search_index import Progress, RebuildResult, ensure_search_terms
from app.crm.segments import SEEDED_KEY, seed_default_segments
from app.services.workspace import get_setting
from app.workspace.store import Store


@dataclass(frozen=True)
class Prepared:
    search_terms: RebuildResult | None  # None: the terms were current
    segments_added: int


def prepare_workspace(store: Store, progress: Progress | None = None) -> Prepared:
    """`progress(done, total)` reports a search-term backfill as it goes."""
    rebuilt = ensure_search_terms(store, progress)
    added = 0
    with store.read() as s:
        seeded = bool(get_setting(s, SEEDED_KEY))
    if not seeded:
        with store.write() as s:
            added = seed_default_segments(s)
    return Prepared(rebuilt, added)
