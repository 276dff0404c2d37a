"""Upkeep of `client_search_terms` and the SQL condition a search runs.

Terms are rewritten for a client whenever something searchable about them changes:
client edits and imports (app.services.clients, app.crm.client_import), contacts,
trading accounts and clients arriving from the gateway (sync.mirror), in the same
transaction as the change. `ensure_search_terms` fills the table for a workspace made
before it existed (migration 0004 created it empty) or made by older term rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from app.crm.terms import TERMS_VERSION, client_terms, query_words
from app.models.crm import Client, ClientSearchTerm
from app.services.workspace import get_setting, set_setting
from app.workspace.store import Store

VERSION_KEY = "crm.search_terms_version"
_CHUNK = 500
_REBUILD_CHUNK = 4000
# Above every character: a term starting with the prefix sorts below prefix + this.
_TOP = "\U0010ffff"
_TERMS = ClientSearchTerm.__table__
_BROAD = 2


def dbapi(session: Session) -> Any:
    session.flush()
    return session.connection().connection.dbapi_connection


def _marks(n: int) -> str:
    return ",".join("?" * n)


def terms_rows(db: Any, client_ids: Sequence[int]) -> list[tuple[str, int]]:
    """(term, client id) for the given clients, read from their current rows."""
    names: dict[int, list[str]] = {}
    emails: dict[int, list[str]] = {}
    phones: dict[int, list[str]] = {}
    logins: dict[int, list[int]] = {}
    documents: dict[int, list[str]] = {}
    marks = _marks(len(client_ids))
    for cid, first, last, company, email, phone in db.execute(
            "SELECT id, first_name, last_name, company_name, email, phone FROM clients"
            f" WHERE id IN ({marks})", client_ids):
        names[cid] = [first, last, company]
        emails[cid] = [email]
        phones[cid] = [phone]
    for cid, kind, value in db.execute(
            f"SELECT client_id, kind, value FROM client_contacts WHERE client_id IN ({marks})"
            " AND kind IN ('email', 'phone')", client_ids):
        (emails if kind == "email" else phones).setdefault(cid, []).append(value)
    for cid, login in db.execute(
            f"SELECT client_id, login FROM trading_accounts WHERE client_id IN ({marks})",
            client_ids):
        logins.setdefault(cid, []).append(login)
    for cid, number in db.execute(
            "SELECT c.client_id, d.number FROM kyc_cases c JOIN kyc_documents d"
            f" ON d.case_id = c.id WHERE c.client_id IN ({marks}) AND d.number != ''",
            client_ids):
        documents.setdefault(cid, []).append(number)
    rows: list[tuple[str, int]] = []
    for cid, client_names in names.items():
        terms = client_terms(names=client_names, emails=emails.get(cid, ()),
                             phones=phones.get(cid, ()), logins=logins.get(cid, ()),
                             documents=documents.get(cid, ()))
        rows.extend((term, cid) for term in terms)
    rows.sort()  # inserted in key order, the index pages are written once each
    return rows


def refresh(db: Any, client_ids: Iterable[int]) -> int:
    """Rewrite the terms of these clients inside the caller's transaction (DB-API
    connection); returns the number of terms written."""
    ids = sorted({int(i) for i in client_ids})
    written = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        db.execute(f"DELETE FROM client_search_terms WHERE client_id IN ({_marks(len(chunk))})",
                   chunk)
        rows = terms_rows(db, chunk)
        db.executemany("INSERT OR IGNORE INTO client_search_terms (term, client_id) VALUES (?, ?)",
                       rows)
        written += len(rows)
    return written


def login_owners(db: Any, platform: str, logins: Sequence[int]) -> dict[int, int | None]:
    """The client of each of these trading account logins as the store has it now (None
    for a login it does not have)."""
    owners: dict[int, int | None] = dict.fromkeys(logins)
    for start in range(0, len(logins), _CHUNK):
        chunk = list(logins[start:start + _CHUNK])
        owners.update(db.execute(
            "SELECT login, client_id FROM trading_accounts WHERE platform = ? AND login IN"
            f" ({_marks(len(chunk))})", (platform, *chunk)))
    return owners


def move_logins(db: Any, platform: str, before: dict[int, int | None]) -> int:
    """After accounts were written: the login terms of accounts that are new or changed
    client. Cheaper than refreshing the whole client, which the client's own record
    does when it arrives."""
    after = login_owners(db, platform, list(before))
    gone = [(str(login), old) for login, old in before.items()
            if old is not None and after.get(login) != old]
    new = [(str(login), cid) for login, cid in after.items()
           if cid is not None and before.get(login) != cid]
    db.executemany("DELETE FROM client_search_terms WHERE term = ? AND client_id = ?", gone)
    db.executemany("INSERT OR IGNORE INTO client_search_terms (term, client_id) VALUES (?, ?)",
                   sorted(new))
    return len(new)


def refresh_clients(session: Session, client_ids: Iterable[int]) -> int:
    """`refresh` for services working through a Session (flushes pending changes first)."""
    return refresh(dbapi(session), client_ids)


@dataclass(frozen=True)
class RebuildResult:
    clients: int
    terms: int


Progress = Callable[[int, int], None]  # (clients done, clients in all)


def rebuild(session: Session, progress: Progress | None = None) -> RebuildResult:
    """All clients' terms from scratch, in the caller's write transaction. `progress`
    is called after each chunk; an exception raised from it cancels (rolls back)."""
    db = dbapi(session)
    db.execute("DELETE FROM client_search_terms")
    ids = [r[0] for r in db.execute("SELECT id FROM clients ORDER BY id")]
    terms = 0
    for start in range(0, len(ids), _REBUILD_CHUNK):
        rows = terms_rows(db, ids[start:start + _REBUILD_CHUNK])
        db.executemany("INSERT OR IGNORE INTO client_search_terms (term, client_id)"
                       " VALUES (?, ?)", rows)
        terms += len(rows)
        if progress is not None:
            progress(min(start + _REBUILD_CHUNK, len(ids)), len(ids))
    set_setting(session, VERSION_KEY, TERMS_VERSION)
    return RebuildResult(len(ids), terms)


def ensure_search_terms(store: Store, progress: Progress | None = None) -> RebuildResult | None:
    """Call once after a workspace opens (or after demo data is loaded): rebuilds the
    terms when the table is empty while clients exist, or when they were made by other
    term rules. Returns what was rebuilt, or None when the terms were current."""
    with store.read() as s:
        current = get_setting(s, VERSION_KEY) == TERMS_VERSION
        has_terms = s.scalar(select(_TERMS.c.client_id).limit(1)) is not None
        has_clients = s.scalar(select(Client.id).limit(1)) is not None
    if has_clients and (not has_terms or not current):
        with store.write() as s:
            return rebuild(s, progress)
    if not has_clients and not current:
        with store.write() as s:
            set_setting(s, VERSION_KEY, TERMS_VERSION)
    return None


def search_condition(text: str) -> ColumnElement[bool] | None:
    """Clients matching every word of `text` (each as the start of one of their terms);
    None for an empty query."""
    words = query_words(text)
    if not words:
        return None
    conds = []
    for forms in words:
        ranges = [and_(_TERMS.c.term >= f, _TERMS.c.term < f + _TOP) for f in forms]
        matching = select(_TERMS.c.client_id).where(or_(*ranges))
        if max(len(f) for f in forms) <= _BROAD:
            # One or two letters match a large share of all clients: then walking the
            # name index and stopping at the first page beats fetching every match and
            # sorting it ('+ 0' keeps SQLite from driving the query by these ids).
            conds.append((Client.id + 0).in_(matching))
        else:
            conds.append(Client.id.in_(matching))
    return and_(*conds)
