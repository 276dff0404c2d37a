"""Taking the gateway's side of a conflict: the app drops our command, and the
gateway's record (kept with the conflict) is written here as if just pulled."""

from __future__ import annotations

from app.services.outbox import resolve_conflict
from app.services.workspace import Desk
from sync.mirror import MirrorWriter
from sync.pull import dbapi


def take_theirs(desk: Desk, outbox_id: int) -> None:
    theirs = resolve_conflict(desk, outbox_id, keep_mine=False)
    if theirs is None:
        return
    with desk.store.write() as s:
        db = dbapi(s)
        if theirs.get("kind") == "client":  # our revert left the version as pulled
            db.execute("UPDATE clients SET server_version = 0 WHERE external_id = ?",
                       (theirs["id"],))
        MirrorWriter(db).apply([theirs])
