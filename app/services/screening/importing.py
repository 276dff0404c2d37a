"""Importing a new version of a sanctions or PEP list.

The files are read and checked in full before anything is written; the version and
its entries are then stored in one transaction, become the active version of that
list, and a screening of all clients against it is queued (see rescreen_all).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update

from app import audit
from app.errors import ValidationFailed
from app.models.kyc import ListSource, SanctionEntry, SanctionList, ScreeningRun
from app.roles import Permission, require
from app.screening.lists import ParsedList, read_list
from app.services.workspace import Desk
from app.workspace.bulk import insert_rows

ENTRY_COLUMNS = ["list_id", "ref", "kind", "name", "aliases", "birth_dates", "countries",
                 "programs", "remarks"]


def _json(values: tuple[str, ...]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def import_list(desk: Desk, source: str, paths: list[Path]) -> int:
    """Store a list version from its official files; returns its id. Raises
    ListFileError (a ValidationFailed) for a broken file, with nothing stored."""
    require(desk.actor, Permission.IMPORT_LISTS)
    parsed: ParsedList = read_list(source, [Path(p) for p in paths])
    with desk.store.write() as s:
        earlier = s.scalar(select(SanctionList).where(
            SanctionList.source == ListSource(source), SanctionList.sha256 == parsed.sha256))
        if earlier is not None:
            raise ValidationFailed(
                f"These files were already imported on {earlier.imported_at:%Y-%m-%d %H:%M} "
                f"UTC as {earlier.name} version {earlier.version}; nothing was changed.",
                "file")
        replaced = [f"{n} {v}" for n, v in s.execute(
            select(SanctionList.name, SanctionList.version).where(
                SanctionList.source == ListSource(source), SanctionList.active))]
        now = datetime.now(UTC)
        row = SanctionList(source=ListSource(source), name=parsed.name,
                           version=parsed.version[:40], published=parsed.published,
                           imported_at=now, imported_by=desk.actor.id,
                           entry_count=len(parsed.entries), sha256=parsed.sha256,
                           active=True)
        s.add(row)
        s.flush()
        s.execute(update(SanctionList).where(SanctionList.source == ListSource(source),
                                             SanctionList.id != row.id)
                  .values(active=False))
        insert_rows(s, SanctionEntry.__table__, ENTRY_COLUMNS, [
            (row.id, e.ref, e.kind, e.name[:300], _json(e.aliases), _json(e.birth_dates),
             _json(e.countries), "; ".join(e.programs)[:300], e.remarks)
            for e in parsed.entries])
        # Queued here so that a desk closed before the screening ran still owes it; an
        # unfinished screening against the versions this one replaces is moot.
        for old in s.scalars(select(ScreeningRun).where(ScreeningRun.finished_at.is_(None))):
            old.finished_at, old.lists = now, {**old.lists, "state": "superseded"}
        active = s.execute(select(SanctionList.id, SanctionList.name, SanctionList.version)
                           .where(SanctionList.active).order_by(SanctionList.id)).all()
        s.add(ScreeningRun(trigger="list_update", started_at=now, actor_id=desk.actor.id,
                           lists={"lists": [{"id": i, "name": n, "version": v}
                                            for i, n, v in active],
                                  "state": "queued", "new": 0, "reopened": 0}))
        audit.record(s, desk.actor, "sanction_list.import", "sanction_list", row.id,
                     before={"active": replaced},
                     after={"source": source, "name": parsed.name, "version": parsed.version,
                            "published": parsed.published, "entries": len(parsed.entries),
                            "sha256": parsed.sha256, "files": list(parsed.files),
                            "version_note": parsed.version_note})
        return row.id
