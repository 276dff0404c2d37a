"""Opening, creating and re-keying a workspace; the signed-in desk."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.errors import ValidationFailed, WorkspaceDamaged
from app.models.users import Role, Setting, User
from app.money import CURRENCIES
from app.roles import Actor
from app.workspace.store import Store

DEFAULT_IDLE_LOCK_MINUTES = 10


@dataclass
class Desk:
    """An unlocked workspace and the person working in it."""

    store: Store
    actor: Actor

    def close(self) -> None:
        self.store.close()


def _actor(user: User) -> Actor:
    return Actor(id=user.id, username=user.username, full_name=user.full_name, role=user.role)


def get_setting(session: Session, key: str, default: str = "") -> str:
    row = session.get(Setting, key)
    return default if row is None else row.value


def set_setting(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def validate_username(username: str) -> str:
    username = username.strip().lower()
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
        raise ValidationFailed("A username is 1-64 letters, digits, dots, dashes or "
                               "underscores.", "username")
    return username


def init_workspace(folder: Path, *, password: str, broker_name: str, base_currency: str,
                   admin_username: str, admin_full_name: str) -> Desk:
    broker_name = broker_name.strip()
    if not broker_name:
        raise ValidationFailed("Enter the broker's name.", "broker_name")
    base_currency = base_currency.strip().upper()
    if base_currency not in CURRENCIES:
        raise ValidationFailed(f"{base_currency} is not a currency Backdesk knows.", "currency")
    username = validate_username(admin_username)
    if not admin_full_name.strip():
        raise ValidationFailed("Enter the administrator's full name.", "full_name")
    if len(password) < 8:
        raise ValidationFailed("The password must have at least 8 characters.", "password")
    store = Store.create(folder, password)
    with store.write() as s:
        admin = User(username=username, full_name=admin_full_name.strip(), role=Role.ADMIN)
        s.add(admin)
        s.flush()
        actor = _actor(admin)
        settings = {"broker_name": broker_name, "base_currency": base_currency,
                    "owner_user_id": str(admin.id), "device_id": str(uuid.uuid4()),
                    "idle_lock_minutes": str(DEFAULT_IDLE_LOCK_MINUTES)}
        for key, value in settings.items():
            set_setting(s, key, value)
        audit.record(s, actor, "workspace.create", "workspace", str(folder.name),
                     after={"broker_name": broker_name, "base_currency": base_currency,
                            "admin": username})
    return Desk(store, actor)


def open_workspace(folder: Path, password: str) -> Desk:
    store = Store.open(folder, password)
    try:
        with store.read() as s:
            owner_id = int(get_setting(s, "owner_user_id", "0"))
            owner = s.get(User, owner_id)
            if owner is None:
                raise WorkspaceDamaged("This workspace has no owner on record; it cannot be used.")
            actor = _actor(owner)
    except Exception:
        store.close()
        raise
    return Desk(store, actor)


def change_password(desk: Desk, old_password: str, new_password: str) -> None:
    if len(new_password) < 8:
        raise ValidationFailed("The new password must have at least 8 characters.", "password")
    desk.store.change_password(old_password, new_password)
    with desk.store.write() as s:
        audit.record(s, desk.actor, "workspace.rekey", "workspace", desk.store.folder.name)


@dataclass(frozen=True)
class WorkspaceInfo:
    broker_name: str
    base_currency: str
    idle_lock_minutes: int
    device_id: str


def workspace_info(store: Store) -> WorkspaceInfo:
    with store.read() as s:
        values = {k: v for k, v in s.execute(select(Setting.key, Setting.value))}
    return WorkspaceInfo(
        broker_name=values.get("broker_name", ""),
        base_currency=values.get("base_currency", "USD"),
        idle_lock_minutes=int(values.get("idle_lock_minutes", DEFAULT_IDLE_LOCK_MINUTES)),
        device_id=values.get("device_id", ""),
    )


def set_idle_lock_minutes(desk: Desk, minutes: int) -> None:
    from app.roles import Permission, require

    require(desk.actor, Permission.MANAGE_WORKSPACE)
    if not 1 <= minutes <= 240:
        raise ValidationFailed("Auto-lock must be between 1 and 240 minutes.", "idle_lock")
    with desk.store.write() as s:
        before = get_setting(s, "idle_lock_minutes")
        set_setting(s, "idle_lock_minutes", str(minutes))
        audit.record(s, desk.actor, "settings.update", "setting", "idle_lock_minutes",
                     before={"value": before}, after={"value": str(minutes)})
