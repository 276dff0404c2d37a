"""The ledger as staff use it: balances, statements, reversals and exports, with the
permissions each needs. Postings themselves are automatic (app/ledger/sources.py)."""

from __future__ import annotations

from pathlib import Path

from app import audit
from app.crm.search_index import dbapi
from app.ledger import export, views
from app.ledger.chart import Accounts
from app.ledger.journal import reverse
from app.ledger.sources import post_new_deals
from app.roles import Actor, Permission, require
from app.services.workspace import Desk


def _require_read(actor: Actor) -> None:
    if not actor.can(Permission.RUN_REPORTS):
        require(actor, Permission.POST_LEDGER)


def trial_balance(desk: Desk) -> list[views.Balance]:
    _require_read(desk.actor)
    with desk.store.read() as s:
        return views.trial_balance(dbapi(s))


def statement(desk: Desk, code: str, limit: int = 500,
              offset: int = 0) -> list[views.StatementLine]:
    _require_read(desk.actor)
    with desk.store.read() as s:
        return views.statement(dbapi(s), code, limit, offset)


def client_money(desk: Desk, client_id: int) -> dict[str, dict[str, int]]:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return views.client_money(dbapi(s), client_id)


def post_waiting_deals(desk: Desk, page: int = 25_000) -> int:
    """Post mirrored deals the ledger has not seen (a workspace synced before the
    ledger existed), a page per transaction; returns entries written."""
    require(desk.actor, Permission.POST_LEDGER)
    written = 0
    while True:
        with desk.store.write() as s:
            db = dbapi(s)
            made = post_new_deals(db, Accounts(db), page)
        if made is None:
            return written
        written += made


def reverse_entry(desk: Desk, entry_id: int, reason: str) -> int:
    """Undo an entry by its mirror image; the reason is kept and audited."""
    require(desk.actor, Permission.POST_LEDGER)
    with desk.store.write() as s:
        db = dbapi(s)
        made = reverse(db, Accounts(db), entry_id, reason, desk.actor.id)
        audit.record(s, desk.actor, "ledger.reverse", "journal_entry", entry_id,
                     after={"reversal": made, "reason": reason.strip()})
        return made


def export_journal(desk: Desk, path: Path, kind: str) -> int:
    """Write the journal to `path` as 'beancount' or 'csv'; returns entries/rows."""
    _require_read(desk.actor)
    if kind not in ("beancount", "csv"):
        raise ValueError(kind)
    with desk.store.read() as s, path.open("w", encoding="utf-8", newline="") as out:
        db = dbapi(s)
        n = export.write_beancount(db, out) if kind == "beancount" else export.write_csv(db, out)
    with desk.store.write() as s:
        audit.record(s, desk.actor, "ledger.export", "journal", None,
                     after={"format": kind, "file": path.name, "count": n})
    return n
