"""`backdesk retention` as an administrator (or a scheduled job) runs it: a real process
on a real workspace: read the periods, change one, preview, purge, purge again."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.services.workspace import init_workspace, open_workspace
from tests.app.test_retention import CLIENT_TABLES, counts, make_client

PASSWORD = "retention-password"


def backdesk(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKDESK_")}
    env["BACKDESK_PASSWORD"] = PASSWORD
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          env=env, timeout=120, stdin=subprocess.DEVNULL)


def test_show_set_preview_and_purge_from_the_command_line(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    desk = init_workspace(ws, password=PASSWORD, broker_name="Cedar FX", base_currency="USD",
                          admin_username="admin", admin_full_name="Ada Admin")
    gone = make_client(desk, "Maria", "Ioannou", closed_years_ago=6)
    held = make_client(desk, "Ivan", "Petrov", closed_years_ago=6, money=50_000)
    young = make_client(desk, "Nikos", "Georgiou", closed_years_ago=4)
    desk.close()

    r = backdesk("retention", "show", "--workspace", str(ws))
    assert r.returncode == 0, r.stderr
    assert "kyc_records" in r.stdout and "5 years (default), at least 5" in r.stdout
    assert "Never purged:" in r.stdout and "The audit log: Hash-chained" in r.stdout

    r = backdesk("retention", "set", "kyc_records", "4", "--workspace", str(ws))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "at least 5 years after the relationship ends (the legal minimum)" in r.stderr
    r = backdesk("retention", "set", "notes_tasks", "7", "--workspace", str(ws))
    assert r.returncode == 0 and "Notes and tasks: now kept 7 years." in r.stdout
    assert "notes_tasks             7 years, at least 5" in backdesk(
        "retention", "show", "--workspace", str(ws)).stdout

    r = backdesk("retention", "purge", "--dry-run", "--workspace", str(ws))
    assert r.returncode == 0, r.stderr
    assert "kyc_records" in r.stdout and "3 would go (1 document, 1 check, 1 KYC case)" in r.stdout
    assert f"client #{held}, ended" in r.stdout and "money left on trading account" in r.stdout
    assert "Ivan" not in r.stdout and "Petrov" not in r.stdout  # ids only: this goes to logs
    later = (datetime.now(UTC) + timedelta(days=800)).date().isoformat()
    r = backdesk("retention", "purge", "--today", later, "--workspace", str(ws))
    assert r.returncode == 2 and "Preview a later day instead." in r.stderr
    r = backdesk("retention", "purge", "--dry-run", "--today", later, "--workspace", str(ws))
    assert r.returncode == 0 and "6 would go (2 documents" in r.stdout  # both clients

    desk = open_workspace(ws, PASSWORD)
    try:  # neither the preview nor the refused purge removed anything
        assert counts(desk, gone)["kyc_documents"] == 1 and counts(desk, young)["notes"] == 1
    finally:
        desk.close()

    r = backdesk("retention", "purge", "--workspace", str(ws))
    assert r.returncode == 0, r.stderr
    assert "record(s) removed." in r.stdout and f"client #{held}" in r.stdout
    assert "notes_tasks" in r.stdout and "kept 7 years" in r.stdout
    desk = open_workspace(ws, PASSWORD)
    try:
        left = counts(desk, gone)
        assert left["notes"] == 1  # kept seven years now
        assert {t: n for t, n in left.items() if t not in ("notes", "tasks")} == dict.fromkeys(
            set(CLIENT_TABLES) - {"notes", "tasks"}, 0)
        assert counts(desk, held)["kyc_documents"] == 1
    finally:
        desk.close()

    r = backdesk("retention", "purge", "--workspace", str(ws))
    assert r.returncode == 0 and ": 0 record(s) removed." in r.stdout
    r = backdesk("retention", "show", "--workspace", str(ws))
    assert "Last purge:" in r.stdout and "by admin, 0 record(s) removed." in r.stdout
    r = backdesk("audit", "verify", "--workspace", str(ws))
    assert r.returncode == 0 and "chain intact" in r.stdout
