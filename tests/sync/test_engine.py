"""The sync engine against the real sandbox: mirrors equal the gateway's state, the
outbox takes effect exactly once, faults and kills lose and double nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.models.crm import Client
from app.models.sync_state import OutboxCommand, OutboxStatus
from app.money import to_minor
from app.services import outbox
from app.services.clients import get_client, update_client
from app.services.gateway import gateway_config, set_gateway
from app.services.workspace import Desk, init_workspace, open_workspace
from sync.engine import SyncEngine
from sync.pull import dbapi
from tests.conftest import PASSWORD
from tests.sync.conftest import Desk as GatewayDesk
from tests.sync.conftest import Sandbox


def workspace(path: Path, box: Sandbox, user: str = "admin") -> Desk:
    desk = init_workspace(path, password=PASSWORD, broker_name="Sandbox Markets Ltd",
                          base_currency="USD", admin_username="admin",
                          admin_full_name="Ada Admin")
    set_gateway(desk, box.base, user, "sandbox")
    return desk


def engine(desk: Desk) -> SyncEngine:
    config = gateway_config(desk)
    assert config is not None
    return SyncEngine(desk.store, config)


def gateway_state(gw: GatewayDesk) -> dict[str, Any]:
    changes, _ = gw.pull_all(limit=5000)
    live = [c for c in changes if not c["deleted"]]

    def cents(text: str) -> int:
        return to_minor(Decimal(text), "USD")

    return {
        "states": {c["data"]["login"]: tuple(cents(c["data"][k]) for k in (
            "balance", "credit", "equity", "margin", "free_margin"))
            for c in live if c["kind"] == "account_state"},
        "deals": {(c["data"]["ticket"], c["data"]["login"], cents(c["data"]["profit"]),
                   cents(c["data"]["commission"]), cents(c["data"]["swap"]))
                  for c in live if c["kind"] == "deal"},
        "positions": {(c["data"]["position_id"], c["data"]["login"], cents(c["data"]["profit"]))
                      for c in live if c["kind"] == "position"},
        "payments": {c["id"]: c["data"]["status"] for c in live if c["kind"] == "payment"},
        "notes": {c["id"]: c["data"]["body"] for c in live if c["kind"] == "note"},
    }


def local_state(desk: Desk) -> dict[str, Any]:
    with desk.store.read() as s:
        db = dbapi(s)
        return {
            "states": {login: (b, c, e, m, f) for login, b, c, e, m, f in db.execute(
                "SELECT a.login, s.balance_minor, s.credit_minor, s.equity_minor,"
                " s.margin_minor, s.free_margin_minor FROM account_states s"
                " JOIN trading_accounts a ON a.id = s.account_id")},
            "deals": set(db.execute(
                "SELECT d.ticket, a.login, d.profit_minor, d.commission_minor, d.swap_minor"
                " FROM deals d JOIN trading_accounts a ON a.id = d.account_id")),
            "positions": set(db.execute(
                "SELECT p.position_id, a.login, p.profit_minor FROM positions p"
                " JOIN trading_accounts a ON a.id = p.account_id")),
            "payments": dict(db.execute(
                "SELECT external_id, status FROM payment_requests"
                " WHERE external_id IS NOT NULL")),
            "notes": dict(db.execute("SELECT uid, body FROM notes")),
        }


def assert_same(gw: GatewayDesk, desk: Desk) -> None:
    want, got = gateway_state(gw), local_state(desk)
    for key in want:
        assert got[key] == want[key], f"{key} differ"


@pytest.fixture
def box(own_sandbox: list[Sandbox], tmp_path: Path) -> Iterator[Sandbox]:
    b = Sandbox(tmp_path / "gw", clients=300).start()
    own_sandbox.append(b)
    yield b


def test_full_pull_then_incremental_equals_the_gateway(box: Sandbox, tmp_path: Path) -> None:
    desk = workspace(tmp_path / "ws", box)
    e = engine(desk)
    status = e.once()
    assert status.online and status.records > 3000
    gw = box.desk("admin")
    assert_same(gw, desk)
    with desk.store.read() as s:  # the deferred deal indexes are back
        names = {r[0] for r in dbapi(s).execute(
            "SELECT name FROM sqlite_master WHERE tbl_name = 'deals' AND type = 'index'")}
    assert {"ix_deals_account_time", "ix_deals_time"} <= names
    gw.control("advance", {"steps": 60})
    again = e.once()
    assert 0 < again.records < 3000  # only what changed
    assert_same(gw, desk)
    e.close()
    desk.close()


def test_live_stream_keeps_the_mirrors_current(box: Sandbox, tmp_path: Path) -> None:
    desk = workspace(tmp_path / "ws", box)
    e = engine(desk)
    stop = threading.Event()
    runner = threading.Thread(target=e.follow, args=(stop,))
    runner.start()
    try:
        gw = box.desk("admin")
        deadline = time.monotonic() + 30
        while e.live.ws is None and time.monotonic() < deadline:
            time.sleep(0.05)
        head = gw.control("advance", {"steps": 40})["stream_seq"]
        while e.live.stats.last_seq < head and time.monotonic() < deadline:
            time.sleep(0.05)
        assert e.live.stats.last_seq == head
        with desk.store.read() as s:
            quotes = dbapi(s).execute("SELECT count(*) FROM quotes").fetchone()[0]
        assert quotes >= 20
    finally:
        stop.set()
        runner.join(30)
    assert not runner.is_alive()
    e.once()
    assert_same(gw, desk)
    e.close()
    desk.close()


def test_commands_take_effect_once_through_every_fault(box: Sandbox, tmp_path: Path) -> None:
    desk = workspace(tmp_path / "ws", box)
    e = engine(desk)
    assert e.once().online
    gw = box.desk("admin")
    logins = sorted(gateway_state(gw)["states"])[:8]
    with desk.store.read() as s:
        client_id = dbapi(s).execute("SELECT id FROM clients WHERE external_id IS NOT NULL"
                                     " LIMIT 1").fetchone()[0]
    markers = []
    for i, login in enumerate(logins):
        markers.append(f"fault-run-{i}")
        outbox.queue_balance_operation(desk, login, "deposit", "10.00", markers[-1])
    note = outbox.add_note(desk, client_id, "Called the client; documents promised.")
    gw.control("faults", {"latency_ms": 20, "error_rate": 0.25, "drop_rate": 0.4,
                          "stream": {"duplicate_rate": 0.2, "reorder_rate": 0.2,
                                     "close_after": 40}}, method="PUT")
    stop = threading.Event()
    runner = threading.Thread(target=e.follow, args=(stop,))
    runner.start()
    try:
        for round_ in range(6):
            gw.control("advance", {"steps": 15})
            if round_ == 3:
                gw.control("restart")
                assert "restarted" in box.readline()
                gw = box.desk("admin")
            time.sleep(1.0)
        gw.control("faults", {"latency_ms": 0, "error_rate": 0, "drop_rate": 0,
                              "stream": {"duplicate_rate": 0, "reorder_rate": 0,
                                         "close_after": 0}}, method="PUT")
        deadline = time.monotonic() + 60
        while e.status.pending and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        runner.join(60)
    assert not runner.is_alive()
    assert e.live.stats.duplicates + e.live.stats.gaps > 0, "the stream was disturbed"
    assert e.once().online
    assert_same(gw, desk)
    deals = gw.pull_all(limit=5000)[0]
    for marker in markers:  # every command took effect exactly once
        assert sum(1 for c in deals if c["kind"] == "deal"
                   and c["data"]["comment"] == marker) == 1, marker
    with desk.store.read() as s:
        rows = s.query(OutboxCommand).all()
        assert {r.status for r in rows} == {OutboxStatus.DONE}
        assert max(r.attempts for r in rows) > 1, "the faults made some sends fail"
        uid = dbapi(s).execute("SELECT uid FROM notes WHERE id = ?", (note,)).fetchone()[0]
    assert gateway_state(gw)["notes"][uid].startswith("Called the client")
    e.close()
    desk.close()


def test_malformed_records_are_skipped_with_reasons(box: Sandbox, tmp_path: Path) -> None:
    gw = box.desk("admin")
    good = gateway_state(gw)
    some_login = next(iter(good["states"]))
    bad = [
        ("deal", "990000001", {"ticket": "not-a-number", "login": some_login}),
        ("deal", "990000002", {"ticket": 990000002, "login": some_login, "currency": "USD",
                               "symbol": "EURUSD", "action": "TELEPORT", "entry": "IN",
                               "volume": "0.10", "price": "1.1", "profit": "0.00",
                               "commission": "0.00", "swap": "0.00", "fee": "0.00",
                               "position_id": None, "time_ms": 1, "reason": "", "comment": ""}),
        ("account_state", "990000003", {"login": some_login, "currency": "USD",
                                        "balance": 12.5}),
        ("client", "C990000004", {"client_id": "C990000004", "first_name": "x" * 100_000}),
        ("payment", "PAY99000005", ["not", "an", "object"]),
        ("note", "bad-note", {"client_id": "C1000001", "author": "admin", "body": "",
                              "created_ms": 1}),
    ]
    for kind, rid, data in bad:
        r = gw.http.post(box.base + "/v1/control/inject", timeout=30,
                         json={"kind": kind, "id": rid, "data": data})
        assert r.status_code == 200, r.text
    desk = workspace(tmp_path / "ws", box)
    e = engine(desk)
    assert e.once().online
    with desk.store.read() as s:
        errors = dbapi(s).execute("SELECT kind, record_id, message FROM sync_errors"
                                  " WHERE source = 'pull'").fetchall()
    assert {(k, r) for k, r, _ in errors} == {(k, r) for k, r, _ in bad}
    reasons = " | ".join(m for _, _, m in errors)
    assert "TELEPORT" in reasons and "ticket" in reasons and "balance" in reasons
    assert all(len(m) <= 500 for _, _, m in errors)
    got = local_state(desk)
    assert got["deals"] == good["deals"] and got["payments"] == good["payments"]
    e.close()
    desk.close()


def test_kill_during_a_full_pull_then_finish(own_sandbox: list[Sandbox],
                                            tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=3000).start()
    own_sandbox.append(box)
    desk = workspace(tmp_path / "ws", box)
    desk.close()
    env = {**os.environ, "BACKDESK_PASSWORD": PASSWORD}
    cmd = [sys.executable, "-m", "app", "--workspace", str(tmp_path / "ws"), "sync", "--once"]
    for delay in (0.6, 1.0, 1.4):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    desk = open_workspace(tmp_path / "ws", PASSWORD)
    assert_same(box.desk("admin"), desk)
    desk.close()


def test_two_desks_converge_and_conflicts_wait_for_a_person(box: Sandbox,
                                                            tmp_path: Path) -> None:
    a = workspace(tmp_path / "a", box, "finance")
    b = workspace(tmp_path / "b", box, "finance2")
    ea, eb = engine(a), engine(b)
    ea.once()
    eb.once()
    with a.store.read() as s:
        cid = s.query(Client.id).filter(Client.external_id == "C1000001").scalar()
    outbox.add_note(a, cid, "Prefers calls after 5pm.")
    ea.once()
    eb.once()
    with b.store.read() as s:
        assert dbapi(s).execute("SELECT body FROM notes").fetchall() == [
            ("Prefers calls after 5pm.",)]
    # four eyes across desks: prepared on A, approved on B
    approval = outbox.prepare_approval(a, "withdrawal", "payment", "PAY00000001")
    ea.once()
    eb.once()
    with b.store.read() as s:
        b_approval = dbapi(s).execute("SELECT id FROM approvals").fetchone()[0]
    outbox.decide_approval(b, b_approval, True, "Documents match")
    eb.once()
    ea.once()
    with a.store.read() as s:
        assert dbapi(s).execute("SELECT status FROM approvals WHERE id = ?",
                                (approval,)).fetchone() == ("approved",)
    # both edit the same client offline: the second to arrive is a conflict
    for desk, segment in ((a, "vip"), (b, "gold")):
        with desk.store.read() as s:
            local = s.query(Client.id).filter(Client.external_id == "C1000001").scalar()
        data, version, _ = get_client(desk, local)
        update_client(desk, local, replace(data, segment=segment), version)
    ea.once()
    eb.once()
    with b.store.read() as s:
        row = s.query(OutboxCommand).filter(OutboxCommand.kind == "put-record").order_by(
            OutboxCommand.id.desc()).first()
        assert row is not None and row.status is OutboxStatus.CONFLICT
        assert row.conflict is not None and row.conflict["data"]["segment"] == "vip"
        assert row.payload["data"]["segment"] == "gold"  # ours, kept beside theirs
    for e in (ea, eb):
        e.close()
    a.close()
    b.close()


def test_offline_work_queues_and_drains_on_reconnect(box: Sandbox, tmp_path: Path) -> None:
    desk = workspace(tmp_path / "ws", box, "finance")
    e = engine(desk)
    assert e.once().online
    login = sorted(gateway_state(box.desk("admin"))["states"])[0]
    box.stop()
    offline = e.once()
    assert not offline.online and "did not answer" in offline.message
    assert offline.last_sync is not None  # when it last worked stays known
    outbox.queue_balance_operation(desk, login, "deposit", "3.00", "made-offline")
    with desk.store.read() as s:
        cid = s.query(Client.id).filter(Client.external_id.is_not(None)).first()[0]
    outbox.add_note(desk, cid, "Written while the gateway was down.")
    assert e.once().pending == 2
    box.start()  # same data folder, new port
    e.close()
    set_gateway(desk, box.base, "finance", "sandbox")
    e = engine(desk)
    back = e.once()
    assert back.online and back.pending == 0
    assert_same(box.desk("admin"), desk)
    e.close()
    desk.close()


def test_refusals_revert_and_conflicts_are_resolved_by_a_person(box: Sandbox,
                                                                tmp_path: Path) -> None:
    from sync.resolve import take_theirs

    a = workspace(tmp_path / "a", box, "finance")
    clerk_desk = workspace(tmp_path / "c", box, "clerk")  # signs in to the gateway as a clerk
    ea, ec = engine(a), engine(clerk_desk)
    ea.once()
    ec.once()
    outbox.prepare_approval(a, "withdrawal", "payment", "PAY00000002")
    ea.once()
    ec.once()
    with clerk_desk.store.read() as s:
        approval = dbapi(s).execute("SELECT id FROM approvals").fetchone()[0]
    outbox.decide_approval(clerk_desk, approval, True, "looks fine")
    status = ec.once()
    assert status.rejected == 1
    with clerk_desk.store.read() as s:
        db = dbapi(s)
        assert db.execute("SELECT status, decided_by FROM approvals").fetchone() == \
            ("pending", None)  # put back
        row = s.query(OutboxCommand).filter(OutboxCommand.status == OutboxStatus.REJECTED
                                            ).one()
        assert "clerk cannot decide" in row.last_error
    # a conflict: both edit the KYC notes of the same client's case
    rid = "case-shared-1"
    gw = box.desk("compliance")
    assert gw.command("put-record", {"kind": "kyc_case", "id": rid, "base_version": 0, "data": {
        "client_id": "C1000002", "status": "open", "notes": "opened"}}).status_code == 200
    ea.once()
    ec.once()
    from app.models.kyc import KycCase, KycStatus

    with a.store.read() as s:
        case_a = s.query(KycCase.id).filter(KycCase.uid == rid).scalar()
    assert gw.command("put-record", {"kind": "kyc_case", "id": rid, "base_version": 1, "data": {
        "client_id": "C1000002", "status": "in_review", "notes": "gateway side"}}
    ).status_code == 200
    outbox.decide_kyc_case(a, case_a, KycStatus.IN_REVIEW, "desk side")
    assert ea.once().conflicts == 1
    with a.store.read() as s:
        conflict = s.query(OutboxCommand).filter(OutboxCommand.status ==
                                                 OutboxStatus.CONFLICT).one().id
    take_theirs(a, conflict)
    with a.store.read() as s:
        assert dbapi(s).execute("SELECT notes FROM kyc_cases WHERE uid = ?",
                                (rid,)).fetchone() == ("gateway side",)
    # and the other way: keep ours on top of theirs
    outbox.decide_kyc_case(a, case_a, KycStatus.IN_REVIEW, "desk side again")
    assert gw.command("put-record", {"kind": "kyc_case", "id": rid, "base_version": 2, "data": {
        "client_id": "C1000002", "status": "in_review", "notes": "gateway again"}}
    ).status_code == 200
    assert ea.once().conflicts == 1
    with a.store.read() as s:
        conflict = s.query(OutboxCommand).filter(OutboxCommand.status ==
                                                 OutboxStatus.CONFLICT).one().id
    outbox.resolve_conflict(a, conflict, keep_mine=True)
    assert ea.once().conflicts == 0
    assert gw.get(f"/v1/records/kyc_case/{rid}").json()["data"]["notes"] == "desk side again"
    for e in (ea, ec):
        e.close()
    a.close()
    clerk_desk.close()


def test_expired_cursor_resyncs_and_keeps_the_outbox(box: Sandbox, tmp_path: Path) -> None:
    desk = workspace(tmp_path / "ws", box, "finance")
    e = engine(desk)
    e.once()
    gw = box.desk("admin")
    gw.control("advance", {"steps": 80})  # positions close: tombstones
    gw.control("compact")
    with desk.store.read() as s:
        cid = s.query(Client.id).filter(Client.external_id.is_not(None)).first()[0]
    box.stop(signal.SIGKILL)  # the note is made offline, waits in the outbox
    outbox.add_note(desk, cid, "kept through a resync")
    box.start()
    e.close()
    set_gateway(desk, box.base, "finance", "sandbox")
    e = engine(desk)
    status = e.once()
    assert status.online and status.pending == 0
    assert_same(box.desk("admin"), desk)  # closed positions gone here too
    with desk.store.read() as s:
        assert dbapi(s).execute("SELECT count(*) FROM sync_errors WHERE message LIKE"
                                " 'Full resync%'").fetchone()[0] == 1
    assert "kept through a resync" in gateway_state(box.desk("admin"))["notes"].values()
    e.close()
    desk.close()
