"""Commands against the real sandbox: at most once under retries, clear refusals."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.sync.conftest import Desk, Sandbox


def accounts(desk: Desk) -> list[dict[str, Any]]:
    changes, _ = desk.pull_all(limit=5000)
    return [c["data"] for c in changes if c["kind"] == "account" and not c["deleted"]]


def state(desk: Desk, login: int) -> dict[str, Any]:
    r = desk.get(f"/v1/records/account_state/{login}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


def active_login(desk: Desk) -> int:
    return next(a["login"] for a in accounts(desk) if a["status"] == "active")


def deals_of(desk: Desk, login: int, comment: str) -> list[dict[str, Any]]:
    changes, _ = desk.pull_all(limit=5000)
    return [c["data"] for c in changes if c["kind"] == "deal"
            and c["data"]["login"] == login and c["data"]["comment"] == comment]


def test_retries_apply_a_deposit_once_when_the_response_is_lost(sandbox: Sandbox) -> None:
    desk, admin = sandbox.desk("finance"), sandbox.desk("admin")
    login = active_login(desk)
    before = Decimal(state(desk, login)["balance"])
    body = {"login": login, "operation": "deposit", "amount": "250.00",
            "comment": "retry-" + uuid.uuid4().hex[:8]}
    key = uuid.uuid4().hex
    admin.control("faults", {"drop_rate": 1.0}, method="PUT")
    try:
        for _ in range(3):  # applied the first time; the answer never arrives
            with pytest.raises((requests.ConnectionError,
                                requests.exceptions.ChunkedEncodingError)):
                desk.command("balance-operation", body, key=key, seq=1)
    finally:
        admin.control("faults", {"drop_rate": 0.0}, method="PUT")
    r = desk.command("balance-operation", body, key=key, seq=1)
    assert r.status_code == 200 and r.headers["Idempotent-Replayed"] == "true"
    assert Decimal(state(desk, login)["balance"]) == before + Decimal("250.00")
    assert len(deals_of(desk, login, body["comment"])) == 1


def test_a_5xx_before_applying_is_retried_safely(sandbox: Sandbox) -> None:
    desk, admin = sandbox.desk("finance"), sandbox.desk("admin")
    login = active_login(desk)
    before = Decimal(state(desk, login)["balance"])
    body = {"login": login, "operation": "bonus", "amount": "5.00",
            "comment": "bonus-" + uuid.uuid4().hex[:8]}
    key = uuid.uuid4().hex
    admin.control("faults", {"error_rate": 1.0}, method="PUT")
    try:
        r = desk.command("balance-operation", body, key=key, seq=1)
        assert r.status_code == 503 and r.json()["code"] == "unavailable"
    finally:
        admin.control("faults", {"error_rate": 0.0}, method="PUT")
    first = desk.command("balance-operation", body, key=key, seq=1)
    again = desk.command("balance-operation", body, key=key, seq=1)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert Decimal(state(desk, login)["balance"]) == before + Decimal("5.00")


def test_a_reused_key_with_another_body_is_refused(sandbox: Sandbox) -> None:
    desk = sandbox.desk("finance")
    login = active_login(desk)
    key = uuid.uuid4().hex
    ok = desk.command("balance-operation", {"login": login, "operation": "deposit",
                                            "amount": "1.00"}, key=key)
    assert ok.status_code == 200
    r = desk.command("balance-operation", {"login": login, "operation": "deposit",
                                           "amount": "1000.00"}, key=key)
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"


def test_device_sequence_must_increase(sandbox: Sandbox) -> None:
    desk = sandbox.desk("finance")
    login = active_login(desk)
    body = {"login": login, "operation": "deposit", "amount": "1.00"}
    assert desk.command("balance-operation", body, seq=5).status_code == 200
    r = desk.command("balance-operation", body, seq=4)
    assert r.status_code == 422 and r.json()["code"] == "device_seq_out_of_order"
    assert desk.command("balance-operation", body, seq=9).status_code == 200


def test_money_refusals_have_clear_codes_and_replay(sandbox: Sandbox) -> None:
    desk, admin = sandbox.desk("finance"), sandbox.desk("admin")
    login = active_login(desk)
    free = Decimal(state(desk, login)["free_margin"])
    key = uuid.uuid4().hex
    too_much = {"login": login, "operation": "withdrawal", "amount": str(free + 1)}
    r = desk.command("balance-operation", too_much, key=key, seq=100)
    assert r.status_code == 422 and r.json()["code"] == "insufficient_free_margin"
    assert "free margin" in r.json()["message"]
    # the stored refusal is the answer to that key, even after money arrives
    admin_deposit = admin.command("balance-operation", {"login": login, "operation": "deposit",
                                                        "amount": str(free + 10)})
    assert admin_deposit.status_code == 200
    again = desk.command("balance-operation", too_much, key=key, seq=100)
    assert again.status_code == 422 and again.headers["Idempotent-Replayed"] == "true"
    unknown = desk.command("balance-operation", {"login": 999_999_999, "operation": "deposit",
                                                 "amount": "1.00"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_login"
    disabled = next((a["login"] for a in accounts(desk) if a["status"] == "disabled"), None)
    assert disabled is not None, "the sandbox builds some disabled accounts"
    r = desk.command("balance-operation", {"login": disabled, "operation": "deposit",
                                           "amount": "1.00"})
    assert r.status_code == 422 and r.json()["code"] == "account_disabled"
    credit_out = desk.command("balance-operation", {"login": login, "operation": "credit_out",
                                                    "amount": "1.00"})
    assert credit_out.json()["code"] == "insufficient_credit"
    bad = desk.command("balance-operation", {"login": login, "operation": "deposit",
                                             "amount": "1.005"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_request"


def test_roles_are_checked_by_the_gateway(sandbox: Sandbox) -> None:
    clerk = sandbox.desk("clerk")
    r = clerk.command("balance-operation", {"login": 500001, "operation": "deposit",
                                            "amount": "1.00"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    anonymous = requests.get(sandbox.base + "/v1/changes", timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"
    wrong = requests.post(sandbox.base + "/v1/auth/login", timeout=30, json={
        "username": "admin", "password": "guess", "device_id": "d"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "wrong_credentials"
    assert clerk.http.put(sandbox.base + "/v1/control/faults", json={"error_rate": 1},
                          timeout=10).status_code == 403


def test_open_account_and_update_client_with_versions(sandbox: Sandbox) -> None:
    desk = sandbox.desk("clerk")
    r = desk.command("open-account", {"client_id": "C1000002", "group": "retail-std-usd",
                                      "currency": "USD", "leverage": 30})
    assert r.status_code == 200, r.text
    account, new_state = (rec["data"] for rec in r.json()["records"])
    assert account["client_id"] == "C1000002" and new_state["balance"] == "0.00"
    client = desk.get("/v1/records/client/C1000003").json()
    ok = desk.command("update-client", {"client_id": "C1000003",
                                        "base_version": client["version"],
                                        "email": "new@mail.example"})
    assert ok.status_code == 200 and ok.json()["records"][0]["data"]["email"] == \
        "new@mail.example"
    stale = desk.command("update-client", {"client_id": "C1000003",
                                           "base_version": client["version"],
                                           "phone": "+441234"})
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    assert stale.json()["current"]["data"]["email"] == "new@mail.example"
    nobody = desk.command("open-account", {"client_id": "C9", "group": "g",
                                           "currency": "USD", "leverage": 30})
    assert nobody.json()["code"] == "unknown_client"


def test_shared_records_conflict_and_reach_other_desks(sandbox: Sandbox) -> None:
    alice, bob = sandbox.desk("compliance"), sandbox.desk("clerk")
    _, bob_cursor = bob.pull_all(limit=5000)
    rid = uuid.uuid4().hex
    case = {"client_id": "C1000004", "status": "open", "notes": "Proof of address missing"}
    created = alice.command("put-record", {"kind": "kyc_case", "id": rid, "base_version": 0,
                                           "data": case})
    assert created.status_code == 200, created.text
    seen, _ = bob.pull_all(cursor=bob_cursor)
    mine = [c for c in seen if c["id"] == rid]
    assert len(mine) == 1 and mine[0]["data"]["notes"] == "Proof of address missing"
    edit = {**case, "status": "in_review"}
    assert alice.command("put-record", {"kind": "kyc_case", "id": rid, "base_version": 1,
                                        "data": edit}).status_code == 200
    late = bob.command("put-record", {"kind": "kyc_case", "id": rid, "base_version": 1,
                                      "data": {**case, "status": "approved"}})
    assert late.status_code == 409 and late.json()["current"]["data"]["status"] == "in_review"
    invalid = bob.command("put-record", {"kind": "kyc_case", "id": uuid.uuid4().hex,
                                         "base_version": 0,
                                         "data": {"client_id": "C1", "status": "maybe"}})
    assert invalid.status_code == 422 and invalid.json()["code"] == "invalid_record"
    assert "status" in invalid.json()["message"]


def test_withdrawal_lifecycle(own_sandbox: list[Sandbox], tmp_path) -> None:  # type: ignore[no-untyped-def]
    box = Sandbox(tmp_path / "gw", clients=200).start()
    own_sandbox.append(box)
    admin, finance = box.desk("admin"), box.desk("finance")
    requested: list[dict[str, Any]] = []
    for _ in range(20):
        admin.control("advance", {"steps": 25})
        changes, _ = finance.pull_all(limit=5000)
        requested = [c["data"] for c in changes if c["kind"] == "payment"
                     and c["data"]["status"] == "requested"]
        if requested:
            break
    assert requested, "clients ask for withdrawals as the simulation runs"
    p = requested[0]
    before = Decimal(state(finance, p["login"])["balance"])
    send_early = finance.command("withdrawal-decision", {"payment_id": p["payment_id"],
                                                         "decision": "send"})
    assert send_early.json()["code"] == "invalid_payment_state"
    approve = finance.command("withdrawal-decision", {"payment_id": p["payment_id"],
                                                      "decision": "approve"})
    assert approve.status_code == 200, approve.text
    assert Decimal(state(finance, p["login"])["balance"]) == before - Decimal(p["amount"])
    sent = finance.command("withdrawal-decision", {"payment_id": p["payment_id"],
                                                   "decision": "send"})
    payment = sent.json()["records"][-1]["data"]
    assert [h["status"] for h in payment["history"]] == ["requested", "approved", "processing"]
    twice = finance.command("withdrawal-decision", {"payment_id": p["payment_id"],
                                                    "decision": "approve"})
    assert twice.status_code == 422 and "processing" in twice.json()["message"]


def test_a_withdrawal_cannot_take_credit_or_used_margin(sandbox: Sandbox) -> None:
    desk = sandbox.desk("finance")
    login = active_login(desk)
    s = state(desk, login)
    own = min(Decimal(s["balance"]), Decimal(s["free_margin"]))
    give = desk.command("balance-operation", {"login": login, "operation": "credit",
                                              "amount": "500.00"})
    assert give.status_code == 200
    r = desk.command("balance-operation", {"login": login, "operation": "withdrawal",
                                           "amount": str(own + Decimal("0.01"))})
    assert r.status_code == 422 and r.json()["code"] == "insufficient_free_margin"
    ok = desk.command("balance-operation", {"login": login, "operation": "withdrawal",
                                            "amount": str(own)})
    assert ok.status_code == 200, ok.text
    after = state(desk, login)
    assert Decimal(after["balance"]) >= 0 and Decimal(after["credit"]) == Decimal(s["credit"]) \
        + 500
    # with the balance gone, taking the credit back would leave negative free margin
    if Decimal(after["margin"]) > 0:
        out = desk.command("balance-operation", {"login": login, "operation": "credit_out",
                                                 "amount": after["credit"]})
        assert out.json()["code"] == "insufficient_credit"


def test_sequences_are_per_user_on_a_device(sandbox: Sandbox) -> None:
    device = f"shared-{uuid.uuid4().hex[:8]}"
    mallory, finance = sandbox.desk("clerk", device), sandbox.desk("finance", device)
    note = {"client_id": "C1000001", "author": "clerk", "body": "x", "created_ms": 1}
    jam = mallory.command("put-record", {"kind": "note", "id": uuid.uuid4().hex,
                                         "base_version": 0, "data": note}, seq=2**62)
    assert jam.status_code == 200
    login = active_login(finance)
    r = finance.command("balance-operation", {"login": login, "operation": "deposit",
                                              "amount": "1.00"}, seq=1)
    assert r.status_code == 200, r.text


def test_signatures_and_four_eyes_on_shared_records(sandbox: Sandbox) -> None:
    clerk, finance, finance2 = (sandbox.desk(u) for u in ("clerk", "finance", "finance2"))
    rid = uuid.uuid4().hex
    approval = {"kind": "withdrawal", "entity": "payment", "entity_ref": "PAY00000001",
                "prepared_by": "finance", "status": "pending"}
    forged = clerk.command("put-record", {"kind": "approval", "id": rid, "base_version": 0,
                                          "data": approval})
    assert forged.status_code == 403 and forged.json()["code"] == "signature_mismatch"
    made = finance.command("put-record", {"kind": "approval", "id": rid, "base_version": 0,
                                          "data": approval})
    assert made.status_code == 200, made.text
    own = finance.command("put-record", {"kind": "approval", "id": rid, "base_version": 1,
                                         "data": {**approval, "status": "approved",
                                                  "decided_by": "finance"}})
    assert own.status_code == 403 and own.json()["code"] == "four_eyes"
    by_clerk = clerk.command("put-record", {"kind": "approval", "id": rid, "base_version": 1,
                                            "data": {**approval, "status": "approved",
                                                     "decided_by": "clerk"}})
    assert by_clerk.status_code == 403 and by_clerk.json()["code"] == "forbidden"
    checked = finance2.command("put-record", {"kind": "approval", "id": rid,
                                              "base_version": 1,
                                              "data": {**approval, "status": "approved",
                                                       "decided_by": "finance2"}})
    assert checked.status_code == 200, checked.text
    # refusals made by the command are stored: the same key answers the same way
    key = uuid.uuid4().hex
    body = {"kind": "approval", "id": uuid.uuid4().hex, "base_version": 0,
            "data": {**approval, "prepared_by": "manager"}}
    first = clerk.command("put-record", body, key=key, seq=clerk.seq + 1)
    again = clerk.command("put-record", body, key=key, seq=clerk.seq)
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
