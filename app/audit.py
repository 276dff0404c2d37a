"""Hash-chained audit log: written in the same transaction as the change it records.

Each entry's hash covers its content and the previous entry's hash; a settings row
(the anchor) holds the newest id and hash so that removing entries at the end is
caught too. `verify` names the first entry that was edited, removed or moved.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.audit import AuditEntry
from app.models.users import Setting
from app.roles import Actor

GENESIS = "0" * 64
ANCHOR_KEY = "audit_anchor"


def jsonable(value: Any) -> Any:
    """Make a value storable as JSON exactly as it will be hashed."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"  # never the content itself
    return value


def _digest(prev_hash: str, at: datetime, actor_name: str, action: str, entity: str,
            entity_id: str, before: Any, after: Any) -> str:
    body = json.dumps(
        [prev_hash, at.astimezone(UTC).isoformat(), actor_name, action, entity, entity_id,
         before, after],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(session: Session, actor: Actor | None, action: str, entity: str, entity_id: object,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry. Call inside the write transaction that makes the change."""
    anchor = session.get(Setting, ANCHOR_KEY)
    prev_id, prev_hash = (0, GENESIS)
    if anchor is not None:
        raw_id, prev_hash = anchor.value.split(":", 1)
        prev_id = int(raw_id)
    at = datetime.now(UTC)
    before_j, after_j = jsonable(before), jsonable(after)
    actor_name = actor.username if actor else "system"
    entry = AuditEntry(
        id=prev_id + 1, at=at, actor_id=actor.id if actor else None, actor_name=actor_name,
        action=action, entity=entity, entity_id=str(entity_id), before=before_j, after=after_j,
        prev_hash=prev_hash,
        hash=_digest(prev_hash, at, actor_name, action, entity, str(entity_id), before_j, after_j),
    )
    session.add(entry)
    value = f"{entry.id}:{entry.hash}"
    if anchor is None:
        session.add(Setting(key=ANCHOR_KEY, value=value))
    else:
        anchor.value = value
    session.flush()
    return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    message: str
    entry_id: int | None = None


def verify(session: Session) -> VerifyResult:
    prev_hash, expected_id, checked = GENESIS, 1, 0
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
    for e in rows.yield_per(5000):
        where = f"entry #{e.id} ({e.at:%Y-%m-%d %H:%M:%S} UTC, {e.actor_name}, {e.action})"
        if e.id != expected_id:
            return VerifyResult(False, checked, f"Entries #{expected_id} to #{e.id - 1} are "
                                f"missing: they were deleted from the audit log.", expected_id)
        own = _digest(e.prev_hash, e.at, e.actor_name, e.action, e.entity, e.entity_id,
                      e.before, e.after)
        if own != e.hash:
            return VerifyResult(False, checked, f"The audit log was edited: {where} no longer "
                                "matches what was written.", e.id)
        if e.prev_hash != prev_hash:
            return VerifyResult(False, checked, f"The audit log was reordered or cut: {where} "
                                "does not follow the entry before it.", e.id)
        prev_hash, expected_id, checked = e.hash, expected_id + 1, checked + 1
    anchor = session.get(Setting, ANCHOR_KEY)
    expected_anchor = f"{expected_id - 1}:{prev_hash}" if checked else None
    if (anchor.value if anchor else None) != expected_anchor:
        return VerifyResult(False, checked, "The newest audit entries were deleted: the log "
                            f"ends at #{expected_id - 1} but more had been written.", expected_id)
    return VerifyResult(True, checked, f"Audit log verified: {checked} entries, chain intact.")
