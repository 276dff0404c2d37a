"""Shared back office records from the gateway: kept raw in `shared_records`, and
written into the typed tables for the kinds this version shows (client profiles,
notes, tasks, KYC cases, approvals, compliance alerts and cases, and the partner
programme: partners, plans, plan versions and assignments, partner moves, commission
runs and payouts).

A record this desk is still sending (or whose conflict awaits a person) is kept raw
only: the desk's own edit stays on screen until the gateway has answered it.

Partner records name each other by id, and a page holds them in any order. Partners
and plans are written first. A partner whose upline is not here yet is written
without it and linked when the upline arrives. A plan version, assignment, move or
payout whose partner or plan is not here yet waits: raw only, written by the first
flush that brings a partner or plan new to this desk (`settle_waiting`), never a
placeholder. Partners and plans are never deleted while commission history points
at them (a partner's tombstone makes it inactive).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from app.commissions.payouts import link_accruals
from app.commissions.plans import parse_terms
from app.commissions.recalc import note_late_links
from app.compliance.sharing import RAISED
from app.errors import ValidationFailed
from app.money import exponent, format_money
from sync.contract.schemas import OWNED_SCHEMAS
from sync.contract.wire import parse_money

UNSETTLED = ("pending", "in_flight", "conflict")
# The records other kinds point at: written before the rest of a page, deleted after.
REFERENCED = frozenset({"partner", "commission_plan"})
# Kinds that wait, raw only, while the partner or plan they name is not here: their table.
WAITING = {"plan_version": "commission_plan_versions", "plan_assignment": "plan_assignments",
           "partner_move": "partner_moves", "payout": "payouts"}
# The fields by which records name partners and plans.
_NAMING = ("plan_id", "partner_id", "old_parent_id", "new_parent_id", "parent_id")
_PAYOUT_STATUS = {"draft": "proposed", "pending_approval": "proposed", "approved": "approved",
                  "paid": "paid", "rejected": "rejected"}
_RUN_STATUS = {"draft": "proposed", "calculated": "proposed"}  # the rest: decided
_SEVERITY = {"critical": "high"}  # a desk ranks alerts low, medium or high


def _iso_stamp(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).replace(tzinfo=None).strftime(
        "%Y-%m-%d %H:%M:%S.%f")


def _dependency_order(record: tuple[str, str, int, dict[str, Any] | None]) -> int:
    if record[0] not in REFERENCED:
        return 1
    return 0 if record[3] is not None else 2


def _day(text: str | None) -> str | None:
    return None if text is None else date.fromisoformat(text).isoformat()


class OwnedWriter:
    def __init__(self, db: Any, client_id: Callable[[str], int]) -> None:
        self.db, self.client_id = db, client_id
        self.users: dict[str, int] = dict(db.execute("SELECT username, id FROM users"))
        self.pending: list[tuple[str, str, int, dict[str, Any] | None]] = []
        # (kind, id, reason) of records checked fine but not writable here; the caller
        # reports them with the page's refused records.
        self.errors: list[tuple[str, str, str]] = []
        self.arrived: set[str] = set()  # partners and plans new here: records may go
        self.waiting: dict[str, set[tuple[str, str]]] | None = None  # see `waiting_for`
        self.codes: list[str] = []  # referral codes new here: their clients get linked
        # The earliest date a plan version, assignment or move written here takes effect
        # from: accruals from then on are recalculated once the page is accrued.
        self.recalc_from: date | None = None
        self.plan_kinds: dict[str, tuple[str, str]] = {}  # plans checked this page
        self.unlinked: dict[str, set[int]] | None = None  # see `cases_naming`
        self.now = datetime.now(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    def user_id(self, username: str | None) -> int | None:
        """Desk users of other workstations join this desk's directory, inactive."""
        if username is None:
            return None
        found = self.users.get(username)
        if found is None:
            row = self.db.execute("SELECT id FROM users WHERE username = ?",
                                  (username,)).fetchone()
            if row is not None:  # added on this desk after the map was read
                found = self.users[username] = int(row[0])
                return found
            cur = self.db.execute(
                "INSERT INTO users (username, full_name, role, active, created_at) "
                "VALUES (?, ?, 'clerk', 0, ?)", (username, username, self.now))
            found = self.users[username] = int(cur.lastrowid)
        return found

    def _check_terms(self, kind: str, rid: str, d: dict[str, Any]) -> None:
        """Plan terms accrual could not read are refused here, alone, with the reason:
        the gateway stores any rules object, and one bad plan must not stop a desk."""
        plan: tuple[str, str] | None = None
        if kind == "commission_plan":
            plan = (d["kind"], d["currency"])
        elif kind == "plan_version":
            plan = self.plan_kinds.get(d["plan_id"])
            if plan is None:
                row = self.db.execute("SELECT kind, currency FROM commission_plans"
                                      " WHERE uid = ?", (d["plan_id"],)).fetchone()
                plan = None if row is None else (row[0], row[1])
        if plan is not None:
            try:
                parse_terms(plan[0], plan[1], d["rules"], d["tier_shares_bp"])
            except ValidationFailed as exc:
                raise ValueError(f"commission plan terms refused: {exc.message}") from None
        if kind == "commission_plan":  # its versions may come in the same page
            self.plan_kinds[rid] = (d["kind"], d["currency"])

    def apply(self, change: dict[str, Any]) -> None:
        """Checks one record now (so a bad one is refused alone); `flush` writes them."""
        kind, rid = str(change["kind"]), str(change["id"])
        if kind not in OWNED_SCHEMAS:
            raise ValueError(f"unknown record kind {kind[:40]!r}")
        version = change["version"]
        if isinstance(version, bool) or not isinstance(version, int):
            raise ValueError("version must be a whole number")
        data = None if change["deleted"] else change["data"]
        if data is not None:  # the same rules the gateway applies
            data = OWNED_SCHEMAS[kind].model_validate(data).model_dump(mode="json")
            self._check_terms(kind, rid, data)
            if kind == "payout":  # cents on a yen amount would fail the page's flush
                try:
                    parse_money(data["amount"], exponent(data["currency"]))
                except Exception as exc:
                    raise ValueError(f"payout amount: {exc}") from None
        self.pending.append((kind, rid, version, data))

    def flush(self) -> None:
        """Writes the checked records of a page: raw copies first, then the typed rows
        of those that are the newest copy and not held by this desk's outbox."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        before: dict[tuple[str, str], int] = {}
        by_kind: dict[str, list[str]] = {}
        for kind, rid, _, _ in pending:
            by_kind.setdefault(kind, []).append(rid)
        for kind, ids in by_kind.items():
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                before.update(((kind, rid), version) for rid, version in self.db.execute(
                    "SELECT id, version FROM shared_records WHERE kind = ? AND id IN"
                    f" ({','.join('?' * len(chunk))})", (kind, *chunk)))
        self.db.executemany(
            "INSERT INTO shared_records (kind, id, version, deleted, data) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version,"
            " deleted = excluded.deleted, data = excluded.data"
            " WHERE excluded.version > shared_records.version",
            [(kind, rid, version, int(data is None), None if data is None else json.dumps(data))
             for kind, rid, version, data in pending])
        held = set(self.db.execute(
            "SELECT entity, entity_ref FROM outbox WHERE status IN (?, ?, ?)", UNSETTLED))
        profiles = []
        # Partners and plans before what names them, their deletions after (a stable
        # sort keeps the page's order otherwise).
        for kind, rid, version, data in sorted(pending, key=_dependency_order):
            # A late copy (a replayed frame) leaves the newer one, or its deletion, standing.
            if (kind, rid) in held or before.get((kind, rid), -1) > version:
                continue
            if kind == "client_profile":
                if data is not None:
                    profiles.append((rid, version, data))
            elif (apply := TYPED.get(kind)) is not None:
                apply(self, rid, version, data)
        if profiles:
            self.client_profiles(profiles)
        if self.codes:
            self.link_clients()
        if self.arrived:
            arrived, self.arrived = self.arrived, set()
            self.settle_waiting(arrived, {(kind, rid) for kind, rid, _, _ in pending}, held)

    def settle_waiting(self, arrived: set[str] | None = None,
                       done: set[tuple[str, str]] | None = None,
                       held: set[tuple[str, str]] | None = None) -> None:
        """Writes what waited for the partners and plans in `arrived` (None: for any; a
        re-apply): uplines of partners, and records of the `WAITING` kinds. `done`: the
        records this flush has just written or reported (a partner among them may still
        have waited for an upline later in its page)."""
        if held is None:
            held = set(self.db.execute(
                "SELECT entity, entity_ref FROM outbox WHERE status IN (?, ?, ?)", UNSETTLED))
        if arrived is None:
            self.waiting = None
        waiting = self.waiting_for()
        if arrived is None:
            arrived = set(waiting)
        todo = {r for uid in arrived for r in waiting.pop(uid, ())}
        for kind, rid in sorted(todo):
            if (kind, rid) in held or (kind != "partner" and (kind, rid) in (done or ())):
                continue
            row = self.db.execute("SELECT version, data FROM shared_records WHERE kind = ?"
                                  " AND id = ? AND deleted = 0", (kind, rid)).fetchone()
            if row is None:
                continue
            try:  # checked when it arrived; checked again, as the rules may be newer
                data = OWNED_SCHEMAS[kind].model_validate(json.loads(row[1])).model_dump(
                    mode="json")
            except ValueError as exc:
                self.errors.append((kind, rid, str(exc)[:500]))
                continue
            if kind == "partner":
                parent = self._id("partners", data["parent_id"])
                self.db.execute("UPDATE partners SET parent_id = ? WHERE uid = ? AND id != ?",
                                (parent, rid, parent))
            else:
                TYPED[kind](self, rid, int(row[0]), data)

    def waiting_for(self) -> dict[str, set[tuple[str, str]]]:
        """Records that wait, by the ids they name: read once per writer (a scan of the
        waiting kinds), then kept as records wait and settle. Shared records reach a desk
        through the pull (one writer per run) and command answers (one per answer), never
        the stream, so no other writer makes records wait behind this one's back."""
        if self.waiting is None:
            self.waiting = {}
            for rid, parent in self.db.execute(
                    "SELECT s.id, json_extract(s.data, '$.parent_id') FROM shared_records s"
                    " JOIN partners c ON c.uid = s.id WHERE s.kind = 'partner'"
                    " AND s.deleted = 0 AND c.parent_id IS NULL").fetchall():
                if parent is not None:
                    self.waiting.setdefault(parent, set()).add(("partner", rid))
            for kind, table in WAITING.items():
                for rid, raw in self.db.execute(
                        "SELECT id, data FROM shared_records s WHERE kind = ? AND deleted = 0"
                        f" AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.uid = s.id)",
                        (kind,)).fetchall():
                    self._wait(kind, rid, json.loads(raw))
        return self.waiting

    def _wait(self, kind: str, rid: str, d: dict[str, Any]) -> None:
        if self.waiting is not None:  # else `waiting_for` finds it when first asked
            for name in _NAMING:
                if uid := d.get(name):
                    self.waiting.setdefault(uid, set()).add((kind, rid))

    def link_clients(self) -> None:
        """Clients who signed up with a referral code, to the partner now holding it.
        One statement per 500 codes: the clients table has no index on the code."""
        codes, self.codes = list(dict.fromkeys(self.codes)), []
        linked: list[int] = []
        for i in range(0, len(codes), 500):
            chunk = codes[i:i + 500]
            marks = ",".join("?" * len(chunk))
            linked += [r[0] for r in self.db.execute(
                "SELECT c.id FROM clients c JOIN partners p ON p.referral_code ="
                f" c.referral_code WHERE c.partner_id IS NULL AND c.referral_code IN ({marks})",
                chunk)]
            self.db.execute(
                "UPDATE clients SET partner_id = (SELECT p.id FROM partners p"
                " WHERE p.referral_code = clients.referral_code) WHERE partner_id IS NULL"
                f" AND referral_code IN ({marks})", chunk)
        if linked:  # their deals already accrued without a partner are owed now
            note_late_links(self.db, linked)

    # -- typed tables ---------------------------------------------------------------------

    def _upsert(self, table: str, rid: str, version: int, fields: dict[str, Any]) -> bool:
        """Writes a versioned row by uid unless it is as new already; True if new here."""
        found = self.db.execute(f"SELECT id, server_version FROM {table} WHERE uid = ?",
                                (rid,)).fetchone()
        names = list(fields)
        if found is None:
            cols = ", ".join(["uid", *names, "version", "server_version", "created_at",
                              "updated_at"])
            marks = ", ".join("?" * (len(names) + 5))
            self.db.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                            (rid, *fields.values(), 1, version, self.now, self.now))
            return True
        if found[1] < version:
            sets = ", ".join(f"{n} = ?" for n in names)
            self.db.execute(
                f"UPDATE {table} SET {sets}, server_version = ?, version = version + 1,"
                " updated_at = ? WHERE id = ?", (*fields.values(), version, self.now, found[0]))
        return False

    def _put(self, table: str, rid: str, fields: dict[str, Any],
             first: dict[str, Any]) -> None:
        """Writes an unversioned row by uid (`first`: columns set only when inserting).
        Late copies never get here: `flush` compares versions on the raw copy."""
        names = [*fields, *first]
        self.db.execute(
            f"INSERT INTO {table} (uid, {', '.join(names)}) VALUES"
            f" ({', '.join('?' * (len(names) + 1))}) ON CONFLICT (uid) DO UPDATE SET "
            + ", ".join(f"{n} = excluded.{n}" for n in fields),
            (rid, *fields.values(), *first.values()))

    def _delete(self, table: str, rid: str) -> None:
        self.db.execute(f"DELETE FROM {table} WHERE uid = ?", (rid,))

    def _drop(self, table: str, rid: str) -> bool:
        """Deletes a row nothing points at; True if one that history names stays."""
        self.db.execute("SAVEPOINT owned_drop")
        try:
            self.db.execute(f"DELETE FROM {table} WHERE uid = ?", (rid,))
            kept = False
        except self.db.IntegrityError:  # a foreign key: accruals, payouts, clients, ...
            self.db.execute("ROLLBACK TO owned_drop")
            kept = True
        self.db.execute("RELEASE owned_drop")
        return kept

    def _reaches(self, table: str, rid: str, day: str | None) -> None:
        """Notes the earliest of `day` and the date the row being replaced had."""
        old = self.db.execute(f"SELECT effective_from FROM {table} WHERE uid = ?",
                              (rid,)).fetchone()
        for d in (day, None if old is None else str(old[0])[:10]):
            if d is not None:
                when = date.fromisoformat(d)
                if self.recalc_from is None or when < self.recalc_from:
                    self.recalc_from = when

    def _id(self, table: str, uid: str | None) -> int | None:
        if uid is None:
            return None
        row = self.db.execute(f"SELECT id FROM {table} WHERE uid = ?", (uid,)).fetchone()
        return None if row is None else int(row[0])

    def note(self, rid: str, version: int, d: dict[str, Any] | None) -> None:
        if d is None:
            return self._delete("notes", rid)
        self._upsert("notes", rid, version, {
            "client_id": self.client_id(d["client_id"]), "author_id": self.user_id(d["author"]),
            "body": d["body"]})
        return None

    def task(self, rid: str, version: int, d: dict[str, Any] | None) -> None:
        if d is None:
            return self._delete("tasks", rid)
        self._upsert("tasks", rid, version, {
            "client_id": None if d["client_id"] is None else self.client_id(d["client_id"]),
            "assignee_id": self.user_id(d["assignee"]), "title": d["title"],
            "due_date": _day(d["due_date"]), "done": int(d["done"])})
        return None

    def kyc_case(self, rid: str, version: int, d: dict[str, Any] | None) -> None:
        if d is None:
            return self._delete("kyc_cases", rid)
        self._upsert("kyc_cases", rid, version, {
            "client_id": self.client_id(d["client_id"]), "status": d["status"],
            "enhanced": int(d["enhanced"]), "decided_by": self.user_id(d["decided_by"]),
            "decided_at": _iso_stamp(d["decided_ms"]), "next_review": _day(d["next_review"]),
            "notes": d["notes"]})
        return None

    def approval(self, rid: str, version: int, d: dict[str, Any] | None) -> None:
        if d is None:
            return self._delete("approvals", rid)
        self._upsert("approvals", rid, version, {
            "kind": d["kind"], "entity": d["entity"], "entity_ref": d["entity_ref"],
            "prepared_by": self.user_id(d["prepared_by"]),
            "decided_by": self.user_id(d["decided_by"]),
            "decided_at": _iso_stamp(d["decided_ms"]), "status": d["status"],
            "reason": d["reason"]})
        return None

    # -- compliance alerts and cases --------------------------------------------------------

    def _quiet(self, table: str, rid: str, version: int, fields: dict[str, Any],
               first: dict[str, Any]) -> int | None:
        """Like `_upsert`, but a copy that changes nothing here (this desk's own change
        coming back) only takes the gateway's version: the row's version, which an edit
        a person has open is checked against, stays. The row's id if it was written."""
        names = list(fields)
        found = self.db.execute(f"SELECT id, server_version, {', '.join(names)} FROM {table}"
                                " WHERE uid = ?", (rid,)).fetchone()
        if found is None:
            cols = [*names, *first]
            cur = self.db.execute(
                f"INSERT INTO {table} (uid, {', '.join(cols)}, version, server_version,"
                f" created_at, updated_at) VALUES ({', '.join('?' * (len(cols) + 5))})",
                (rid, *fields.values(), *first.values(), 1, version, self.now, self.now))
            return int(cur.lastrowid)
        if found[1] >= version:
            return None
        if tuple(found[2:]) == tuple(fields.values()):
            self.db.execute(f"UPDATE {table} SET server_version = ? WHERE id = ?",
                            (version, found[0]))
        else:
            sets = ", ".join(f"{n} = ?" for n in names)
            self.db.execute(f"UPDATE {table} SET {sets}, server_version = ?,"
                            " version = version + 1, updated_at = ? WHERE id = ?",
                            (*fields.values(), version, self.now, found[0]))
        return int(found[0])

    def _raised(self, raised: Any) -> dict[str, Any]:
        """An arriving alert's key and due date (see app.compliance.sharing.RAISED). A key
        this desk's rules gave another alert already stays with that one."""
        raised = raised if isinstance(raised, dict) else {}
        key, due = raised.get("key"), raised.get("due_date")
        if not isinstance(key, str) or not 0 < len(key) <= 200 or self.db.execute(
                "SELECT 1 FROM alerts WHERE key = ?", (key,)).fetchone() is not None:
            key = None
        try:
            due = date.fromisoformat(due).isoformat() if isinstance(due, str) else None
        except ValueError:
            due = None
        return {"key": key, "due_date": due}

    def alert(self, rid: str, version: int, d: dict[str, Any] | None) -> None:
        if d is None:
            self.db.execute("DELETE FROM case_alerts WHERE alert_id IN"
                            " (SELECT id FROM alerts WHERE uid = ?)", (rid,))
            return self._delete("alerts", rid)
        evidence = dict(d["evidence"])
        raised = evidence.pop(RAISED, None)
        new = self._id("alerts", rid) is None
        named = self.cases_naming().pop(rid, set()) if new else set()
        written = self._quiet("alerts", rid, version, {
            "rule": d["rule"], "severity": _SEVERITY.get(d["severity"], d["severity"]),
            "client_id": None if d["client_id"] is None else self.client_id(d["client_id"]),
            "status": d["status"], "summary": d["summary"], "evidence": json.dumps(evidence)},
            self._raised(raised) if new else {})
        if written is not None:  # cases that came first name it
            self.db.executemany("INSERT OR IGNORE INTO case_alerts (case_id, alert_id)"
                                " VALUES (?, ?)", [(case_id, written) for case_id in named])
        return None

    def cases_naming(self) -> dict[str, set[int]]:
        """Alerts that cases here name but that have not arrived, and those cases: read
        once per writer (one scan of the cases' raw copies), then kept as cases and
        alerts are written (the same reasoning as `waiting_for`)."""
        if self.unlinked is None:
            self.unlinked = {}
            for uid, case_id in self.db.execute(
                    "SELECT j.value, c.id FROM shared_records s"
                    " JOIN json_each(s.data, '$.alert_ids') j"
                    " JOIN compliance_cases c ON c.uid = s.id"
                    " WHERE s.kind = 'compliance_case' AND s.deleted = 0"
                    " AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.uid = j.value)"
                    ).fetchall():
                self.unlinked.setdefault(uid, set()).add(int(case_id))
        return self.unlinked

    def compliance_case(self, rid: str, version: int, d: dict[str, Any] | None) -> None:
        if d is None:
            self.db.execute("SAVEPOINT case_drop")
            self.db.execute("DELETE FROM case_alerts WHERE case_id IN"
                            " (SELECT id FROM compliance_cases WHERE uid = ?)", (rid,))
            if self._drop("compliance_cases", rid):  # this desk's notes and files keep it
                self.db.execute("ROLLBACK TO case_drop")  # and its alerts stay in it
            self.db.execute("RELEASE case_drop")
            return None
        fields: dict[str, Any] = {
            "title": d["title"],
            "client_id": None if d["client_id"] is None else self.client_id(d["client_id"]),
            "status": d["status"], "outcome": d["outcome"],
            "outcome_reason": d["outcome_reason"], "assignee_id": self.user_id(d["assignee"]),
            "due_date": _day(d["due_date"])}
        if d["status"] != "closed":  # reopened elsewhere: no longer closed by anyone here
            fields.update(closed_by=None, closed_at=None)
        else:
            local = self.db.execute("SELECT status, outcome, outcome_reason FROM"
                                    " compliance_cases WHERE uid = ?", (rid,)).fetchone()
            if local is not None and tuple(local) != ("closed", d["outcome"],
                                                       d["outcome_reason"]):
                # A closing made elsewhere (reopened and closed again there, or closed
                # while open here): not signed by whoever closed it here before.
                fields.update(closed_by=None, closed_at=self.now)
        case_id = self._quiet("compliance_cases", rid, version, fields,
                              {"froze_withdrawals": 0})
        if case_id is None:
            return None
        if d["status"] == "closed":  # closed elsewhere: when this desk learnt of it
            self.db.execute("UPDATE compliance_cases SET closed_at = ? WHERE id = ?"
                            " AND closed_at IS NULL", (self.now, case_id))
        uids = list(dict.fromkeys(d["alert_ids"]))
        here: dict[str, int] = {}
        for i in range(0, len(uids), 500):
            chunk = uids[i:i + 500]
            here.update(self.db.execute(
                f"SELECT uid, id FROM alerts WHERE uid IN ({','.join('?' * len(chunk))})",
                chunk))
        self.db.execute("DELETE FROM case_alerts WHERE case_id = ?", (case_id,))
        self.db.executemany("INSERT INTO case_alerts (case_id, alert_id) VALUES (?, ?)",
                            [(case_id, a) for a in here.values()])
        if self.unlinked is not None:  # the alerts not here yet link when they arrive
            for waiting in self.unlinked.values():
                waiting.discard(case_id)  # this copy's list is the one that counts now
            for uid in uids:
                if uid not in here:
                    self.unlinked.setdefault(uid, set()).add(case_id)
        return None

    # -- the partner programme ------------------------------------------------------------

    def partner(self, rid: str, version: int, d: dict[str, Any] | None) -> None:
        if d is None:
            if self._drop("partners", rid):
                self.db.execute("UPDATE partners SET active = 0, updated_at = ? WHERE uid = ?",
                                (self.now, rid))
            return None
        code = d["referral_code"]
        taken = self.db.execute("SELECT uid FROM partners WHERE referral_code = ? AND uid != ?",
                                (code, rid)).fetchone()
        if taken is not None:  # two desks gave out one code: a person must choose
            self.errors.append(("partner", rid, f"referral code {code} is partner "
                                                f"{taken[0]}'s here; this partner is not shown"))
            return None
        before = self.db.execute("SELECT referral_code FROM partners WHERE uid = ?",
                                 (rid,)).fetchone()
        parent = None if d["parent_id"] == rid else self._id("partners", d["parent_id"])
        if parent is None and d["parent_id"] not in (None, rid):
            self._wait("partner", rid, d)  # the upline links when it arrives
        if self._upsert("partners", rid, version, {
                "name": d["name"],
                "client_id": None if d["client_id"] is None else self.client_id(d["client_id"]),
                "parent_id": parent, "referral_code": code, "currency": d["currency"],
                "active": int(d["active"])}):
            self.arrived.add(rid)
        if before is None or before[0] != code:
            self.codes.append(code)
        return None

    def commission_plan(self, rid: str, version: int, d: dict[str, Any] | None) -> None:
        if d is None:
            self._drop("commission_plans", rid)
            return None
        if self._upsert("commission_plans", rid, version, {
                "name": d["name"], "kind": d["kind"], "currency": d["currency"],
                "rules": json.dumps(d["rules"]),
                "tier_shares_bp": json.dumps(d["tier_shares_bp"])}):
            self.arrived.add(rid)
        return None

    def plan_version(self, rid: str, version: int, d: dict[str, Any] | None) -> None:
        table = "commission_plan_versions"
        self._reaches(table, rid, None if d is None else d["effective_from"])
        if d is None:
            return self._delete(table, rid)
        plan = self._id("commission_plans", d["plan_id"])
        if plan is None:  # waits; an older copy does not stand in for it meanwhile
            self._wait("plan_version", rid, d)
            return self._delete(table, rid)
        day = _day(d["effective_from"])
        clash = self.db.execute(f"SELECT uid FROM {table} WHERE plan_id = ? AND"
                                " effective_from = ? AND uid != ?", (plan, day, rid)).fetchone()
        if clash is not None:  # two desks changed the plan from one date: the first stays
            self.errors.append(("plan_version", rid, f"plan version {clash[0]} already "
                                                     f"takes effect on {day}"))
            return None
        self._put(table, rid, {
            "plan_id": plan, "effective_from": day, "rules": json.dumps(d["rules"]),
            "tier_shares_bp": json.dumps(d["tier_shares_bp"]),
            "created_by": self.user_id(d["created_by"])}, {"created_at": self.now})
        return None

    def plan_assignment(self, rid: str, version: int, d: dict[str, Any] | None) -> None:
        self._reaches("plan_assignments", rid, None if d is None else d["effective_from"])
        if d is None:
            return self._delete("plan_assignments", rid)
        plan = self._id("commission_plans", d["plan_id"])
        partner = self._id("partners", d["partner_id"])
        if plan is None or partner is None:
            self._wait("plan_assignment", rid, d)
            return self._delete("plan_assignments", rid)
        self._put("plan_assignments", rid, {
            "plan_id": plan, "partner_id": partner, "client_group": d["client_group"],
            "effective_from": _day(d["effective_from"])}, {})
        return None

    def partner_move(self, rid: str, version: int, d: dict[str, Any] | None) -> None:
        self._reaches("partner_moves", rid, None if d is None else d["effective_from"])
        if d is None:
            return self._delete("partner_moves", rid)
        partner = self._id("partners", d["partner_id"])
        old, new = self._id("partners", d["old_parent_id"]), self._id("partners",
                                                                      d["new_parent_id"])
        if partner is None or (old is None) != (d["old_parent_id"] is None) or \
                (new is None) != (d["new_parent_id"] is None):
            self._wait("partner_move", rid, d)
            return self._delete("partner_moves", rid)
        self._put("partner_moves", rid, {
            "partner_id": partner, "old_parent_id": old, "new_parent_id": new,
            "effective_from": _day(d["effective_from"]),
            "actor_id": self.user_id(d["moved_by"])}, {"at": self.now})
        return None

    def commission_run(self, rid: str, version: int, d: dict[str, Any] | None) -> None:
        if d is None:
            self._drop("commission_runs", rid)
            return None
        self._upsert("commission_runs", rid, version, {
            "period_start": _day(d["period_start"]), "period_end": _day(d["period_end"]),
            "prepared_by": self.user_id(d["prepared_by"]),
            "status": _RUN_STATUS.get(d["status"], "decided")})
        return None

    def payout(self, rid: str, version: int, d: dict[str, Any] | None) -> None:
        if d is None:
            self._drop("payouts", rid)
            return None
        partner = self._id("partners", d["partner_id"])
        if partner is None:  # waits (a payout accruals point at is never removed)
            self._wait("payout", rid, d)
            return None
        status = _PAYOUT_STATUS[d["status"]]
        if status == "approved":  # the wire has no "sent": the sending desk keeps its word
            row = self.db.execute("SELECT status FROM payouts WHERE uid = ?", (rid,)).fetchone()
            if row is not None and row[0] in ("sent", "paid"):
                status = row[0]
        self._upsert("payouts", rid, version, {
            "partner_id": partner, "period_start": _day(d["period_start"]),
            "period_end": _day(d["period_end"]),
            "amount_minor": parse_money(d["amount"], exponent(d["currency"])),
            "currency": d["currency"], "status": status,
            "prepared_by": self.user_id(d["prepared_by"]),
            "approved_by": self.user_id(d["approved_by"])})
        if status != "rejected":  # this desk's own accruals of it are paid by it too
            pid, amount = self.db.execute("SELECT id, amount_minor FROM payouts WHERE uid = ?",
                                          (rid,)).fetchone()
            # Linked once (later copies of the payout never take later commission); a desk
            # that has not accrued the deals yet links when a later copy comes.
            if self.db.execute("SELECT 1 FROM commission_accruals WHERE payout_id = ? LIMIT 1",
                               (pid,)).fetchone() is None:
                link_accruals(self.db, pid, partner, d["currency"], d["period_end"])
                (linked,) = self.db.execute(
                    "SELECT coalesce(sum(amount_minor), 0) FROM commission_accruals"
                    " WHERE payout_id = ?", (pid,)).fetchone()
                if linked and linked != amount:  # a person looks; it cannot be sent from here
                    self.errors.append(("payout", rid, (
                        f"The payout is {format_money(amount, d['currency'])} but this "
                        "desk's unpaid commission for that partner and period is "
                        f"{format_money(linked, d['currency'])}; it cannot be approved or "
                        "sent from this desk until someone checks it.")[:500]))
        return None

    def client_profiles(self, profiles: list[tuple[str, int, dict[str, Any]]]) -> None:
        """The back office's part of client records; a page holds thousands of them."""
        rows = [(self.client_id(d["client_id"]), version, d) for _, version, d in profiles]
        self.db.executemany(
            "UPDATE clients SET status = ?, segment = ?, risk_rating = ?, manager_id = ?,"
            " closed_reason = ?, profile_version = ?, updated_at = ?,"
            # The record does not say when the client was closed, and a reopening and
            # a new closing may both have happened since the last pull: a newer closed
            # copy restarts the retention clock (keeping too long, never purging early).
            " closed_at = CASE WHEN ? = 'closed' THEN ? ELSE NULL END"
            " WHERE id = ? AND profile_version < ?",
            [(d["status"], d["segment"], d["risk_rating"], self.user_id(d["manager"]),
              d["closed_reason"], version, self.now, d["status"], self.now, cid, version)
             for cid, version, d in rows])
        # Tags follow the profile version that now stands, whichever copy wrote it.
        standing = "(SELECT profile_version FROM clients WHERE id = ?) = ?"
        self.db.executemany(f"DELETE FROM client_tags WHERE client_id = ? AND {standing}",
                            [(cid, cid, version) for cid, version, _ in rows])
        self.db.executemany(
            f"INSERT INTO client_tags (client_id, tag) SELECT ?, ? WHERE {standing}",
            [(cid, tag, cid, version) for cid, version, d in rows
             for tag in dict.fromkeys(d["tags"])])


TYPED: dict[str, Callable[[OwnedWriter, str, int, dict[str, Any] | None], None]] = {
    "note": OwnedWriter.note, "task": OwnedWriter.task, "kyc_case": OwnedWriter.kyc_case,
    "approval": OwnedWriter.approval, "alert": OwnedWriter.alert,
    "compliance_case": OwnedWriter.compliance_case, "partner": OwnedWriter.partner,
    "commission_plan": OwnedWriter.commission_plan, "plan_version": OwnedWriter.plan_version,
    "plan_assignment": OwnedWriter.plan_assignment, "partner_move": OwnedWriter.partner_move,
    "commission_run": OwnedWriter.commission_run, "payout": OwnedWriter.payout}
