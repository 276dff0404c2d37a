"""What each record kind would remove on a day: row ids by table, parents last.

Client-linked kinds take the clients whose relationship ended before the kind's
cutoff and who are not held (see holds). Kinds with their own clock read it from the
records. Nothing here writes; `removal` does, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

CHUNK = 500
ERASED = "Erased client #"


@dataclass
class Due:
    kind: str
    cutoff: date
    # Table -> ids of the rows to remove (for "clients": to erase), in removal order.
    rows: dict[str, list[int]] = field(default_factory=dict)
    # Clients whose records these are.
    clients: set[int] = field(default_factory=set)
    # The gateway's copies of these records kept by the sync (shared_records kind, id).
    shared: list[tuple[str, str]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(ids) for ids in self.rows.values())


def _marks(n: int) -> str:
    return ",".join("?" * n)


def select_in(db: Any, sql: str, ids: Iterable[int], *args: Any) -> list[tuple[Any, ...]]:
    """Run `sql` (with `{ids}` where the id list goes) over `ids` in chunks."""
    found: list[tuple[Any, ...]] = []
    todo = sorted(set(ids))
    for i in range(0, len(todo), CHUNK):
        chunk = todo[i:i + CHUNK]
        found += db.execute(sql.format(ids=_marks(len(chunk))), (*args, *chunk)).fetchall()
    return found


def filter_in(db: Any, sql: str, ids: Iterable[int], *args: Any,
              column: int = 2) -> list[tuple[Any, ...]]:
    """The rows of `sql` whose value at `column` is one of `ids`: one pass over a table
    with no index on that column, where a pass per chunk of ids (`select_in`) would read
    it again and again."""
    wanted = set(ids)
    if not wanted:
        return []
    return [r for r in db.execute(sql, args).fetchall() if r[column] in wanted]


def _pairs(rows: Sequence[tuple[Any, ...]]) -> tuple[list[int], list[str]]:
    return [int(r[0]) for r in rows], [str(r[1]) for r in rows]


def client_personal_data(db: Any, clients: list[int], cutoff: date, own: bool) -> Due:
    due = Due("client_personal_data", cutoff)
    found = select_in(
        db, "SELECT c.id, c.external_id FROM clients c WHERE c.id IN ({ids}) AND"
        f" (c.display_name != '{ERASED}' || c.id"
        " OR EXISTS (SELECT 1 FROM client_contacts x WHERE x.client_id = c.id)"
        " OR EXISTS (SELECT 1 FROM client_tags x WHERE x.client_id = c.id)"
        " OR EXISTS (SELECT 1 FROM client_devices x WHERE x.client_id = c.id))", clients)
    ids = sorted(int(r[0]) for r in found)
    due.rows["client_contacts"] = sorted(r[0] for r in select_in(
        db, "SELECT id FROM client_contacts WHERE client_id IN ({ids})", ids))
    due.rows["clients"] = ids
    due.clients = set(ids)
    due.shared = [("client_profile", str(ext)) for _, ext in found if ext is not None]
    return due


def kyc_records(db: Any, clients: list[int], cutoff: date, own: bool) -> Due:
    due = Due("kyc_records", cutoff)
    cases = select_in(db, "SELECT id, uid, client_id FROM kyc_cases WHERE client_id IN ({ids})",
                      clients)
    case_ids, case_uids = _pairs(cases)
    docs = select_in(db, "SELECT id, uid FROM kyc_documents WHERE case_id IN ({ids})", case_ids)
    doc_ids, doc_uids = _pairs(docs)
    due.rows["kyc_documents"] = sorted(doc_ids)
    due.rows["kyc_checks"] = sorted(r[0] for r in select_in(
        db, "SELECT id FROM kyc_checks WHERE case_id IN ({ids})", case_ids))
    due.rows["kyc_cases"] = sorted(case_ids)
    due.clients = {int(r[2]) for r in cases}
    due.shared = ([("kyc_document", u) for u in doc_uids]
                  + [("kyc_case", u) for u in case_uids])
    return due


def notes_tasks(db: Any, clients: list[int], cutoff: date, own: bool) -> Due:
    due = Due("notes_tasks", cutoff)
    for table, shared in (("notes", "note"), ("tasks", "task")):
        rows = select_in(db, f"SELECT id, uid, client_id FROM {table}"
                         " WHERE client_id IN ({ids})", clients)
        due.rows[table] = sorted(int(r[0]) for r in rows)
        due.clients |= {int(r[2]) for r in rows}
        due.shared += [(shared, str(r[1])) for r in rows]
    return due


def screening_hits(db: Any, clients: list[int], cutoff: date, own: bool) -> Due:
    due = Due("screening_hits", cutoff)
    rows = select_in(db, "SELECT id, uid, client_id FROM screening_hits"
                     " WHERE client_id IN ({ids})", clients)
    due.rows["screening_hits"] = sorted(int(r[0]) for r in rows)
    due.clients = {int(r[2]) for r in rows}
    due.shared = [("screening_review", str(r[1])) for r in rows]
    return due


def alerts_cases(db: Any, clients: list[int], cutoff: date, own: bool) -> Due:
    """Closed cases and alerts; an alert still linked to a case that stays, stays."""
    due = Due("alerts_cases", cutoff)
    day = cutoff.isoformat()
    cases = filter_in(db, "SELECT id, uid, client_id FROM compliance_cases"
                      " WHERE status = 'closed' AND client_id IS NOT NULL", clients)
    # By client (ix_alerts_client), not by status: the closed alerts are most of them.
    alerts = select_in(db, "SELECT id, uid, client_id FROM alerts"
                       " WHERE +status = 'closed' AND client_id IN ({ids})", clients)
    if own:
        cases += db.execute("SELECT id, uid, client_id FROM compliance_cases WHERE status ="
                            " 'closed' AND client_id IS NULL AND coalesce(closed_at, updated_at)"
                            " < ?", (day,)).fetchall()
        alerts += db.execute("SELECT id, uid, client_id FROM alerts WHERE status = 'closed'"
                             " AND client_id IS NULL AND updated_at < ?", (day,)).fetchall()
    case_ids = {int(r[0]) for r in cases}
    linked = filter_in(db, "SELECT alert_id, case_id FROM case_alerts",
                       [int(r[0]) for r in alerts], column=0)
    kept = {int(a) for a, c in linked if int(c) not in case_ids}
    alerts = [r for r in alerts if int(r[0]) not in kept]
    due.rows["case_attachments"] = sorted(r[0] for r in select_in(
        db, "SELECT id FROM case_attachments WHERE case_id IN ({ids})", case_ids))
    due.rows["case_notes"] = sorted(r[0] for r in select_in(
        db, "SELECT id FROM case_notes WHERE case_id IN ({ids})", case_ids))
    due.rows["compliance_cases"] = sorted(case_ids)
    due.rows["alerts"] = sorted(int(r[0]) for r in alerts)
    due.clients = {int(r[2]) for r in [*cases, *alerts] if r[2] is not None}
    due.shared = ([("compliance_case", str(r[1])) for r in cases]
                  + [("alert", str(r[1])) for r in alerts])
    return due


# A statement stays while a break not resolved yet cites one of its lines, or says a
# payment on a day it covers is missing from it: removing it would clear that break.
_STATEMENT_IN_USE = """
EXISTS (SELECT 1 FROM recon_exceptions e, json_each(e.provider_side, '$.statement_lines') l
        WHERE e.status != 'resolved' AND json_extract(l.value, '$.statement') = s.id)
