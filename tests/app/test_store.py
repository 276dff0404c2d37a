"""The encrypted store: real SQLCipher files, read back byte by byte."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
import sqlcipher3

from app.errors import WorkspaceDamaged, WorkspaceNotFound, WorkspaceTooNew, WrongPassword
from app.models.kyc import DocumentContent, DocumentStatus, KycCase, KycDocument, KycStatus
from app.services import clients as client_service
from app.services.workspace import Desk, change_password, open_workspace
from app.workspace import keys
from tests.conftest import PASSWORD

SECRET_NAME = "Zyxwvutsrqponmlk"
SECRET_EMAIL = "unique.marker.9931@example.com"
DOC_BYTES = b"PASSPORT-SCAN-" + bytes(range(256)) * 40 + b"-END-OF-SCAN"


def _fill_sensitive(desk: Desk) -> None:
    cid = client_service.create_client(desk, client_service.ClientData(
        first_name="Qwerty", last_name=SECRET_NAME, email=SECRET_EMAIL, country="CY"))
    with desk.store.write() as s:
        case = KycCase(uid="c-1", client_id=cid, status=KycStatus.OPEN)
        s.add(case)
        s.flush()
        doc = KycDocument(uid="d-1", case_id=case.id, doc_type="passport",
                          status=DocumentStatus.NEW, file_name="passport.pdf",
                          mime_type="application/pdf",
                          sha256=hashlib.sha256(DOC_BYTES).hexdigest(), size=len(DOC_BYTES))
        s.add(doc)
        s.flush()
        s.add(DocumentContent(document_id=doc.id, data=DOC_BYTES))


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())


def _content_hash(folder: Path) -> str:
    """The database and its settings; SQLite's -shm scratch index is not content."""
    files = [folder / keys.DB_NAME, folder / keys.META_NAME, folder / (keys.DB_NAME + "-wal")]
    return hashlib.sha256(b"".join(p.read_bytes() for p in files if p.exists())).hexdigest()


def _assert_no_plaintext(blob: bytes) -> None:
    for needle in (SECRET_NAME.encode(), SECRET_EMAIL.encode(), b"PASSPORT-SCAN-",
                   DOC_BYTES[100:160], b"SQLite format 3", b"CREATE TABLE"):
        assert needle not in blob, needle


def test_store_runs_in_wal_mode(desk: Desk) -> None:
    with desk.store.read() as s:
        assert s.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    with desk.store.write() as s:
        assert s.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_database_and_wal_hold_no_plaintext(desk: Desk) -> None:
    _fill_sensitive(desk)
    folder = desk.store.folder
    wal = folder / (keys.DB_NAME + "-wal")
    assert wal.exists() and wal.stat().st_size > 0, "the change should still sit in the WAL"
    _assert_no_plaintext((folder / keys.DB_NAME).read_bytes())
    _assert_no_plaintext(wal.read_bytes())
    desk.close()
    _assert_no_plaintext(_all_bytes(folder))
    reopened = open_workspace(folder, PASSWORD)
    with reopened.store.read() as s:
        assert s.get(DocumentContent, 1).data == DOC_BYTES
    reopened.close()


