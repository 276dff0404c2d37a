"""Record retention as staff use it: read the periods, change one, preview a purge,
purge, and see what past purges removed.

Anyone may read the periods; changing them, previewing and purging are workspace
administration (administrators). Every change is audited in its own transaction.
A purge runs as of today or an earlier day, never a later one: a later day would
remove records before their period ends. A preview may look at any day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from app import audit
from app.errors import ValidationFailed
from app.models.retention import RetentionPurge
from app.models.users import User
from app.retention import purge as purging
from app.retention.policies import KINDS, Policy, check_years, kind, read_policies, store_policy
from app.retention.purge import PurgePreview, PurgeResult
from app.roles import Permission, require
from app.services.workspace import Desk

__all__ = ["PurgePreview", "PurgeRecord", "PurgeResult", "policies", "preview_purge", "purge",
           "purge_history", "set_policy"]


def _today() -> date:
    return datetime.now(UTC).date()


def policies(desk: Desk) -> list[Policy]:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return read_policies(s)


def set_policy(desk: Desk, key: str, years: int) -> None:
    """Keep records of kind `key` for `years` after the relationship (or record) ends."""
    require(desk.actor, Permission.MANAGE_WORKSPACE)
    k = kind(key)
    check_years(k, years)
    with desk.store.write() as s:
        current = next(p for p in read_policies(s) if p.kind.key == key)
        if current.years == years and not current.is_default:
            return
        before = store_policy(s, k, years, desk.actor.id)
        audit.record(s, desk.actor, "retention.policy", "retention_policy", key,
                     before={"years": before}, after={"years": years})


def preview_purge(desk: Desk, today: date | None = None) -> PurgePreview:
    """What a purge would remove on `today` (default: today), kind by kind, and which
    closed clients are held and why. Changes nothing."""
    require(desk.actor, Permission.MANAGE_WORKSPACE)
    with desk.store.read() as s:
        return purging.preview(s, today or _today())


def purge(desk: Desk, today: date | None = None) -> PurgeResult:
    """Remove what is past its retention period, a transaction per kind; see
    app.retention.purge. A second purge the same day finds nothing more."""
    require(desk.actor, Permission.MANAGE_WORKSPACE)
    real = _today()
    day = today or real
    if day > real:
        raise ValidationFailed(
            f"A purge runs as of today ({real}) or an earlier day, not {day}: a later day "
            "would remove records before their retention period ends. Preview a later "
            "day instead.", "today")
    run_uid = purging.new_run()
    parts = []
    for k in KINDS:
        with desk.store.write() as s:
            parts.append(purging.purge_kind(s, desk.actor, run_uid, k.key, day))
    result = purging.result(run_uid, day, parts)
    if result.removed:
        _checkpoint(desk)
    return result


def _checkpoint(desk: Desk) -> None:
    """Copy the write-ahead log into the database and empty it: deleted pages are
    zeroed there (secure_delete), and no older copy of them stays in the log."""
    with desk.store.writer.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


@dataclass(frozen=True)
class PurgeRecord:
    run_uid: str
    kind: str
    cutoff: date
    removed: int
    actor: str
    at: datetime


def purge_history(desk: Desk, limit: int = 50) -> list[PurgeRecord]:
    """The newest purges' records, a row per kind (ids are in the stored detail)."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        rows = s.execute(select(RetentionPurge, User.username)
                         .outerjoin(User, User.id == RetentionPurge.actor_id)
                         .order_by(RetentionPurge.id.desc()).limit(limit))
        return [PurgeRecord(p.run_uid, p.kind, p.cutoff, p.removed, name or "system", p.at)
                for p, name in rows]
