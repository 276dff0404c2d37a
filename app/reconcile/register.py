"""Breaks kept across runs as exceptions.

A break is the same exception while its key (what is out of line) and signature
(its figures) are the same: a run that finds it again only refreshes its records.

- Figures change on an open or investigating exception: it is updated in place, so
  its owner and notes stay with it.
- Figures change on a resolved one: the resolution held for the old figures only;
  the break comes back as a new open exception.
- A resolved exception found again with the same figures stays resolved.
- A run that no longer finds a break sets `cleared_run_id`. If nobody had taken it
  up (still open, no owner) it closes itself as resolved with no person and says
  so; a break someone owns or is investigating stays with them, marked cleared,
  for them to resolve with a reason. A closed-by-itself break that comes back
  (same figures) is reopened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.reconcile.found import Break

CLOSED_BY_ITSELF = ("Cleared by itself: reconciliation run #{run} no longer finds it, and "
                    "nobody had taken it up.")


@dataclass
class Outcome:
    found: int = 0
    new: int = 0
    cleared: int = 0
    closed: int = 0


def _json(side: dict[str, Any] | None) -> str | None:
    return None if side is None else json.dumps(side, sort_keys=True, default=str)


def keep(db: Any, run_id: int, breaks: list[Break], now: str) -> Outcome:
    found = {b.key: b for b in breaks}
    out = Outcome(found=len(found))
    rows = db.execute("SELECT id, key, signature, status, owner_id, resolved_by, cleared_run_id"
                      " FROM recon_exceptions").fetchall()
    exact = {(r[1], r[2]): r for r in rows}
    active = {r[1]: r for r in rows if r[3] != "resolved"}
    seen: set[int] = set()
    refresh: list[tuple[Any, ...]] = []
    fresh: list[tuple[Any, ...]] = []
    for b in found.values():
        figures = (b.signature, b.summary[:300], b.currency, b.difference, b.client_id,
                   _json(b.ledger_side), _json(b.platform_side), _json(b.provider_side),
                   run_id, now)
        row = exact.get((b.key, b.signature)) or active.get(b.key)
        if row is None:
            fresh.append((b.kind.value, b.key, *figures[:8], run_id, run_id, now, now))
            continue
        seen.add(row[0])
        reopen = row[3] == "resolved" and row[5] is None and row[6] is not None
        refresh.append((*figures, int(reopen), int(reopen), int(reopen), row[0]))
    db.executemany(
        "UPDATE recon_exceptions SET signature = ?, summary = ?, currency = ?,"
        " difference_minor = ?, client_id = ?, ledger_side = ?, platform_side = ?,"
        " provider_side = ?, last_run_id = ?, updated_at = ?, cleared_run_id = NULL,"
        " status = CASE WHEN ? THEN 'open' ELSE status END,"
        " resolution = CASE WHEN ? THEN '' ELSE resolution END,"
        " resolved_at = CASE WHEN ? THEN NULL ELSE resolved_at END WHERE id = ?", refresh)
    db.executemany(
        "INSERT INTO recon_exceptions (kind, key, signature, summary, currency,"
        " difference_minor, client_id, ledger_side, platform_side, provider_side, status,"
        " first_run_id, last_run_id, resolution, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, '', ?, ?)", fresh)
    out.new = len(fresh)
    gone = [r for r in rows if r[6] is None and r[0] not in seen]
    untouched = [r[0] for r in gone if r[3] == "open" and r[4] is None]
    out.cleared, out.closed = len(gone), len(untouched)
    db.executemany("UPDATE recon_exceptions SET cleared_run_id = ?, updated_at = ? WHERE id = ?",
                   [(run_id, now, r[0]) for r in gone])
    db.executemany("UPDATE recon_exceptions SET status = 'resolved', resolution = ?,"
                   " resolved_at = ? WHERE id = ?",
                   [(CLOSED_BY_ITSELF.format(run=run_id), now, rid) for rid in untouched])
    return out
