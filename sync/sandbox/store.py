"""The sandbox broker's own database: versioned records in change order, plus the
gateway's bookkeeping (idempotent command results, device sequences, desk users,
sessions and encrypted document files).

Every record lives in one table keyed by (kind, id). Its `seq` is its position in
the changes feed: each write gives the record the next seq, so reading `seq > cursor`
in order returns every record changed since the cursor exactly once, with deletions
kept as tombstones until compaction moves the feed horizon past them.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlcipher3 import dbapi2 as sqlcipher

from app.workspace.keys import sqlcipher_key

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    body TEXT
);
CREATE TABLE IF NOT EXISTS commands (
    idempotency_key TEXT PRIMARY KEY,
    device TEXT NOT NULL,
    device_seq INTEGER NOT NULL,
    command TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (device TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS desk_users (
    username TEXT PRIMARY KEY, role TEXT NOT NULL, display_name TEXT NOT NULL,
    salt BLOB NOT NULL, password_hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY, username TEXT NOT NULL, device TEXT NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, mime_type TEXT NOT NULL, size INTEGER NOT NULL,
    sha256 TEXT NOT NULL, nonce BLOB NOT NULL, ciphertext BLOB NOT NULL
);
"""
# Built after the bulk load: maintaining it row by row would triple the build time.
INDEXES = "CREATE UNIQUE INDEX IF NOT EXISTS ix_records_key ON records (kind, id);"

SESSION_MS = 12 * 3600 * 1000


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Record:
    seq: int
    kind: str
    id: str
    version: int
    deleted: bool
    data: dict[str, Any] | None


@dataclass(frozen=True)
class StoredResult:
    device: str
    device_seq: int
    command: str
    body_sha256: str
    status: int
    response: str


@dataclass(frozen=True)
class DeskUser:
    username: str
    role: str
    display_name: str


def _hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)


