"""The mirror writer's id maps stay true when another writer adds rows (the pull and
the stream write in turn) and when a transaction it took part in is rolled back."""

from __future__ import annotations

from typing import Any

import pytest

from app.services.workspace import Desk
from sync.mirror import MirrorWriter
from sync.pull import dbapi


def state(login: int, balance: str, version: int = 1) -> dict[str, Any]:
    return {"kind": "account_state", "id": str(login), "version": version, "deleted": False,
            "data": {"login": login, "currency": "USD", "balance": balance, "credit": "0.00",
                     "equity": balance, "margin": "0.00", "free_margin": balance,
                     "margin_level": None, "updated_ms": 1_700_000_000_000}}


def account(login: int, client: str) -> dict[str, Any]:
    return {"kind": "account", "id": str(login), "version": 1, "deleted": False,
            "data": {"login": login, "client_id": client, "group": "real\\std",
                     "currency": "USD", "leverage": 100, "status": "active",
                     "opened_ms": 1_700_000_000_000}}


def accounts(desk: Desk) -> list[tuple[int, str | None]]:
    with desk.store.read() as s:
        return list(dbapi(s).execute(
            "SELECT a.login, c.external_id FROM trading_accounts a"
            " LEFT JOIN clients c ON c.id = a.client_id ORDER BY a.login"))


def test_a_writer_finds_rows_another_writer_added(desk: Desk) -> None:
    with desk.store.write() as s:
        stream = MirrorWriter(dbapi(s))  # reads its maps now, before the pull below
    with desk.store.write() as s:
        assert not MirrorWriter(dbapi(s)).apply([account(7001, "C-1")]).errors
    with desk.store.write() as s:
        stream.db = stream.owned.db = dbapi(s)
        result = stream.apply([state(7001, "250.00"), account(7002, "C-1")])
    assert not result.errors
    assert accounts(desk) == [(7001, "C-1"), (7002, "C-1")]
    with desk.store.read() as s:
        balance = dbapi(s).execute("SELECT balance_minor FROM account_states").fetchone()[0]
    assert balance == 25000


def test_a_rolled_back_placeholder_is_not_reused_for_another_login(desk: Desk) -> None:
    writer: MirrorWriter | None = None
    with pytest.raises(RuntimeError), desk.store.write() as s:
        writer = MirrorWriter(dbapi(s))
        writer.apply([state(8001, "10.00")])  # a placeholder account for 8001
        raise RuntimeError("the connection dropped before commit")
    # The engine throws such a writer away; a fresh one writes to the right account.
    with desk.store.write() as s:
        fresh = MirrorWriter(dbapi(s))
        assert not fresh.apply([account(8002, "C-2"), state(8002, "20.00")]).errors
    assert accounts(desk) == [(8002, "C-2")]
    # Why it must be thrown away: SQLite gave the rolled-back id to the next account.
    assert writer is not None and writer.accounts[8001] == fresh.accounts[8002]
    with desk.store.read() as s:
        rows = list(dbapi(s).execute(
            "SELECT a.login, s.balance_minor FROM account_states s"
            " JOIN trading_accounts a ON a.id = s.account_id"))
    assert rows == [(8002, 2000)]


def deal(ticket: int, login: int, time_ms: object = 1_700_000_000_000) -> dict[str, Any]:
    return {"kind": "deal", "id": str(ticket), "version": 1, "deleted": False,
            "data": {"ticket": ticket, "login": login, "currency": "USD", "symbol": "EURUSD",
                     "action": "BUY", "entry": "IN", "volume": "1.00", "price": "1.08207",
                     "profit": "0.00", "commission": "-3.50", "swap": "0.00", "fee": "0.00",
                     "position_id": 1, "time_ms": time_ms, "reason": "CLIENT", "comment": ""}}


def test_deals_before_their_account_share_one_placeholder_the_account_fills(desk: Desk) -> None:
    with desk.store.write() as s:
        writer = MirrorWriter(dbapi(s))
        late = state(9001, "5.00")
        late["data"]["updated_ms"] = 2**61
        result = writer.apply([deal(1, 9001), deal(2, 9001), deal(3, 9002, "soon"),
                               account(9001, "C-9"), late])
    assert [(e[1], e[2]) for e in result.errors] == [
        ("3", "time_ms must be a whole number"), ("9001", "updated_ms is out of range")]
    assert accounts(desk) == [(9001, "C-9")]  # the rejected deal made no placeholder row
    with desk.store.read() as s:
        rows = list(dbapi(s).execute(
            "SELECT d.ticket, a.login, d.commission_minor, d.price FROM deals d"
            " JOIN trading_accounts a ON a.id = d.account_id ORDER BY d.ticket"))
    assert rows == [(1, 9001, -350, 108207000), (2, 9001, -350, 108207000)]
