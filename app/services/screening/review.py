"""A compliance officer's decisions on screening hits, and on frozen clients.

A confirmed match freezes the client (no new accounts, no money out) until
compliance lifts the freeze with a reason. Decisions on clients the gateway knows
are sent to it as `screening_review` records, in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from app import audit
from app.errors import NotFound, ValidationFailed
from app.models.crm import Client
from app.models.kyc import HitStatus, ScreeningHit
from app.roles import Permission, require
from app.services.outbox import put_record, signer
from app.services.workspace import Desk

# Our statuses as the gateway's ScreeningReview record names them.
WIRE_STATUS = {HitStatus.OPEN: "open", HitStatus.TRUE_MATCH: "confirmed",
               HitStatus.FALSE_POSITIVE: "false_positive"}


def review_hit(desk: Desk, hit_id: int, true_match: bool, reason: str = "") -> None:
    """Decide a hit: a true match (freezes the client) or a false positive (needs the
    reason, e.g. 'different date of birth and nationality')."""
    require(desk.actor, Permission.REVIEW_SCREENING)
    reason = " ".join(reason.split())
    if not true_match and not reason:
        raise ValidationFailed("Say why this client is not the listed person or entity "
                               "(for example a different date of birth).", "reason")
    if len(reason) > 500:
        raise ValidationFailed("Keep the reason under 500 characters.", "reason")
    with desk.store.write() as s:
        hit = s.get(ScreeningHit, hit_id)
        if hit is None:
            raise NotFound("This screening hit no longer exists.")
        if hit.status is not HitStatus.OPEN:
            raise ValidationFailed(f"This hit was already reviewed as "
                                   f"{hit.status.value.replace('_', ' ')}.", "hit")
        client = s.get(Client, hit.client_id)
        if client is None:
            raise NotFound("The client of this hit no longer exists.")
        now = datetime.now(UTC)
        hit.status = HitStatus.TRUE_MATCH if true_match else HitStatus.FALSE_POSITIVE
        hit.reviewed_by, hit.reviewed_at, hit.review_reason = desk.actor.id, now, reason
        hit.version += 1
        listed = str(hit.reasons.get("entry", {}).get("name", hit.matched_name))
        if true_match and not client.frozen:
            client.frozen = True
            client.frozen_reason = (f"Confirmed match on {hit.list_name} {hit.list_version}, "
                                    f"entry {hit.entry_ref} ({listed})")[:500]
            client.version += 1
            audit.record(s, desk.actor, "client.freeze", "client", client.id,
                         after={"reason": client.frozen_reason, "hit": hit.id})
        if client.external_id is not None:
            # Nothing to put back locally if the gateway refuses: the decision stands
            # here and the refusal is shown in the sync view.
            put_record(s, desk.actor, "screening_review", hit.uid, hit.server_version, {
                "client_id": client.external_id, "list_name": hit.list_name,
                "list_version": hit.list_version, "entry_ref": hit.entry_ref,
                "matched_name": hit.matched_name, "score": hit.score,
                "status": WIRE_STATUS[hit.status], "reviewed_by": signer(s, desk.actor),
                "review_reason": reason}, revert=None)
        audit.record(s, desk.actor, "screening_hit.review", "client", client.id,
                     before={"status": HitStatus.OPEN.value},
                     after={"hit": hit.id, "status": hit.status.value, "reason": reason,
                            "list": f"{hit.list_name} {hit.list_version}",
                            "entry": hit.entry_ref, "score": hit.score})


def lift_freeze(desk: Desk, client_id: int, reason: str) -> None:
    """Compliance lifts a freeze (e.g. the client was delisted, or the match was wrong)."""
    require(desk.actor, Permission.REVIEW_SCREENING)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed("Say why the freeze is lifted.", "reason")
    with desk.store.write() as s:
        client = s.get(Client, client_id)
        if client is None:
            raise NotFound("This client no longer exists.")
        if not client.frozen:
            raise ValidationFailed(f"{client.display_name} is not frozen.", "client")
        before = client.frozen_reason
        client.frozen, client.frozen_reason = False, ""
        client.version += 1
        audit.record(s, desk.actor, "client.unfreeze", "client", client_id,
                     before={"frozen_reason": before}, after={"reason": reason})
