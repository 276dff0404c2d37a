"""The hash chain: verified when intact, and each kind of tampering caught and named."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from app import audit
from app.models.users import Role
from app.services import clients, users
from app.services.workspace import Desk


def _make_history(desk: Desk, n: int = 6) -> None:
    for i in range(n):
        clients.create_client(desk, clients.ClientData(last_name=f"Client{i}", country="GB"))
    users.add_user(desk, "bob", "Bob Clerk", Role.CLERK)


def _verify(desk: Desk) -> audit.VerifyResult:
    with desk.store.read() as s:
        return audit.verify(s)


def _tamper(desk: Desk, fn: Callable[[Connection], None]) -> None:
    """Edit the file by hand, as someone with the key and a SQL shell could."""
    with desk.store.writer.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_entries_no_update")
        conn.exec_driver_sql("DROP TRIGGER audit_entries_no_delete")
        fn(conn)


def test_intact_chain_verifies(desk: Desk) -> None:
    _make_history(desk)
    result = _verify(desk)
    assert result.ok, result.message
    assert result.checked == 8  # workspace.create + 6 clients + 1 user


def test_every_change_is_audited_with_before_and_after(desk: Desk) -> None:
    cid = clients.create_client(desk, clients.ClientData(last_name="Smith", country="GB"))
    data, version, _ = clients.get_client(desk, cid)
    from dataclasses import replace

    clients.update_client(desk, cid, replace(data, email="j.smith@example.com"), version)
    with desk.store.read() as s:
        from sqlalchemy import select

        from app.models.audit import AuditEntry

        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last is not None
    assert (last.action, last.entity, last.entity_id) == ("client.update", "client", str(cid))
    assert last.actor_name == "admin"
    assert last.before == {"email": ""} and last.after == {"email": "j.smith@example.com"}


def test_the_application_cannot_edit_or_delete_entries(desk: Desk) -> None:
    _make_history(desk, 1)
    with pytest.raises(IntegrityError, match="append-only"), desk.store.writer.begin() as c:
        c.exec_driver_sql("UPDATE audit_entries SET actor_name = 'x' WHERE id = 1")
    with pytest.raises(IntegrityError, match="append-only"), desk.store.writer.begin() as c:
        c.exec_driver_sql("DELETE FROM audit_entries WHERE id = 1")
    assert _verify(desk).ok


def test_edited_entry_is_found(desk: Desk) -> None:
    _make_history(desk)
    _tamper(desk, lambda c: c.exec_driver_sql(
        "UPDATE audit_entries SET after = '{\"last_name\": \"Forged\"}' WHERE id = 4"))
    result = _verify(desk)
    assert not result.ok
    assert result.entry_id == 4
    assert "edited" in result.message and "#4" in result.message


def test_deleted_entry_is_found(desk: Desk) -> None:
    _make_history(desk)
    _tamper(desk, lambda c: c.exec_driver_sql("DELETE FROM audit_entries WHERE id = 3"))
    result = _verify(desk)
    assert not result.ok and result.entry_id == 3
    assert "deleted" in result.message


def test_reordered_entries_are_found(desk: Desk) -> None:
    _make_history(desk)

    def swap(c: Connection) -> None:
        c.exec_driver_sql("UPDATE audit_entries SET id = -1 WHERE id = 3")
        c.exec_driver_sql("UPDATE audit_entries SET id = 3 WHERE id = 4")
        c.exec_driver_sql("UPDATE audit_entries SET id = 4 WHERE id = -1")

    _tamper(desk, swap)
    result = _verify(desk)
    assert not result.ok and result.entry_id == 3
    assert "reordered" in result.message


def test_removing_the_newest_entries_is_found(desk: Desk) -> None:
    _make_history(desk)
    _tamper(desk, lambda c: c.exec_driver_sql("DELETE FROM audit_entries WHERE id >= 7"))
    result = _verify(desk)
    assert not result.ok
    assert "newest audit entries were deleted" in result.message


def test_cli_reports_tampering_with_exit_code(desk: Desk, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from app.__main__ import run
    from tests.conftest import PASSWORD

    _make_history(desk)
    folder = desk.store.folder
    monkeypatch.setenv("BACKDESK_PASSWORD", PASSWORD)
    assert run(["audit", "verify", "--workspace", str(folder)]) == 0
    assert "chain intact" in capsys.readouterr().out
    _tamper(desk, lambda c: c.exec_driver_sql(
        "UPDATE audit_entries SET actor_name = 'mallory' WHERE id = 5"))
    assert run(["audit", "verify", "--workspace", str(folder)]) == 1
    assert "entry #5" in capsys.readouterr().out
