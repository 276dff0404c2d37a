"""The changes feed against the real sandbox: every change exactly once, in order."""

from __future__ import annotations

import base64
import re
from collections import Counter

from tests.sync.conftest import Sandbox


def built_counts(line: str) -> dict[str, int]:
    return {name: int(n.replace(",", "")) for n, name in
            re.findall(r"([\d,]+) (clients|accounts|deals|payments|open positions|partners)",
                       line)}


def test_paging_returns_every_record_exactly_once(sandbox: Sandbox) -> None:
    desk = sandbox.desk()
    small, _ = desk.pull_all(limit=97)
    big, _ = desk.pull_all(limit=5000)
    keys = [(c["kind"], c["id"]) for c in small]
    assert len(keys) == len(set(keys)), "a record came twice"
    seqs = [c["seq"] for c in small]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    # the page size changes nothing but the number of round trips
    assert {(c["kind"], c["id"], c["version"]) for c in small} == \
        {(c["kind"], c["id"], c["version"]) for c in big}
    kinds = Counter(c["kind"] for c in small if not c["deleted"])
    built = built_counts(sandbox.built_line)
    assert kinds["client"] >= built["clients"] == sandbox.clients
    assert kinds["account"] >= built["accounts"] > 0
    assert kinds["deal"] >= built["deals"] > 0
    assert kinds["symbol"] >= 20
    assert kinds["account_state"] == kinds["account"]


def test_changes_made_while_paging_arrive_once_with_the_latest_version(
        sandbox: Sandbox) -> None:
    desk = sandbox.desk("finance")
    first = desk.get("/v1/changes", limit=50).json()
    cursor = first["next_cursor"]
    seen = {(c["kind"], c["id"]): c for c in first["changes"]}
    login = next(c["data"]["login"] for c in desk.pull_all(limit=5000)[0]
                 if c["kind"] == "account" and c["data"]["status"] == "active")
    r = desk.command("balance-operation", {"login": login, "operation": "deposit",
                                           "amount": "12.34", "comment": "while paging"})
    assert r.status_code == 200, r.text
    new_deal = next(rec for rec in r.json()["records"] if rec["kind"] == "deal")
    rest, _ = desk.pull_all(limit=333, cursor=cursor)
    for c in rest:
        key = (c["kind"], c["id"])
        assert key not in seen or seen[key]["version"] < c["version"], f"{key} doubled"
        seen[key] = c
    assert seen[("deal", new_deal["id"])]["data"]["profit"] == "12.34"
    state = seen[("account_state", str(login))]
    assert state["version"] >= 2  # moved past the cursor by the deposit, and came again


def test_cursor_errors_are_distinct(sandbox: Sandbox) -> None:
    desk = sandbox.desk()
    damaged = desk.get("/v1/changes", cursor="not-a-cursor")
    assert damaged.status_code == 410 and damaged.json()["code"] == "cursor_invalid"
    garbage = desk.get("/v1/changes", cursor="%%")
    assert garbage.status_code == 422 and garbage.json()["code"] == "invalid_request"
    head = desk.get("/v1/info").json()
    future = base64.urlsafe_b64encode(f"{head['epoch']}|{head['head_seq'] + 10**6}".encode())
    r = desk.get("/v1/changes", cursor=future.decode().rstrip("="))
    assert r.status_code == 410 and r.json()["code"] == "cursor_unknown"
    other = base64.urlsafe_b64encode(b"another-history|5").decode().rstrip("=")
    r = desk.get("/v1/changes", cursor=other)
    assert r.status_code == 410 and r.json()["code"] == "cursor_unknown"
    assert "resync" in r.json()["message"]


def test_tombstones_and_expired_cursor(own_sandbox: list[Sandbox], tmp_path) -> None:  # type: ignore[no-untyped-def]
    box = Sandbox(tmp_path / "gw", clients=50).start()
    own_sandbox.append(box)
    desk = box.desk("clerk")
    _, old_cursor = desk.pull_all()
    note = {"client_id": "C1000001", "author": "clerk", "body": "Called; will send ID.",
            "created_ms": 1}
    put = desk.command("put-record", {"kind": "note", "id": "n-1", "base_version": 0,
                                      "data": note})
    assert put.status_code == 200, put.text
    gone = desk.command("put-record", {"kind": "note", "id": "n-1", "base_version": 1,
                                       "deleted": True})
    assert gone.status_code == 200, gone.text
    changes, _ = desk.pull_all(cursor=old_cursor)
    assert [(c["kind"], c["id"], c["deleted"], c["version"]) for c in changes] == \
        [("note", "n-1", True, 2)]
    desk2 = box.desk("admin")
    desk2.control("compact")
    r = desk.get("/v1/changes", cursor=old_cursor)
    assert r.status_code == 410 and r.json()["code"] == "cursor_expired"
    # a full resync from scratch no longer carries the forgotten tombstone
    fresh, up_to_date = desk.pull_all(limit=5000)
    assert ("note", "n-1") not in {(c["kind"], c["id"]) for c in fresh}
    # after a restart, new changes still land beyond every cursor handed out
    desk2.control("restart")
    assert "restarted" in box.readline()
    again = box.desk("clerk")
    assert again.command("put-record", {"kind": "note", "id": "n-2", "base_version": 0,
                                        "data": note}).status_code == 200
    assert [c["id"] for c in again.pull_all(cursor=up_to_date)[0]] == ["n-2"]


def test_a_rebuilt_history_refuses_old_cursors(own_sandbox: list[Sandbox],
                                               tmp_path) -> None:  # type: ignore[no-untyped-def]
    box = Sandbox(tmp_path / "gw", clients=30).start()
    own_sandbox.append(box)
    _, cursor = box.desk().pull_all()
    box.stop()
    rebuilt = Sandbox(tmp_path / "gw", "--rebuild", clients=30).start()
    own_sandbox.append(rebuilt)
    r = rebuilt.desk().get("/v1/changes", cursor=cursor)
    assert r.status_code == 410 and r.json()["code"] == "cursor_unknown"
