"""The sandbox as a program: determinism, restarts, documents at rest, TLS, CLI faults."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import requests

from sync.sandbox.store import SandboxStore
from sync.sandbox.vault import Vault
from tests.sync.conftest import Sandbox


def test_same_seed_same_broker(own_sandbox: list[Sandbox], tmp_path: Path) -> None:
    one = Sandbox(tmp_path / "one", "--seed", "5", clients=400).start()
    two = Sandbox(tmp_path / "two", "--seed", "5", clients=400).start()
    other = Sandbox(tmp_path / "three", "--seed", "6", clients=400).start()
    own_sandbox += [one, two, other]
    pulls = [box.desk().pull_all(limit=5000)[0] for box in (one, two, other)]
    assert pulls[0] == pulls[1]
    assert pulls[0] != pulls[2]
    names = {c["data"]["last_name"] for c in pulls[0] if c["kind"] == "client"}
    scripts = {"latin": any(n.isascii() and n for n in names),
               "cyrillic": any("\u0400" <= ch <= "\u04ff" for n in names for ch in n),
               "greek": any("\u0370" <= ch <= "\u03ff" for n in names for ch in n),
               "arabic": any("\u0600" <= ch <= "\u06ff" for n in names for ch in n)}
    assert all(scripts.values()), scripts
    payments = [c["data"] for c in pulls[0] if c["kind"] == "payment"]
    assert {p["method"] for p in payments} == {"card", "bank_wire", "e_wallet", "crypto"}
    assert {"completed", "failed", "cancelled"} <= {p["status"] for p in payments}
    assert any(p["third_party"] for p in payments)
    clients = [c["data"] for c in pulls[0] if c["kind"] == "client"]
    assert any(c["referral_code"] for c in clients)
    accounts = [c["data"] for c in pulls[0] if c["kind"] == "account"]
    assert len({a["currency"] for a in accounts}) >= 3 and len({a["group"] for a in accounts}) > 3


def test_every_account_adds_up_to_its_deals_as_the_broker_lives(
        own_sandbox: list[Sandbox], tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=150).start()
    own_sandbox.append(box)
    admin = box.desk("admin")
    admin.control("advance", {"steps": 400})
    changes, _ = admin.pull_all(limit=5000)
    live = [c for c in changes if not c["deleted"]]
    balance: dict[int, Decimal] = defaultdict(Decimal)
    credit: dict[int, Decimal] = defaultdict(Decimal)
    floating: dict[int, Decimal] = defaultdict(Decimal)
    margin: dict[int, Decimal] = defaultdict(Decimal)
    for c in live:
        d = c["data"]
        if c["kind"] == "deal":
            total = sum(Decimal(d[k]) for k in ("profit", "commission", "swap", "fee"))
            (credit if d["action"] == "CREDIT" else balance)[d["login"]] += total
        elif c["kind"] == "position":
            floating[d["login"]] += Decimal(d["profit"])
            margin[d["login"]] += Decimal(d["volume"]) * 1000  # the sandbox's margin rule
    states = [c["data"] for c in live if c["kind"] == "account_state"]
    assert len(states) > 100
    for s in states:
        login = s["login"]
        assert Decimal(s["balance"]) == balance[login], login
        assert Decimal(s["credit"]) == credit[login], login
        assert Decimal(s["margin"]) == margin[login], login
        assert Decimal(s["equity"]) == balance[login] + credit[login] + floating[login], login
        assert Decimal(s["free_margin"]) == Decimal(s["equity"]) - Decimal(s["margin"])
    seen = {h["status"] for c in live if c["kind"] == "payment" for h in c["data"]["history"]}
    assert {"pending", "processing", "completed", "requested"} <= seen
    assert seen & {"charged_back", "refunded"}, "chargebacks and refunds happen"
    closed = [c for c in changes if c["kind"] == "position" and c["deleted"]]
    assert closed, "traders close positions"


def test_a_restart_does_not_change_what_the_broker_does(own_sandbox: list[Sandbox],
                                                        tmp_path: Path) -> None:
    steady = Sandbox(tmp_path / "steady", clients=80).start()
    bumpy = Sandbox(tmp_path / "bumpy", clients=80).start()
    own_sandbox += [steady, bumpy]
    steady.desk().control("advance", {"steps": 200})
    bumpy.desk().control("advance", {"steps": 100})
    bumpy.desk().control("restart")
    assert "restarted" in bumpy.readline()
    bumpy.desk().control("advance", {"steps": 100})

    def timeless(value: object) -> object:  # wall-clock stamps differ between runs
        if isinstance(value, dict):
            return {k: timeless(v) for k, v in value.items()
                    if not k.endswith("_ms") and k != "updated_ms"}
        if isinstance(value, list):
            return [timeless(v) for v in value]
        return value

    one, two = (timeless(box.desk().pull_all(limit=5000)[0]) for box in (steady, bumpy))
    assert one == two


def test_data_and_cursors_survive_restarts_and_kills(own_sandbox: list[Sandbox],
                                                     tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=100).start()
    own_sandbox.append(box)
    desk = box.desk("finance")
    changes, cursor = desk.pull_all()
    login = next(c["data"]["login"] for c in changes
                 if c["kind"] == "account" and c["data"]["status"] == "active")
    body = {"login": login, "operation": "deposit", "amount": "77.00"}
    first = desk.command("balance-operation", body, key="restart-key-1", seq=1)
    assert first.status_code == 200
    # the control endpoint's restart: sockets close, the database is reopened
    box.desk("admin").control("restart")
    assert "restarted" in box.readline()
    again = box.desk("finance")
    assert [c["id"] for c in again.pull_all(cursor=cursor)[0]] == \
        [r["id"] for r in first.json()["records"]]
    # a killed process loses nothing that was answered
    box.stop(signal.SIGKILL)
    box.start()
    survivor = box.desk("finance", device=desk.device)
    replay = survivor.command("balance-operation", body, key="restart-key-1", seq=1)
    assert replay.json() == first.json() and replay.headers["Idempotent-Replayed"] == "true"
    later, _ = survivor.pull_all(cursor=cursor)
    assert [c["id"] for c in later] == [r["id"] for r in first.json()["records"]]
    assert box.stop() == 0 and "stopped" in box.output


def test_documents_are_encrypted_at_rest(own_sandbox: list[Sandbox], tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=20).start()
    own_sandbox.append(box)
    desk = box.desk("compliance")
    scan = b"%PDF-1.4 PASSPORT-SCAN-MARKER " + bytes(range(256)) * 64
    digest = hashlib.sha256(scan).hexdigest()
    url = box.base + "/v1/documents/doc-1"
    bad = desk.http.put(url, data=scan, headers={"X-Content-SHA256": "0" * 64,
                                                 "Content-Type": "application/pdf"}, timeout=30)
    assert bad.status_code == 422 and bad.json()["code"] == "checksum_mismatch"
    put = desk.http.put(url, data=scan, headers={"X-Content-SHA256": digest,
                                                 "Content-Type": "application/pdf"}, timeout=30)
    assert put.status_code == 200 and put.json() == {"id": "doc-1", "sha256": digest,
                                                     "size": len(scan)}
    assert desk.http.put(url, data=scan, headers={"X-Content-SHA256": digest},
                         timeout=30).status_code == 200  # same file again: fine
    other = b"another file"
    clash = desk.http.put(url, data=other, timeout=30,
                          headers={"X-Content-SHA256": hashlib.sha256(other).hexdigest()})
    assert clash.status_code == 409 and clash.json()["code"] == "document_exists"
    got = box.desk("clerk").http.get(url, timeout=30)
    assert got.content == scan and got.headers["X-Content-SHA256"] == digest
    assert requests.get(url, timeout=10).status_code == 401
    box.stop()
    for f in (tmp_path / "gw").iterdir():
        assert b"PASSPORT-SCAN-MARKER" not in f.read_bytes(), f"plaintext in {f.name}"
        assert b"Market Street" not in f.read_bytes(), f"client data in clear in {f.name}"
    assert (tmp_path / "gw" / "gateway.key").stat().st_mode & 0o077 == 0
    vault = Vault(tmp_path / "gw" / "gateway.key")
    store = SandboxStore(tmp_path / "gw" / "sandbox.db", vault.database_key)
    _mime, _sha, _size, nonce, sealed = store.document("doc-1") or ("", "", 0, b"", b"")
    assert b"PASSPORT-SCAN-MARKER" not in sealed
    assert vault.open("doc-1", nonce, sealed) == scan
    store.close()


def test_tls(own_sandbox: list[Sandbox], tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", "--tls", clients=20).start()
    own_sandbox.append(box)
    assert box.base.startswith("https://127.0.0.1:")
    cert = str(tmp_path / "gw" / "tls-cert.pem")
    assert requests.get(box.base + "/v1/info", verify=cert, timeout=10).status_code == 200
    try:
        requests.get(box.base + "/v1/info", timeout=10)  # an unknown certificate is refused
        raise AssertionError("self-signed certificate accepted without pinning")
    except requests.exceptions.SSLError:
        pass


def test_fault_flags_on_the_command_line(own_sandbox: list[Sandbox], tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", "--error-rate", "1", clients=20).start()
    own_sandbox.append(box)
    r = requests.get(box.base + "/v1/info", timeout=10)
    assert r.status_code == 503 and r.json()["code"] == "unavailable"
    # signing in and the control switches stay reachable, so faults can be turned off
    admin = box.desk("admin")
    assert admin.get("/v1/changes").status_code == 503
    assert admin.control("faults", {"error_rate": 0}, method="PUT")["error_rate"] == 0
    assert admin.get("/v1/changes").status_code == 200


def test_refuses_remote_listening_without_consent(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "app", "sandbox", "--data", str(tmp_path),
                          "--host", "0.0.0.0"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "--allow-remote" in run.stderr
    bad = subprocess.run([sys.executable, "-m", "app", "sandbox", "--data", str(tmp_path),
                          "--error-rate", "2"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "between 0 and 1" in bad.stderr
