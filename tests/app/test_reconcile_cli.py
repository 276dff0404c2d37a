"""`backdesk reconcile` as a finance officer runs it: a real process on a real
workspace: import a statement, run, list the breaks, resolve one with a reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def backdesk(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKDESK_")}
    env["BACKDESK_PASSWORD"] = "reconcile-password"
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          env=env, timeout=120, stdin=subprocess.DEVNULL)


def test_import_run_list_and_resolve_from_the_command_line(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    assert backdesk("init", "--workspace", ws, "--broker", "Cedar FX").returncode == 0
    csv = tmp_path / "stripe-october.csv"
    csv.write_text("provider_ref,value_date,type,status,amount,fee,currency\n"
                   "STR-LOST-1,2026-10-03,deposit,completed,99.90,2.00,USD\n", encoding="utf-8")
    r = backdesk("reconcile", "import-statement", "--workspace", ws, "--provider", "Stripe",
                 "--from", "2026-10-01", "--to", "2026-10-31", str(csv))
    assert r.returncode == 0, r.stderr
    assert "1 new line(s), 0 already imported; covers 2026-10-01 to 2026-10-31" in r.stdout
    r = backdesk("reconcile", "import-statement", "--workspace", ws, "--provider", "Stripe",
                 str(csv))
    assert r.returncode == 2 and "imported already" in r.stderr and "Traceback" not in r.stderr
    r = backdesk("reconcile", "run", "--workspace", ws)
    assert r.returncode == 0, r.stderr
    assert "Breaks: 1 (1 orphan_provider); new 1" in r.stdout
    r = backdesk("reconcile", "list", "--workspace", ws)
    assert "orphan_provider" in r.stdout and "99.90 USD" in r.stdout
    assert "STR-LOST-1" in r.stdout and "1 exception(s)." in r.stdout
    number = r.stdout.split()[0].lstrip("#")
    r = backdesk("reconcile", "resolve", number, "--workspace", ws)
    assert r.returncode == 2 and "--reason" in r.stderr
    r = backdesk("reconcile", "resolve", number, "--workspace", ws, "--reason", " ")
    assert r.returncode == 2 and "the reason is kept" in r.stderr
    r = backdesk("reconcile", "resolve", number, "--workspace", ws, "--reason",
                 "Test payment by Stripe support, reversed by them on 4 Oct")
    assert r.returncode == 0 and f"Exception #{number} resolved." in r.stdout
    r = backdesk("reconcile", "list", "--workspace", ws)
    assert r.stdout.strip() == "0 exception(s)."
    r = backdesk("reconcile", "list", "--workspace", ws, "--all", "--kind", "orphan_provider")
    assert "resolved" in r.stdout and "1 exception(s)." in r.stdout
    r = backdesk("reconcile", "list", "--workspace", ws, "--kind", "lost")
    assert r.returncode == 2 and "Unknown kind 'lost'" in r.stderr
    r = backdesk("audit", "verify", "--workspace", ws)
    assert r.returncode == 0 and "chain intact" in r.stdout