def test_files_are_owner_only(desk: Desk) -> None:
    _fill_sensitive(desk)
    folder = desk.store.folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in (keys.DB_NAME, keys.DB_NAME + "-wal"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name


def test_wrong_password_is_refused_and_changes_nothing(desk: Desk) -> None:
    folder = desk.store.folder
    desk.close()
    before = _content_hash(folder)
    with pytest.raises(WrongPassword) as err:
        open_workspace(folder, "not the password")
    assert "not correct" in err.value.message
    assert _content_hash(folder) == before


def test_raw_driver_cannot_read_without_the_key(desk: Desk) -> None:
    _fill_sensitive(desk)
    desk.close()
    db = desk.store.folder / keys.DB_NAME
    plain = sqlcipher3.connect(str(db))
    with pytest.raises(sqlcipher3.DatabaseError):
        plain.execute("SELECT count(*) FROM clients").fetchall()
    plain.close()
    wrong = sqlcipher3.connect(str(db))
    wrong.execute("PRAGMA cipher_log_level = NONE")
    wrong.execute(f"PRAGMA key = \"x'{'00' * 32}'\"")
    with pytest.raises(sqlcipher3.DatabaseError):
        wrong.execute("SELECT count(*) FROM clients").fetchall()
    wrong.close()
    # The right raw key (derived, never the password text) does read it.
    raw = keys.read_meta(desk.store.folder).derive(PASSWORD)
    right = sqlcipher3.connect(str(db))
    right.execute(f"PRAGMA key = \"{keys.sqlcipher_key(raw)}\"")
    assert right.execute("SELECT last_name FROM clients").fetchall() == [(SECRET_NAME,)]
    right.close()


def test_password_text_never_reaches_sqlcipher(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Trace every statement the driver runs: the password must not appear in any."""
    from app.services.workspace import init_workspace

    seen: list[str] = []
    real_connect = sqlcipher3.connect

    def traced(*args: object, **kwargs: object) -> object:
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(seen.append)
        return conn

    monkeypatch.setattr(sqlcipher3, "connect", traced)
    password = "Pa55word-marker-7781"
    d = init_workspace(tmp_path / "w", password=password, broker_name="B", base_currency="EUR",
                       admin_username="a", admin_full_name="A")
    change_password(d, password, "Second-marker-2290")
    d.close()
    open_workspace(tmp_path / "w", "Second-marker-2290").close()
    assert seen, "the trace saw no statements"
    assert not [s for s in seen if "marker" in s]


def test_rekeyed_file_opens_only_with_the_new_password(desk: Desk) -> None:
    _fill_sensitive(desk)
    folder = desk.store.folder
    with pytest.raises(WrongPassword):
        change_password(desk, "wrong old password", "new password 123")
    change_password(desk, PASSWORD, "new password 123")
    # The open desk keeps working on the re-keyed file.
    assert client_service.get_client(desk, 1)[0].last_name == SECRET_NAME
    desk.close()
    with pytest.raises(WrongPassword):
        open_workspace(folder, PASSWORD)
    reopened = open_workspace(folder, "new password 123")
    assert client_service.get_client(reopened, 1)[0].email == SECRET_EMAIL
    reopened.close()
    _assert_no_plaintext(_all_bytes(folder))


def test_missing_or_damaged_workspace_is_explained(tmp_path: Path, desk: Desk) -> None:
    with pytest.raises(WorkspaceNotFound, match="no Backdesk workspace"):
        open_workspace(tmp_path / "nowhere", PASSWORD)
    folder = desk.store.folder
    desk.close()
    (folder / keys.META_NAME).write_text("{not json")
    with pytest.raises(WorkspaceDamaged, match="cannot be read"):
        open_workspace(folder, PASSWORD)
    os.remove(folder / keys.META_NAME)
    with pytest.raises(WorkspaceDamaged, match="missing"):
        open_workspace(folder, PASSWORD)


def test_workspace_from_a_newer_schema_refuses_to_open(desk: Desk) -> None:
    folder = desk.store.folder
    with desk.store.writer.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    desk.close()
    before = _content_hash(folder)
    with pytest.raises(WorkspaceTooNew, match="newer version of Backdesk"):
        open_workspace(folder, PASSWORD)
    assert _content_hash(folder) == before


def test_a_locked_store_refuses_instead_of_reconnecting(desk: Desk) -> None:
    from app.errors import WorkspaceLocked

    desk.close()
    with pytest.raises(WorkspaceLocked, match="locked"), desk.store.read():
        pass
    with pytest.raises(WorkspaceLocked), desk.store.write():
        pass


def test_database_errors_do_not_carry_client_data(desk: Desk) -> None:
    from sqlalchemy.exc import IntegrityError

    from app.models.crm import Client

    with pytest.raises(IntegrityError) as err, desk.store.write() as s:
        s.add(Client(id=1, kind="person", display_name=SECRET_NAME, search_name="x",
                     country="GB"))
        s.flush()
        s.add(Client(id=1, kind="person", display_name=SECRET_NAME, search_name="x",
                     country="GB"))
        s.flush()
    assert SECRET_NAME not in str(err.value)
