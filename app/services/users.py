"""Desk users and roles (administrators only)."""

from __future__ import annotations

from sqlalchemy import select

from app import audit
from app.errors import NotFound, ValidationFailed
from app.models.users import Role, User
from app.roles import Actor, Permission, require
from app.services.workspace import Desk, validate_username


def add_user(desk: Desk, username: str, full_name: str, role: Role) -> Actor:
    require(desk.actor, Permission.MANAGE_USERS)
    username = validate_username(username)
    if not full_name.strip():
        raise ValidationFailed("Enter the person's full name.", "full_name")
    with desk.store.write() as s:
        if s.scalar(select(User.id).where(User.username == username)) is not None:
            raise ValidationFailed(f"There is already a user called {username}.", "username")
        user = User(username=username, full_name=full_name.strip(), role=role)
        s.add(user)
        s.flush()
        audit.record(s, desk.actor, "user.create", "user", user.id,
                     after={"username": username, "full_name": user.full_name, "role": role})
        return Actor(user.id, user.username, user.full_name, user.role)


def set_role(desk: Desk, user_id: int, role: Role) -> None:
    require(desk.actor, Permission.MANAGE_USERS)
    if user_id == desk.actor.id and role is not Role.ADMIN:
        raise ValidationFailed("You cannot take away your own administrator role.", "role")
    with desk.store.write() as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFound("That user no longer exists.")
        before = user.role
        user.role = role
        audit.record(s, desk.actor, "user.set_role", "user", user_id,
                     before={"role": before}, after={"role": role})


def list_users(desk: Desk) -> list[Actor]:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        users = s.scalars(select(User).order_by(User.full_name)).all()
        return [Actor(u.id, u.username, u.full_name, u.role) for u in users]
