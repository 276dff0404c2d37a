"""Scoring many clients: in this process, or on every core.

Scoring is pure Python and CPU-bound, so screening all clients splits each batch
over worker processes (spawned, not forked: the desk has threads and open database
connections). Each worker builds the same Screener from the active entries once;
only client facts go out and (entry, score, name, reasons) come back. Clients
with the same name, birth date and country are scored once.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from app.screening.matcher import Entry, Hit
from app.screening.screener import Screener
from app.services.screening.active import ActiveLists, ClientFacts, SubjectKey, subject_of

# Below this many clients the workers' start-up (~1 s each) costs more than it saves.
POOL_FROM = 20_000
Found = list[tuple[str, str, int, str, list[str]]]

_screener: Screener | None = None  # in a worker process


def _load(entries: list[Entry]) -> None:
    global _screener
    _screener = Screener(entries)


def _score_keys(keys: list[SubjectKey]) -> list[Found]:
    assert _screener is not None
    return [[(h.entry.list_id, h.entry.entry_id, h.score, h.matched_name, h.reasons)
             for h in _screener.screen(subject_of(k))] for k in keys]


def default_workers(clients: int) -> int:
    cores = os.cpu_count() or 1
    return min(cores, 4) if clients >= POOL_FROM and cores > 1 else 1


class Scorer:
    """Screens batches of clients against the active lists; close() when done."""

    def __init__(self, active: ActiveLists, workers: int = 1) -> None:
        self.active = active
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        if workers > 1:
            self._pool = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_load, initargs=(list(active.entries.values()),))

    def screen(self, clients: list[ClientFacts]) -> dict[int, list[Hit]]:
        keys: dict[SubjectKey, list[int]] = {}
        for c in clients:
            keys.setdefault(c.key(), []).append(c.id)
        unique = list(keys)
        if self._pool is None:
            found = [self.active.screener.screen(subject_of(k)) for k in unique]
        else:
            size = max(1, -(-len(unique) // (self.workers * 4)))
            chunks = [unique[i:i + size] for i in range(0, len(unique), size)]
            found = [self._hits(f) for part in self._pool.map(_score_keys, chunks)
                     for f in part]
        return {cid: list(hits) for key, hits in zip(unique, found, strict=True)
                for cid in keys[key]}

    def _hits(self, found: Found) -> list[Hit]:
        entries = self.active.entries
        return [Hit(entries[int(list_id), ref], score, name, list(reasons))
                for list_id, ref, score, name, reasons in found]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Scorer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