OR EXISTS (SELECT 1 FROM recon_exceptions e WHERE e.status != 'resolved'
           AND e.kind = 'missing_at_provider'
           AND json_extract(e.provider_side, '$.payment.provider') = s.provider
           AND e.signature BETWEEN s.period_from AND s.period_to)
"""


def reconciliation(db: Any, clients: list[int], cutoff: date, own: bool) -> Due:
    """Resolved breaks the newest run no longer finds (one it still finds stays: its
    resolution is what keeps it from coming back open), and provider statements."""
    due = Due("reconciliation", cutoff)
    day = cutoff.isoformat()
    resolved = ("SELECT id, client_id FROM recon_exceptions WHERE status = 'resolved'"
                " AND coalesce(resolved_at, updated_at) < ?"
                " AND last_run_id < (SELECT max(id) FROM recon_runs)")
    breaks = filter_in(db, resolved + " AND client_id IS NOT NULL", clients, day, column=1)
    if own:
        breaks += db.execute(resolved + " AND client_id IS NULL", (day,)).fetchall()
        due.rows["provider_statements"] = [r[0] for r in db.execute(
            "SELECT s.id FROM provider_statements s WHERE s.imported_at < ?"
            f" AND NOT ({_STATEMENT_IN_USE}) ORDER BY s.id", (day,))]
    due.rows = {"recon_exceptions": sorted(int(r[0]) for r in breaks), **due.rows}
    due.clients = {int(r[1]) for r in breaks if r[1] is not None}
    return due


def sync_errors(db: Any, clients: list[int], cutoff: date, own: bool) -> Due:
    due = Due("sync_errors", cutoff)
    if own:
        due.rows["sync_errors"] = [r[0] for r in db.execute(
            "SELECT id FROM sync_errors WHERE at < ? ORDER BY id", (cutoff.isoformat(),))]
    return due


# Records whose signatures (who decided, reviewed, prepared) are read back from the last
# command that sent them (app.kyc.records.signed_before): the gateway refuses a change
# signed with another name.
SIGNED_ENTITIES = ("kyc_case", "kyc_document", "approval")


def delivered_commands(db: Any, clients: list[int], cutoff: date, own: bool) -> Due:
    """Answered commands. Payout commands stay: commissions read who prepared a payout
    and whether it was paid from them. The last command done of each signed record
    stays: its signatures are repeated from it. The newest command stays: the next
    one's device sequence number follows it, and the gateway must never see a number
    twice."""
    due = Due("delivered_commands", cutoff)
    if own:
        signed = _marks(len(SIGNED_ENTITIES))
        due.rows["outbox"] = [r[0] for r in db.execute(
            "SELECT id FROM outbox WHERE status IN ('done', 'rejected', 'discarded')"
            " AND coalesce(sent_at, created_at) < ? AND entity != 'payout'"
            " AND device_seq < (SELECT max(device_seq) FROM outbox)"
            " AND device_seq NOT IN (SELECT max(device_seq) FROM outbox WHERE status = 'done'"
            f" AND entity IN ({signed}) GROUP BY entity, entity_ref) ORDER BY id",
            (cutoff.isoformat(), *SIGNED_ENTITIES))]
    return due


Finder = Callable[[Any, list[int], date, bool], Due]
FINDERS: dict[str, Finder] = {
    "client_personal_data": client_personal_data, "kyc_records": kyc_records,
    "notes_tasks": notes_tasks, "screening_hits": screening_hits,
    "alerts_cases": alerts_cases, "reconciliation": reconciliation,
    "sync_errors": sync_errors, "delivered_commands": delivered_commands,
}
