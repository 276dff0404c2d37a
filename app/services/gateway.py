"""Which gateway this workspace syncs with, and as whom.

The gateway password is kept in the workspace's settings table, which lives inside
the encrypted store like everything else; it never goes to QSettings or a file.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app import audit
from app.errors import ValidationFailed
from app.roles import Permission, require
from app.services.workspace import Desk, get_setting, set_setting


@dataclass(frozen=True)
class GatewayConfig:
    url: str
    username: str
    password: str
    device_id: str
    verify: str  # "" = the system's CA store; else a pinned certificate file


def gateway_config(desk: Desk) -> GatewayConfig | None:
    with desk.store.read() as s:
        url = get_setting(s, "gateway.url")
        if not url:
            return None
        return GatewayConfig(url, get_setting(s, "gateway.username"),
                             get_setting(s, "gateway.password"),
                             get_setting(s, "gateway.device_id"),
                             get_setting(s, "gateway.verify"))


def set_gateway(desk: Desk, url: str, username: str, password: str, verify: str = "") -> None:
    require(desk.actor, Permission.MANAGE_WORKSPACE)
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValidationFailed("The gateway address starts with https:// (or http:// for a "
                               "gateway on this computer).", "url")
    if not username or not password:
        raise ValidationFailed("The gateway needs a user name and a password.", "username")
    with desk.store.write() as s:
        before = get_setting(s, "gateway.url")
        set_setting(s, "gateway.url", url)
        set_setting(s, "gateway.username", username)
        set_setting(s, "gateway.password", password)
        set_setting(s, "gateway.verify", verify)
        if not get_setting(s, "gateway.device_id"):
            set_setting(s, "gateway.device_id", f"desk-{uuid.uuid4().hex}")
        audit.record(s, desk.actor, "gateway.configure", "workspace", "gateway",
                     {"url": before}, {"url": url, "username": username})
