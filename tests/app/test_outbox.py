"""The outbox as the services write it: local change and command together, discards
audited and permission-checked, refused commands put the local change back."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select, text

from app.errors import PermissionDenied, ValidationFailed
from app.models.audit import AuditEntry
from app.models.crm import Client, Note
from app.models.sync_state import OutboxCommand, OutboxStatus
from app.models.users import Role
from app.services import outbox
from app.services.clients import ClientData, create_client, get_client, update_client
from app.services.workspace import Desk
from tests.app.test_roles_and_clients import _as


def platform_client(desk: Desk) -> int:
    cid = create_client(desk, ClientData(first_name="Ana", last_name="Lima", country="PT",
                                         email="ana@mail.example"))
    with desk.store.write() as s:
        s.execute(text("UPDATE clients SET external_id = 'C77', server_version = 3 "
                       "WHERE id = :id"), {"id": cid})
    return cid


def test_a_note_and_its_command_are_written_together(desk: Desk) -> None:
    cid = platform_client(desk)
    note_id = outbox.add_note(desk, cid, "Asked for a proof of address.")
    with desk.store.read() as s:
        row = s.scalars(select(OutboxCommand)).one()
        note = s.get(Note, note_id)
        assert note is not None
        assert row.kind == "put-record" and row.status is OutboxStatus.PENDING
        assert row.payload["kind"] == "note" and row.payload["id"] == note.uid
        assert row.payload["data"]["client_id"] == "C77" and row.device_seq == 1
    local_only = create_client(desk, ClientData(first_name="Bo", last_name="Ek", country="SE"))
    outbox.add_note(desk, local_only, "Not on the platform: stays here.")
    with desk.store.read() as s:
        assert len(s.scalars(select(OutboxCommand)).all()) == 1


def test_client_edit_sends_platform_fields_with_the_version_it_was_based_on(
        desk: Desk) -> None:
    cid = platform_client(desk)
    data, version, _ = get_client(desk, cid)
    update_client(desk, cid, replace(data, email="ana.lima@mail.example", segment="vip"),
                  version)
    with desk.store.read() as s:
        rows = s.scalars(select(OutboxCommand).order_by(OutboxCommand.device_seq)).all()
    assert [r.kind for r in rows] == ["update-client", "put-record"]
    assert rows[0].payload == {"client_id": "C77", "base_version": 3,
                               "email": "ana.lima@mail.example"}
    assert rows[0].revert == {"table": "clients", "id": cid,
                              "values": {"email": "ana@mail.example"}}
    assert rows[1].payload["kind"] == "client_profile"
    assert rows[1].payload["data"]["segment"] == "vip"


def test_discard_needs_the_permission_a_reason_and_puts_the_change_back(desk: Desk) -> None:
    cid = platform_client(desk)
    outbox.add_note(desk, cid, "To be discarded")
    with desk.store.read() as s:
        row_id = s.scalars(select(OutboxCommand.id)).one()
    clerk = _as(desk, Role.CLERK, "Chris")
    with pytest.raises(PermissionDenied):
        outbox.discard(clerk, row_id, "no reason")
    with pytest.raises(ValidationFailed, match="Say why"):
        outbox.discard(desk, row_id, "  ")
    outbox.discard(desk, row_id, "Wrong client")
    with desk.store.read() as s:
        assert s.scalars(select(Note)).all() == []  # the local note is gone again
        row = s.get(OutboxCommand, row_id)
        assert row is not None and row.status is OutboxStatus.DISCARDED
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.discard")
                          ).one()
        assert "Wrong client" in str(entry.after)
    with pytest.raises(ValidationFailed):
        outbox.discard(desk, row_id, "again")


def test_sequence_numbers_only_grow(desk: Desk) -> None:
    cid = platform_client(desk)
    for i in range(3):
        outbox.add_note(desk, cid, f"note {i}")
    with desk.store.read() as s:
        seqs = list(s.scalars(select(OutboxCommand.device_seq).order_by(OutboxCommand.id)))
        keys = set(s.scalars(select(OutboxCommand.idempotency_key)))
    assert seqs == [1, 2, 3] and len(keys) == 3
    with desk.store.read() as s:
        assert s.get(Client, cid) is not None


def test_a_second_signature_needs_the_right_for_what_is_approved(desk: Desk) -> None:
    clerk = _as(desk, Role.CLERK, "carl")
    finance = _as(desk, Role.FINANCE, "fiona")
    compliance = _as(desk, Role.COMPLIANCE, "chloe")
    withdrawal = outbox.prepare_approval(clerk, "withdrawal", "payment", "PAY1")
    with pytest.raises(PermissionDenied, match="approve withdrawals"):
        outbox.decide_approval(compliance, withdrawal, True)
    outbox.decide_approval(finance, withdrawal, True, "documents match")
    unknown = outbox.prepare_approval(clerk, "something_new", "x", "1")
    with pytest.raises(PermissionDenied):
        outbox.decide_approval(finance, unknown, True)
    outbox.decide_approval(desk, unknown, False, "not a thing we approve")  # the admin
