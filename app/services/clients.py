"""Client records: create and edit, with validation, permissions and audit."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from typing import Any

from app import audit
from app.countries import check_country
from app.crm import lifecycle
from app.crm.search_index import refresh_clients
from app.errors import NotFound, StaleRecord, ValidationFailed
from app.models.crm import Client, ClientKind, ClientStatus, RiskRating
from app.roles import Permission, require
from app.services.outbox import queue_client_changes
from app.services.screening import screen_client_in
from app.services.workspace import Desk
from app.text import fold

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
# Fields whose change rewrites the client's search terms.
_SEARCHED = {"first_name", "last_name", "company_name", "email", "phone"}


@dataclass(frozen=True)
class ClientData:
    """The editable fields of a client, as a form or an import row gives them."""

    kind: ClientKind = ClientKind.PERSON
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    email: str = ""
    phone: str = ""
    country: str = ""
    date_of_birth: date | None = None
    segment: str = ""
    status: ClientStatus = ClientStatus.LEAD
    risk_rating: RiskRating = RiskRating.UNRATED
    manager_id: int | None = None

    @classmethod
    def of(cls, client: Client) -> ClientData:
        return cls(**{f.name: getattr(client, f.name) for f in fields(cls)})


def display_name(data: ClientData) -> str:
    if data.kind is ClientKind.COMPANY:
        return data.company_name
    return f"{data.last_name}, {data.first_name}" if data.first_name else data.last_name


def normalise_phone(phone: str) -> str:
    return re.sub(r"[\s().-]", "", phone)


def check_email(email: str, field: str = "email") -> str:
    """The address as stored (trimmed, lower case), or a refusal a clerk can act on."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise ValidationFailed(f"{email or 'An empty value'} is not a valid email address.",
                               field)
    return email


def check_phone(phone: str, field: str = "phone") -> str:
    """The number in international form without spaces, or a refusal."""
    phone = normalise_phone(phone.strip())
    if not _PHONE.match(phone):
        raise ValidationFailed(
            f"{phone or 'An empty value'} is not a phone number in international form "
            "(e.g. +357 22 123456).", field)
    return phone


def validate(data: ClientData) -> ClientData:
    data = replace(
        data,
        first_name=data.first_name.strip(), last_name=data.last_name.strip(),
        company_name=data.company_name.strip(), email=data.email.strip().lower(),
        phone=normalise_phone(data.phone.strip()), segment=data.segment.strip(),
    )
    if data.kind is ClientKind.PERSON and not data.last_name:
        raise ValidationFailed("Enter the client's last name.", "last_name")
    if data.kind is ClientKind.COMPANY and not data.company_name:
        raise ValidationFailed("Enter the company's registered name.", "company_name")
    if data.email:
        check_email(data.email)
    if data.phone:
        check_phone(data.phone)
    if data.date_of_birth and data.date_of_birth >= date.today():
        raise ValidationFailed("The date of birth must be in the past.", "date_of_birth")
    return replace(data, country=check_country(data.country))


def _apply(client: Client, data: ClientData) -> None:
    for f in fields(ClientData):
        setattr(client, f.name, getattr(data, f.name))
    client.display_name = display_name(data)
    client.search_name = fold(client.display_name)


# A new name (or what tells two namesakes apart) is screened again at once.
_SCREENED = {"first_name", "last_name", "company_name", "kind", "date_of_birth", "country"}


def check_start(data: ClientData) -> None:
    if data.status not in lifecycle.START:
        raise ValidationFailed(
            f"A new client starts as a lead or registered, not {lifecycle.label(data.status)}; "
            "the later steps (KYC, verification) follow once the client exists.", "status")


def create_client(desk: Desk, data: ClientData) -> int:
    require(desk.actor, Permission.EDIT_CLIENTS)
    data = validate(data)
    check_start(data)
    with desk.store.write() as s:
        client = Client()
        _apply(client, data)
        s.add(client)
        s.flush()
        refresh_clients(s, [client.id])
        audit.record(s, desk.actor, "client.create", "client", client.id, after=asdict(data))
        screen_client_in(s, desk.actor, client, "onboarding")  # hits saved with the client
        return client.id


def update_client(desk: Desk, client_id: int, data: ClientData, expected_version: int) -> int:
    """Save an edit made on version `expected_version`; returns the new version."""
    require(desk.actor, Permission.EDIT_CLIENTS)
    data = validate(data)
    with desk.store.write() as s:
        client = s.get(Client, client_id)
        if client is None:
            raise NotFound("This client no longer exists.")
        if client.version != expected_version:
            raise StaleRecord(
                f"{client.display_name} was changed by someone else while you were editing. "
                "Your changes were not saved; reopen the client to see the latest version.")
        before = ClientData.of(client)
        changed = {k: v for k, v in asdict(data).items() if asdict(before)[k] != v}
        if not changed:
            return client.version
        if "status" in changed:  # the lifecycle's rules (KYC, balances) apply to edits too
            lifecycle.check_transition(s, client, data.status)
        _apply(client, data)
        client.version += 1
        old = {k: asdict(before)[k] for k in changed}
        if changed.keys() & _SEARCHED:
            refresh_clients(s, [client_id])
        queue_client_changes(s, desk.actor, client, old)
        audit.record(s, desk.actor, "client.update", "client", client_id,
                     before=old, after=changed)
        if changed.keys() & _SCREENED:
            screen_client_in(s, desk.actor, client, "name_change")
        return client.version


def get_client(desk: Desk, client_id: int) -> tuple[ClientData, int, dict[str, Any]]:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        client = s.get(Client, client_id)
        if client is None:
            raise NotFound("This client no longer exists.")
        extra = {"id": client.id, "display_name": client.display_name,
                 "created_at": client.created_at, "updated_at": client.updated_at}
        return ClientData.of(client), client.version, extra
