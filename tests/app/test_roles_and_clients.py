"""Permissions are enforced in the services; client edits validate and detect staleness."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from app.errors import PermissionDenied, StaleRecord, ValidationFailed
from app.models.crm import ClientKind
from app.models.users import Role
from app.roles import ROLE_PERMISSIONS, Permission
from app.services import clients, users
from app.services.workspace import Desk, set_idle_lock_minutes


def _as(desk: Desk, role: Role, name: str) -> Desk:
    return Desk(desk.store, users.add_user(desk, name, name.title(), role))


def test_compliance_officer_cannot_edit_clients(desk: Desk) -> None:
    officer = _as(desk, Role.COMPLIANCE, "nadia")
    with pytest.raises(PermissionDenied, match="not allowed to create and edit clients"):
        clients.create_client(officer, clients.ClientData(last_name="X", country="GB"))


def test_clerk_cannot_manage_users_or_settings(desk: Desk) -> None:
    clerk = _as(desk, Role.CLERK, "chris")
    with pytest.raises(PermissionDenied, match=r"Chris \(Clerk\)"):
        users.add_user(clerk, "eve", "Eve", Role.ADMIN)
    with pytest.raises(PermissionDenied):
        users.set_role(clerk, clerk.actor.id, Role.ADMIN)
    with pytest.raises(PermissionDenied):
        set_idle_lock_minutes(clerk, 60)


def test_refused_call_writes_nothing(desk: Desk) -> None:
    clerk = _as(desk, Role.CLERK, "chris")
    before = len(users.list_users(desk))
    with pytest.raises(PermissionDenied):
        users.add_user(clerk, "eve", "Eve", Role.ADMIN)
    assert len(users.list_users(desk)) == before


def test_every_role_can_view_and_only_admin_manages_users() -> None:
    for role, perms in ROLE_PERMISSIONS.items():
        assert Permission.VIEW in perms
        assert (Permission.MANAGE_USERS in perms) == (role is Role.ADMIN)


def test_admin_cannot_demote_themselves(desk: Desk) -> None:
    with pytest.raises(ValidationFailed, match="your own administrator role"):
        users.set_role(desk, desk.actor.id, Role.CLERK)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("email", "not-an-email", "not a valid email"),
    ("phone", "12345", "international form"),
    ("country", "XX", "not a country code"),
    ("last_name", "  ", "last name"),
    ("date_of_birth", date(2999, 1, 1), "in the past"),
])
def test_client_validation(desk: Desk, field: str, value: object, message: str) -> None:
    data = replace(clients.ClientData(last_name="Okafor", country="NG"), **{field: value})
    with pytest.raises(ValidationFailed, match=message) as err:
        clients.create_client(desk, data)
    assert err.value.field == field


def test_client_fields_are_normalised(desk: Desk) -> None:
    cid = clients.create_client(desk, clients.ClientData(
        first_name=" Σωκράτης ", last_name="Παπαδόπουλος", email=" S.P@Example.COM ",
        phone="+30 (210) 123-4567", country="gr"))
    data, version, extra = clients.get_client(desk, cid)
    assert (data.email, data.phone, data.country) == ("s.p@example.com", "+302101234567", "GR")
    assert extra["display_name"] == "Παπαδόπουλος, Σωκράτης"
    assert version == 1


def test_company_client(desk: Desk) -> None:
    cid = clients.create_client(desk, clients.ClientData(
        kind=ClientKind.COMPANY, company_name="Aegean Capital Ltd", country="CY"))
    assert clients.get_client(desk, cid)[2]["display_name"] == "Aegean Capital Ltd"


def test_stale_edit_is_refused_not_overwritten(desk: Desk) -> None:
    cid = clients.create_client(desk, clients.ClientData(last_name="Novak", country="CZ"))
    data, version, _ = clients.get_client(desk, cid)
    assert clients.update_client(desk, cid, replace(data, segment="VIP"), version) == 2
    with pytest.raises(StaleRecord, match="changed by someone else"):
        clients.update_client(desk, cid, replace(data, segment="Retail"), version)
    assert clients.get_client(desk, cid)[0].segment == "VIP"
