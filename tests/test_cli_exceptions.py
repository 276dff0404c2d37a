"""`backdesk exceptions` as a user runs it: a real process over a real workspace."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.models.compliance import Alert, AlertStatus, Severity
from app.models.payments import PaymentDirection, PaymentMethod, PaymentRequest, PaymentStatus
from app.models.sync_state import OutboxCommand, OutboxStatus
from app.services import clients
from app.services.workspace import init_workspace

PASSWORD = "exceptions-password"


def _run(*args: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKDESK_")}
    env["BACKDESK_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True,
                          text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)


def _workspace(folder: Path) -> int:
    desk = init_workspace(folder, password=PASSWORD, broker_name="Cedar FX",
                          base_currency="USD", admin_username="admin",
                          admin_full_name="Ada Admin")
    cid = clients.create_client(desk, clients.ClientData(first_name="Νίκος",
                                                         last_name="Παπαδόπουλος",
                                                         country="GR"))
    now = datetime.now(UTC)
    with desk.store.write() as s:
        s.add(PaymentRequest(uid=str(uuid.uuid4()), client_id=cid,
                             direction=PaymentDirection.DEPOSIT, method=PaymentMethod.CARD,
                             provider="Stripe", amount_minor=123_456, currency="EUR",
                             status=PaymentStatus.PENDING, created_at=now - timedelta(days=3),
                             updated_at=now - timedelta(days=3)))
        s.add(Alert(uid=str(uuid.uuid4()), rule="structuring", severity=Severity.HIGH,
                    client_id=cid, status=AlertStatus.OPEN, summary="Split deposits",
                    due_date=(now - timedelta(days=2)).date(),
                    created_at=now - timedelta(days=10)))
        s.add(OutboxCommand(device_seq=1, idempotency_key=uuid.uuid4().hex,
                            kind="client.update", payload={}, status=OutboxStatus.REJECTED,
                            last_error="unknown group", created_at=now - timedelta(days=40),
                            created_by=desk.actor.id, entity="account", entity_ref="7001"))
    desk.close()
    return cid


def test_exceptions_lists_the_queue_oldest_first(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    cid = _workspace(ws)
    r = _run("exceptions", "--workspace", str(ws))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 4
    assert lines[0].split()[:3] == ["40", "d", "Sync"] and "unknown group" in lines[0]
    assert lines[1].split()[:3] == ["10", "d", "Compliance"]
    assert "High alert not reviewed: Split deposits" in lines[1]
    assert f"[Παπαδόπουλος, Νίκος #{cid}]" in lines[1]
    assert lines[2].split()[:3] == ["3", "d", "Payments"]
    assert "Deposit of 1,234.56 EUR via Stripe unchanged in pending" in lines[2]
    assert "payment:1" in lines[2]
    assert lines[3] == ("3 open exception(s): 0 0–1 days, 1 2–7 days, 1 8–30 days, "
                        "1 over 30 days.")

    r = _run("exceptions", "--part", "payments", "--workspace", str(ws))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1].startswith("1 open exception(s) in Payments")
    r = _run("exceptions", "--part", "kyc", "--workspace", str(ws))
    assert r.stdout.strip() == "0 open exception(s) in KYC."


def test_exceptions_refuses_unknown_parts_and_wrong_passwords(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _workspace(ws)
    r = _run("exceptions", "--part", "ledger", "--workspace", str(ws))
    assert r.returncode == 2 and "invalid choice: 'ledger'" in r.stderr
    r = _run("exceptions", "--workspace", str(ws), password="not the password")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stdout == "" and "password" in r.stderr.lower()
