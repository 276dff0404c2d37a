"""Shared back office records from the gateway: kept raw in `shared_records`, and
written into the typed tables for the kinds this version shows (client profiles,
notes, tasks, KYC cases, approvals).

A record this desk is still sending (or whose conflict awaits a person) is kept raw
only: the desk's own edit stays on screen until the gateway has answered it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sync.contract.schemas import OWNED_SCHEMAS

UNSETTLED = ("pending", "in_flight", "conflict")


def _iso_stamp(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).replace(tzinfo=None).strftime(
        "%Y-%m-%d %H:%M:%S.%f")


def _day(text: str | None) -> str | None:
    return None if text is None else date.fromisoformat(text).isoformat()


class OwnedWriter:
    def __init__(self, db: Any, client_id: Callable[[str], int]) -> None:
        self.db, self.client_id = db, client_id
        self.users: dict[str, int] = dict(db.execute("SELECT username, id FROM users"))
        self.pending: list[tuple[str, str, int, dict[str, Any] | None]] = []
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
        for kind, rid, version, data in pending:
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

    # -- typed tables ---------------------------------------------------------------------

    def _upsert(self, table: str, rid: str, version: int, fields: dict[str, Any]) -> None:
        found = self.db.execute(f"SELECT id, server_version FROM {table} WHERE uid = ?",
                                (rid,)).fetchone()
        names = list(fields)
        if found is None:
            cols = ", ".join(["uid", *names, "version", "server_version", "created_at",
                              "updated_at"])
            marks = ", ".join("?" * (len(names) + 5))
            self.db.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                            (rid, *fields.values(), 1, version, self.now, self.now))
        elif found[1] < version:
            sets = ", ".join(f"{n} = ?" for n in names)
            self.db.execute(
                f"UPDATE {table} SET {sets}, server_version = ?, version = version + 1,"
                " updated_at = ? WHERE id = ?", (*fields.values(), version, self.now, found[0]))

    def _delete(self, table: str, rid: str) -> None:
        self.db.execute(f"DELETE FROM {table} WHERE uid = ?", (rid,))

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

    def client_profiles(self, profiles: list[tuple[str, int, dict[str, Any]]]) -> None:
        """The back office's part of client records; a page holds thousands of them."""
        rows = [(self.client_id(d["client_id"]), version, d) for _, version, d in profiles]
        self.db.executemany(
            "UPDATE clients SET status = ?, segment = ?, risk_rating = ?, manager_id = ?,"
            " closed_reason = ?, profile_version = ?, updated_at = ?"
            " WHERE id = ? AND profile_version < ?",
            [(d["status"], d["segment"], d["risk_rating"], self.user_id(d["manager"]),
              d["closed_reason"], version, self.now, cid, version) for cid, version, d in rows])
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
    "approval": OwnedWriter.approval}
