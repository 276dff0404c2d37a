"""Saved client filters: each belongs to one user, who may share it with the desk.

Only the owner (or an administrator) changes or deletes a filter; everyone sees their
own filters and the shared ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.crm.filters import ClientFilter
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.models.crm import SavedFilter
from app.models.users import Role, User
from app.roles import Permission, require
from app.services.workspace import Desk


@dataclass(frozen=True)
class SavedFilterRow:
    id: int
    name: str
    owner: str  # the owner's full name
    shared: bool
    mine: bool
    filter: ClientFilter


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise ValidationFailed("A filter name is 1 to 80 characters.", "name")
    return name


def _duplicate(name: str) -> ValidationFailed:
    return ValidationFailed(f"You already have a filter called {name}; choose another name.",
                            "name")


def save_filter(desk: Desk, name: str, f: ClientFilter, *, shared: bool = False) -> int:
    require(desk.actor, Permission.VIEW)
    name = _clean_name(name)
    try:
        with desk.store.write() as s:
            row = SavedFilter(owner_id=desk.actor.id, name=name, definition=f.to_json(),
                              shared=shared)
            s.add(row)
            s.flush()
            audit.record(s, desk.actor, "saved_filter.create", "saved_filter", row.id,
                         after={"name": name, "shared": shared, "definition": row.definition})
            return row.id
    except IntegrityError:
        raise _duplicate(name) from None


def _own(desk: Desk, row: SavedFilter | None) -> SavedFilter:
    if row is None:
        raise NotFound("This saved filter no longer exists.")
    if row.owner_id != desk.actor.id and desk.actor.role is not Role.ADMIN:
        raise PermissionDenied(f"“{row.name}” belongs to a colleague; only they or an "
                               "administrator can change it. Save a copy under your name.")
    return row


def update_filter(desk: Desk, filter_id: int, *, name: str | None = None,
                  f: ClientFilter | None = None, shared: bool | None = None) -> None:
    require(desk.actor, Permission.VIEW)
    new_name = None if name is None else _clean_name(name)
    try:
        with desk.store.write() as s:
            row = _own(desk, s.get(SavedFilter, filter_id))
            before = {"name": row.name, "shared": row.shared, "definition": row.definition}
            if new_name is not None:
                row.name = new_name
            if f is not None:
                row.definition = f.to_json()
            if shared is not None:
                row.shared = shared
            s.flush()
            audit.record(s, desk.actor, "saved_filter.update", "saved_filter", filter_id,
                         before=before, after={"name": row.name, "shared": row.shared,
                                               "definition": row.definition})
    except IntegrityError:
        raise _duplicate(new_name or "") from None


def delete_filter(desk: Desk, filter_id: int) -> None:
    require(desk.actor, Permission.VIEW)
    with desk.store.write() as s:
        row = _own(desk, s.get(SavedFilter, filter_id))
        audit.record(s, desk.actor, "saved_filter.delete", "saved_filter", filter_id,
                     before={"name": row.name, "definition": row.definition})
        s.delete(row)


def list_filters(desk: Desk) -> list[SavedFilterRow]:
    """The user's own filters, then those colleagues share, by name."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        rows = s.execute(
            select(SavedFilter, User.full_name).join(User, User.id == SavedFilter.owner_id)
            .where(or_(SavedFilter.owner_id == desk.actor.id, SavedFilter.shared))
            .order_by(SavedFilter.owner_id != desk.actor.id, SavedFilter.name)).all()
        return [SavedFilterRow(r.id, r.name, owner, r.shared, r.owner_id == desk.actor.id,
                               ClientFilter.from_json(dict(r.definition)))
                for r, owner in rows]


def load_filter(desk: Desk, filter_id: int) -> ClientFilter:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        row = s.get(SavedFilter, filter_id)
        if row is None or (row.owner_id != desk.actor.id and not row.shared):
            raise NotFound("This saved filter no longer exists or is no longer shared.")
        return ClientFilter.from_json(dict(row.definition))
