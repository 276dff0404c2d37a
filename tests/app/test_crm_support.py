"""Shared set-up for the CRM tests: desk users by role, and platform data written the way
the sync writes it (records of the gateway contract through sync.mirror.MirrorWriter)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.models.audit import AuditEntry
from app.models.crm import Client
from app.models.kyc import KycCase, KycStatus
from app.models.sync_state import OutboxCommand
from app.models.users import Role
from app.services import users
from app.services.workspace import Desk
from sync.mirror import MirrorWriter
from sync.pull import dbapi

NOW_MS = int(datetime.now(UTC).timestamp() * 1000)
DAY_MS = 86_400_000
_version = iter(range(1, 10**9))


def as_role(desk: Desk, role: Role, username: str) -> Desk:
    return Desk(desk.store, users.add_user(desk, username, username.title(), role))


def mirror(desk: Desk, *changes: dict[str, Any]) -> None:
    with desk.store.write() as s:
        result = MirrorWriter(dbapi(s)).apply(list(changes))
    assert not result.errors, result.errors


def _change(kind: str, rid: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "id": rid, "version": next(_version), "deleted": False, "data": data}


def client_rec(ext: str, first: str, last: str, *, country: str = "GB", email: str = "",
               phone: str = "") -> dict[str, Any]:
    return _change("client", ext, {"kind": "person", "first_name": first, "last_name": last,
                                   "country": country, "email": email, "phone": phone,
                                   "date_of_birth": "1980-05-17"})


def account_rec(login: int, ext: str, *, currency: str = "USD",
                opened_ms: int = NOW_MS - 400 * DAY_MS) -> dict[str, Any]:
    return _change("account", str(login), {
        "login": login, "client_id": ext, "group": "real\\std", "currency": currency,
        "leverage": 100, "status": "active", "opened_ms": opened_ms})


def state_rec(login: int, balance: str, currency: str = "USD") -> dict[str, Any]:
    return _change("account_state", str(login), {
        "login": login, "currency": currency, "balance": balance, "credit": "0.00",
        "equity": balance, "margin": "0.00", "free_margin": balance, "margin_level": None,
        "updated_ms": NOW_MS})


def deal_rec(ticket: int, login: int, time_ms: int, *, volume: str = "1.00",
             action: str = "BUY", entry: str = "IN", profit: str = "0.00",
             currency: str = "USD", comment: str = "") -> dict[str, Any]:
    return _change("deal", str(ticket), {
        "ticket": ticket, "login": login, "currency": currency, "symbol": "EURUSD",
        "action": action, "entry": entry, "volume": volume, "price": "1.08207",
        "profit": profit, "commission": "0.00", "swap": "0.00", "fee": "0.00",
        "position_id": ticket, "time_ms": time_ms, "reason": "CLIENT", "comment": comment})


def position_rec(pid: int, login: int) -> dict[str, Any]:
    return _change("position", str(pid), {
        "login": login, "currency": "USD", "symbol": "EURUSD", "side": "BUY",
        "volume": "1.00", "open_price": "1.08000", "current_price": "1.08100",
        "profit": "10.00", "swap": "0.00", "opened_ms": NOW_MS - DAY_MS})


def payment_rec(ext: str, login: int, amount: str, *, status: str = "completed",
                direction: str = "deposit", currency: str = "USD",
                created_ms: int = NOW_MS - 10 * DAY_MS) -> dict[str, Any]:
    pid = str(uuid.uuid4())
    return _change("payment", pid, {
        "client_id": ext, "login": login, "direction": direction, "method": "card",
        "provider": "Stripe", "amount": amount, "currency": currency, "fee": "0.00",
        "status": status, "provider_ref": "PR-1", "payer_name": "", "payer_account": "",
        "created_ms": created_ms, "updated_ms": created_ms,
        "history": [{"status": "requested", "at_ms": created_ms, "note": ""},
                    {"status": status, "at_ms": created_ms + 60_000, "note": ""}]})


def client_id(desk: Desk, ext: str) -> int:
    with desk.store.read() as s:
        found = s.scalar(select(Client.id).where(Client.external_id == ext))
    assert found is not None
    return int(found)


def open_kyc_case(desk: Desk, cid: int, status: KycStatus = KycStatus.APPROVED) -> int:
    """A KYC case as the KYC part leaves it (the KYC services are another part's)."""
    with desk.store.write() as s:
        case = KycCase(uid=str(uuid.uuid4()), client_id=cid, status=status)
        s.add(case)
        s.flush()
        return case.id


def audit_actions(desk: Desk, cid: int) -> list[str]:
    with desk.store.read() as s:
        return list(s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity == "client", AuditEntry.entity_id == str(cid))
            .order_by(AuditEntry.id)))


def outbox(desk: Desk) -> list[OutboxCommand]:
    with desk.store.read() as s:
        rows = list(s.scalars(select(OutboxCommand).order_by(OutboxCommand.device_seq)))
        s.expunge_all()
        return rows
