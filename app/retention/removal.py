"""Removing what a kind has due, inside the caller's write transaction.

Foreign keys are on, so children go before their parents (a document's bytes before
the document, a case's notes and files before the case). Client rows are never
deleted: the ledger, deals and payments point at them. Their personal data is
erased instead and the name becomes "Erased client #id".

The sync keeps the gateway's copy of shared records (notes, tasks, KYC cases, ...)
in `shared_records`; a removed record's copy is emptied too, keeping its version so
that a late copy of the same version is not taken for news.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.crm.search_index import refresh
from app.retention.due import CHUNK, ERASED, Due, select_in
from app.text import fold

# Rows that belong to a parent row and go with it: (table, column naming the parent).
CHILDREN: dict[str, tuple[tuple[str, str], ...]] = {
    "kyc_documents": (("document_contents", "document_id"),),
    "case_attachments": (("case_attachment_contents", "attachment_id"),),
    "compliance_cases": (("case_alerts", "case_id"),),
    "alerts": (("case_alerts", "alert_id"),),
    "provider_statements": (("provider_lines", "statement_id"),),
}
# What erasing a client removes besides the row's own fields.
_CLIENT_ROWS = ("client_contacts", "client_tags", "client_devices")


def delete_in(db: Any, table: str, column: str, ids: Iterable[int]) -> int:
    todo = sorted(set(ids))
    gone = 0
    for i in range(0, len(todo), CHUNK):
        chunk = todo[i:i + CHUNK]
        cur = db.execute(f"DELETE FROM {table} WHERE {column} IN ({','.join('?' * len(chunk))})",
                         chunk)
        gone += max(cur.rowcount, 0)
    return gone


def erase_clients(db: Any, ids: list[int], now: str) -> tuple[dict[str, int], list[int]]:
    """Erase the personal data of these clients; (rows removed by table, the clients
    whose closing date was not recorded and is now taken from their last change)."""
    counts = {table: delete_in(db, table, "client_id", ids) for table in _CLIENT_ROWS}
    inferred = sorted(int(r[0]) for r in select_in(
        db, "SELECT id FROM clients WHERE closed_at IS NULL AND id IN ({ids})", ids))
    # The relationship's end is fixed before the row changes: erasing it must not
    # restart the clock of the kinds still to come.
    db.executemany(
        "UPDATE clients SET first_name = '', last_name = '', company_name = '',"
        " display_name = ?, search_name = ?, email = '', phone = '', date_of_birth = NULL,"
        " occupation = '', source_of_funds = '', declared_income = NULL, pep = 0,"
        " closed_reason = '', frozen_reason = '', closed_at = coalesce(closed_at, updated_at),"
        " version = version + 1, updated_at = ? WHERE id = ?",
        [(f"{ERASED}{cid}", fold(f"{ERASED}{cid}"), now, cid) for cid in ids])
    counts["clients"] = len(ids)
    return counts, inferred


def scrub_shared(db: Any, shared: list[tuple[str, str]]) -> int:
    done = 0
    for kind, rid in shared:
        cur = db.execute("UPDATE shared_records SET data = NULL, deleted = 1"
                         " WHERE kind = ? AND id = ? AND data IS NOT NULL", (kind, rid))
        done += max(cur.rowcount, 0)
    return done


def remove(db: Any, due: Due, now: str) -> tuple[dict[str, int], list[int]]:
    """Remove (or erase) what `due` lists; (rows by table, clients whose end was
    inferred). Search terms of the clients concerned are rewritten from what is left."""
    counts: dict[str, int] = {}
    inferred: list[int] = []
    for table, ids in due.rows.items():
        if table == "clients":
            erased, inferred = erase_clients(db, ids, now)
            for name, n in erased.items():
                counts[name] = counts.get(name, 0) + n
            continue
        for child, column in CHILDREN.get(table, ()):
            counts[child] = counts.get(child, 0) + delete_in(db, child, column, ids)
        counts[table] = counts.get(table, 0) + delete_in(db, table, "id", ids)
    if due.kind in ("client_personal_data", "kyc_records") and due.clients:
        refresh(db, due.clients)  # names, emails and document numbers leave the index
    counts["shared_records"] = scrub_shared(db, due.shared)
    return {k: n for k, n in counts.items() if n}, inferred