class SandboxStore:
    """One SQLCipher connection, used from the server's event loop thread only."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self.db = sqlcipher.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.execute(f'PRAGMA key = "{sqlcipher_key(key)}"')
        self.db.execute("PRAGMA cipher_log_level = NONE")
        self.db.execute("SELECT count(*) FROM sqlite_master")  # fails now on a wrong key
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._in_tx = False
        row = self.db.execute("SELECT max(seq) FROM records").fetchone()
        # Compaction may have removed the newest rows (tombstones): never hand out a
        # seq a cursor may already have passed.
        self.head = max(int(row[0] or 0), int(self.meta("horizon", "0")))

    def close(self) -> None:
        self.db.close()

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def tx(self) -> Iterator[None]:
        """One atomic write. Nested calls join the outer transaction."""
        if self._in_tx:
            yield
            return
        head = self.head
        self.db.execute("BEGIN IMMEDIATE")
        self._in_tx = True
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            self.head = head
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            self._in_tx = False

    # -- meta -----------------------------------------------------------------------------

    def meta(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    def set_meta(self, key: str, value: object) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, str(value)))

    @property
    def built(self) -> bool:
        return self.meta("built") == "1"

    # -- records --------------------------------------------------------------------------

    def get(self, kind: str, rid: str) -> Record | None:
        row = self.db.execute(
            "SELECT seq, kind, id, version, deleted, body FROM records "
            "WHERE kind = ? AND id = ?", (kind, rid)).fetchone()
        return _record(row) if row else None

    def put(self, kind: str, rid: str, data: dict[str, Any] | None) -> Record:
        """Write the new state of a record (None = delete) at the head of the feed."""
        assert self._in_tx, "records change inside a transaction"
        row = self.db.execute("SELECT version FROM records WHERE kind = ? AND id = ?",
                              (kind, rid)).fetchone()
        version = int(row[0]) + 1 if row else 1
        self.head += 1
        body = None if data is None else dumps(data)
        if row:
            self.db.execute(
                "UPDATE records SET seq = ?, version = ?, deleted = ?, body = ? "
                "WHERE kind = ? AND id = ?",
                (self.head, version, int(data is None), body, kind, rid))
        else:
            self.db.execute(
                "INSERT INTO records (seq, kind, id, version, deleted, body) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (self.head, kind, rid, version, int(data is None), body))
        return Record(self.head, kind, rid, version, data is None, data)

    def bulk_load(self, rows: Iterable[tuple[str, str, str]]) -> int:
        """Append (kind, id, json body) rows as version 1; used by the initial build."""
        start = self.head
        numbered = ((start + i + 1, kind, rid, body) for i, (kind, rid, body) in
                    enumerate(rows))
        self.db.executemany(
            "INSERT INTO records (seq, kind, id, version, deleted, body) "
            "VALUES (?, ?, ?, 1, 0, ?)", numbered)
        self.head = int(self.db.execute("SELECT max(seq) FROM records").fetchone()[0] or 0)
        return self.head - start

    def finish_build(self) -> None:
        self.db.execute(INDEXES)

    def ensure_indexes(self) -> None:
        self.db.execute(INDEXES)

    def page_json(self, after_seq: int, limit: int) -> tuple[list[str], int]:
        """The changes after a seq as ready-made JSON objects, and the last seq read.

        Bodies are stored as JSON text and spliced in unparsed: paging a million
        records must not pay for decoding and re-encoding each one.
        """
        rows = self.db.execute(
            "SELECT seq, kind, id, version, deleted, body FROM records "
            "WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit)).fetchall()
        items = [
            f'{{"seq":{seq},"kind":"{kind}","id":{json.dumps(rid)},"version":{version},'
            f'"deleted":{"true" if deleted else "false"},"data":{body or "null"}}}'
            for seq, kind, rid, version, deleted, body in rows]
        return items, (rows[-1][0] if rows else after_seq)

    def count(self, kind: str | None = None) -> int:
        if kind is None:
            return int(self.db.execute(
                "SELECT count(*) FROM records WHERE deleted = 0").fetchone()[0])
        return int(self.db.execute(
            "SELECT count(*) FROM records WHERE kind = ? AND deleted = 0",
            (kind,)).fetchone()[0])

    def iter_kind(self, kind: str) -> Iterator[Record]:
        for row in self.db.execute(
                "SELECT seq, kind, id, version, deleted, body FROM records "
                "WHERE kind = ? AND deleted = 0", (kind,)):
            yield _record(row)

    def compact(self, upto_seq: int) -> int:
        """Forget tombstones up to a seq; cursors from before it become expired."""
        with self.tx():
            cur = self.db.execute("DELETE FROM records WHERE deleted = 1 AND seq <= ?",
                                  (upto_seq,))
            horizon = max(int(self.meta("horizon", "0")), upto_seq)
            self.set_meta("horizon", horizon)
        return int(cur.rowcount)

    # -- idempotent commands --------------------------------------------------------------

    def stored_result(self, key: str) -> StoredResult | None:
        row = self.db.execute(
            "SELECT device, device_seq, command, body_sha256, status, response "
            "FROM commands WHERE idempotency_key = ?", (key,)).fetchone()
        return StoredResult(*row) if row else None

    def last_device_seq(self, device: str) -> int:
        row = self.db.execute("SELECT last_seq FROM devices WHERE device = ?",
                              (device,)).fetchone()
        return int(row[0]) if row else 0

    def store_result(self, key: str, device: str, device_seq: int, command: str,
                     body_sha256: str, status: int, response: str) -> None:
        assert self._in_tx, "a command's result is stored with its effects"
        self.db.execute(
            "INSERT INTO commands (idempotency_key, device, device_seq, command, body_sha256,"
            " status, response, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (key, device, device_seq, command, body_sha256, status, response, now_ms()))
        self.db.execute(
            "INSERT INTO devices (device, last_seq) VALUES (?, ?) ON CONFLICT (device) "
            "DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)", (device, device_seq))

    # -- desk users and sessions ------------------------------------------------------------

    def add_user(self, username: str, role: str, display_name: str, password: str) -> None:
        salt = secrets.token_bytes(16)
        self.db.execute(
            "INSERT OR REPLACE INTO desk_users VALUES (?, ?, ?, ?, ?)",
            (username, role, display_name, salt, _hash_password(password, salt)))

    def check_password(self, username: str, password: str) -> DeskUser | None:
        row = self.db.execute(
            "SELECT role, display_name, salt, password_hash FROM desk_users "
            "WHERE username = ?", (username,)).fetchone()
        if row is None:
            _hash_password(password, b"0" * 16)  # same cost whether or not the user exists
            return None
        role, display, salt, expected = row
        if not secrets.compare_digest(_hash_password(password, salt), expected):
            return None
        return DeskUser(username, role, display)

    def open_session(self, user: DeskUser, device: str) -> tuple[str, int]:
        token = secrets.token_urlsafe(32)
        expires = now_ms() + SESSION_MS
        self.db.execute("DELETE FROM sessions WHERE expires_ms < ?", (now_ms(),))
        self.db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                        (_token_sha(token), user.username, device, expires))
        return token, expires

    def session_device(self, token: str) -> tuple[DeskUser, str] | None:
        """The user and device a live session token belongs to."""
        row = self.db.execute(
            "SELECT u.username, u.role, u.display_name, s.device FROM sessions s "
            "JOIN desk_users u ON u.username = s.username "
            "WHERE s.token_sha256 = ? AND s.expires_ms > ?",
            (_token_sha(token), now_ms())).fetchone()
        return (DeskUser(*row[:3]), row[3]) if row else None

    # -- document files -------------------------------------------------------------------

    def put_document(self, doc_id: str, mime_type: str, sha256: str, size: int, nonce: bytes,
                     ciphertext: bytes) -> None:
        self.db.execute("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?)",
                        (doc_id, mime_type, size, sha256, nonce, ciphertext))

    def document(self, doc_id: str) -> tuple[str, str, int, bytes, bytes] | None:
        row = self.db.execute(
            "SELECT mime_type, sha256, size, nonce, ciphertext FROM documents WHERE id = ?",
            (doc_id,)).fetchone()
        return (row[0], row[1], row[2], row[3], row[4]) if row else None


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _token_sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _record(row: tuple[Any, ...]) -> Record:
    seq, kind, rid, version, deleted, body = row
    return Record(seq, kind, rid, version, bool(deleted),
                  None if body is None else json.loads(body))
