"""A client's further phone numbers, email addresses and postal addresses.

The client record keeps the main email and phone (the trading platform's); these are
the others a clerk collects. Emails and phones are validated like the main ones, and
all of them are found by the client search.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import audit
from app.crm.search_index import refresh_clients
from app.errors import NotFound, ValidationFailed
from app.models.crm import Client, ClientContact, ContactKind
from app.roles import Permission, require
from app.services.clients import check_email, check_phone
from app.services.workspace import Desk


@dataclass(frozen=True)
class ContactRow:
    id: int
    kind: ContactKind
    value: str
    is_primary: bool


def clean_value(kind: ContactKind, value: str) -> str:
    if kind is ContactKind.EMAIL:
        return check_email(value, "value")
    if kind is ContactKind.PHONE:
        return check_phone(value, "value")
    value = " ".join(value.split())
    if not value or len(value) > 500:
        raise ValidationFailed("An address is 1 to 500 characters.", "value")
    return value


def _client(s: Session, client_id: int) -> Client:
    client = s.get(Client, client_id)
    if client is None:
        raise NotFound("This client no longer exists.")
    return client


def _make_primary(s: Session, contact: ClientContact) -> None:
    s.execute(update(ClientContact).where(ClientContact.client_id == contact.client_id,
                                          ClientContact.kind == contact.kind,
                                          ClientContact.id != contact.id)
              .values(is_primary=False))
    contact.is_primary = True


def add_contact(desk: Desk, client_id: int, kind: ContactKind, value: str, *,
                primary: bool = False) -> int:
    require(desk.actor, Permission.EDIT_CLIENTS)
    value = clean_value(kind, value)
    with desk.store.write() as s:
        client = _client(s, client_id)
        same = s.scalar(select(ClientContact.id).where(
            ClientContact.client_id == client_id, ClientContact.kind == kind,
            ClientContact.value == value))
        if same is not None or (kind is ContactKind.EMAIL and value == client.email) or \
                (kind is ContactKind.PHONE and value == client.phone):
            raise ValidationFailed(f"{client.display_name} already has {value}.", "value")
        contact = ClientContact(client_id=client_id, kind=kind, value=value, is_primary=False)
        s.add(contact)
        s.flush()
        if primary:
            _make_primary(s, contact)
        refresh_clients(s, [client_id])
        audit.record(s, desk.actor, "contact.add", "client", client_id,
                     after={"contact": contact.id, "kind": kind.value, "value": value,
                            "primary": primary})
        return contact.id


def set_primary(desk: Desk, contact_id: int) -> None:
    """Marks a contact as the preferred one of its kind (the others of that kind stop
    being preferred)."""
    require(desk.actor, Permission.EDIT_CLIENTS)
    with desk.store.write() as s:
        contact = s.get(ClientContact, contact_id)
        if contact is None:
            raise NotFound("This contact no longer exists.")
        _make_primary(s, contact)
        audit.record(s, desk.actor, "contact.primary", "client", contact.client_id,
                     after={"contact": contact.id, "kind": contact.kind.value,
                            "value": contact.value})


def remove_contact(desk: Desk, contact_id: int) -> None:
    require(desk.actor, Permission.EDIT_CLIENTS)
    with desk.store.write() as s:
        contact = s.get(ClientContact, contact_id)
        if contact is None:
            raise NotFound("This contact no longer exists.")
        client_id = contact.client_id
        audit.record(s, desk.actor, "contact.remove", "client", client_id,
                     before={"contact": contact.id, "kind": contact.kind.value,
                             "value": contact.value})
        s.delete(contact)
        refresh_clients(s, [client_id])


def list_contacts(desk: Desk, client_id: int) -> list[ContactRow]:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return [ContactRow(c.id, c.kind, c.value, c.is_primary) for c in s.scalars(
            select(ClientContact).where(ClientContact.client_id == client_id)
            .order_by(ClientContact.kind, ClientContact.is_primary.desc(), ClientContact.id))]
