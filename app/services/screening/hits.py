"""Writing what a screening found: one hit per client, list and entry, whatever
number of times the client is screened.

An open hit is brought up to date. A hit reviewed as a false positive stays closed
unless the client now matches a different name of the entry or scores higher; then
it opens again and says why. A confirmed match is left as the reviewer decided.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.kyc import HitStatus, ScreeningHit
from app.screening.matcher import Hit
from app.services.screening.active import ActiveLists


@dataclass
class Tally:
    """What one or more screenings found."""

    clients: int = 0
    hits: int = 0       # results at or above the threshold, old and new
    new: int = 0        # hits a reviewer has not seen before
    reopened: int = 0   # false positives opened again
    opened: list[int] = field(default_factory=list)  # ids of new and reopened hits

    def add(self, other: Tally) -> None:
        self.clients += other.clients
        self.hits += other.hits
        self.new += other.new
        self.reopened += other.reopened
        self.opened += other.opened


def _details(hit: Hit) -> dict[str, Any]:
    entry = hit.entry
    return {"why": list(hit.reasons),
            "entry": {"name": entry.names[0].text, "kind": entry.kind,
                      "birth_dates": list(entry.birth_dates),
                      "countries": sorted(entry.countries), "programs": list(entry.programs),
                      "remarks": entry.remarks}}


def _why_reopened(old: ScreeningHit, hit: Hit) -> str | None:
    if hit.score > old.score:
        return (f"Reopened: the score rose from {old.score} to {hit.score} since it was "
                "marked a false positive.")
    if hit.matched_name != old.matched_name:
        return (f"Reopened: the client now matches the listed name {hit.matched_name!r} "
                f"(it was {old.matched_name!r} when marked a false positive).")
    return None


def record_hits(s: Session, found: dict[int, list[Hit]], active: ActiveLists,
                now: datetime) -> Tally:
    """Store the results of screening the clients in `found` (client id → hits)."""
    tally = Tally(clients=len(found))
    hits_found = [(cid, h) for cid, hits in found.items() for h in hits]
    if not hits_found:
        return tally
    existing: dict[tuple[int, str, str], ScreeningHit] = {}
    ids = sorted({cid for cid, _ in hits_found})
    for i in range(0, len(ids), 500):
        for row in s.scalars(select(ScreeningHit)
                             .where(ScreeningHit.client_id.in_(ids[i:i + 500]))
                             .order_by(ScreeningHit.id)):
            existing.setdefault((row.client_id, row.list_name, row.entry_ref), row)
    added: list[ScreeningHit] = []
    reopened: list[ScreeningHit] = []
    for cid, hit in hits_found:
        tally.hits += 1
        info = active.info(hit.entry)
        details = _details(hit)
        old = existing.get((cid, info.name, hit.entry.entry_id))
        if old is None:
            row = ScreeningHit(uid=str(uuid.uuid4()), client_id=cid, list_name=info.name,
                               list_version=info.version, entry_ref=hit.entry.entry_id,
                               matched_name=hit.matched_name[:300], score=hit.score,
                               reasons=details, status=HitStatus.OPEN,
                               created_at=now, updated_at=now)
            s.add(row)
            existing[cid, info.name, hit.entry.entry_id] = row
            added.append(row)
        elif old.status is HitStatus.OPEN:
            if (old.score, old.matched_name, old.list_version, old.reasons) != (
                    hit.score, hit.matched_name, info.version, details):
                old.score, old.matched_name = hit.score, hit.matched_name[:300]
                old.list_version, old.reasons = info.version, details
        elif old.status is HitStatus.FALSE_POSITIVE:
            why = _why_reopened(old, hit)
            if why is not None:
                details["why"].insert(0, why)
                details["earlier_review"] = {"reason": old.review_reason,
                                             "reviewed_by": old.reviewed_by,
                                             "reviewed_at": old.reviewed_at.isoformat()
                                             if old.reviewed_at else None,
                                             "score": old.score,
                                             "matched_name": old.matched_name}
                old.status, old.score = HitStatus.OPEN, hit.score
                old.matched_name, old.list_version = hit.matched_name[:300], info.version
                old.reasons, old.review_reason = details, ""
                old.reviewed_by = old.reviewed_at = None
                old.version += 1
                reopened.append(old)
    s.flush()
    tally.new, tally.reopened = len(added), len(reopened)
    tally.opened = [r.id for r in added + reopened]
    return tally
