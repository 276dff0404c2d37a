"""The `backdesk` command as a user runs it: a real process, real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BACKDESK_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          env=full_env, timeout=120, stdin=subprocess.DEVNULL)


def test_init_demo_passwd_verify(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    pw = {"BACKDESK_PASSWORD": "first-password"}
    r = _run("init", "--workspace", ws, "--broker", "Cedar FX", "--currency", "EUR", env=pw)
    assert r.returncode == 0, r.stderr
    assert "Created an encrypted workspace" in r.stdout
    r = _run("demo", "--workspace", ws, "--clients", "120", env=pw)
    assert r.returncode == 0, r.stderr
    assert "120 clients" in r.stdout
    r = _run("passwd", "--workspace", ws,
             env={**pw, "BACKDESK_NEW_PASSWORD": "second-password"})
    assert r.returncode == 0, r.stderr
    pw2 = {"BACKDESK_PASSWORD": "second-password"}
    r = _run("settings", "--workspace", ws, "--idle-lock", "15", env=pw2)
    assert r.returncode == 0 and "Auto-lock after: 15 idle minutes" in r.stdout
    r = _run("settings", "--workspace", ws, "--idle-lock", "0", env=pw2)
    assert r.returncode == 2 and "between 1 and 240" in r.stderr
    r = _run("audit", "verify", "--workspace", ws, env=pw2)
    assert r.returncode == 0 and "chain intact" in r.stdout
    r = _run("audit", "verify", "--workspace", ws, env=pw)
    assert r.returncode == 2
    assert "password is not correct" in r.stderr
    assert "Traceback" not in r.stderr


def test_no_terminal_and_no_env_is_a_clear_error(tmp_path: Path) -> None:
    r = _run("init", "--workspace", str(tmp_path / "ws"), "--broker", "X")
    assert r.returncode == 2
    assert "set BACKDESK_PASSWORD" in r.stderr


def test_version() -> None:
    from app.version import __version__

    r = _run("--version")
    assert r.returncode == 0 and __version__ in r.stdout


def test_screening_and_kyc_commands(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    pw = {"BACKDESK_PASSWORD": "a-password"}
    assert _run("init", "--workspace", ws, "--broker", "Cedar FX", env=pw).returncode == 0
    assert _run("demo", "--workspace", ws, "--clients", "150", env=pw).returncode == 0
    ofac = Path(__file__).resolve().parents[1] / "resources" / "sanctions" / "ofac"
    r = _run("screening", "import", "--workspace", ws, "--source", "ofac",
             str(ofac / "sdn.csv"), str(ofac / "alt.csv"), str(ofac / "add.csv"), env=pw)
    assert r.returncode == 0, r.stderr
    assert "Imported OFAC SDN" in r.stdout and "Screened 150 clients" in r.stdout
    r = _run("screening", "import", "--workspace", ws, "--source", "ofac",
             str(ofac / "sdn.csv"), str(ofac / "alt.csv"), str(ofac / "add.csv"), env=pw)
    assert r.returncode == 2 and "already imported" in r.stderr
    r = _run("kyc", "due", "--workspace", ws, "--days", "3650", env=pw)
    assert r.returncode == 0, r.stderr
    assert "Periodic reviews due within 3650 days:" in r.stdout
    r = _run("kyc", "sweep", "--workspace", ws, env=pw)
    assert r.returncode == 0, r.stderr
    assert "document(s) marked expired." in r.stdout
    r = _run("kyc", "sweep", "--workspace", ws, env=pw)
    assert r.stdout.strip().endswith("0 document(s) marked expired.")  # nothing twice
    r = _run("clients", "dormancy", "--workspace", ws, env=pw)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Checked ") and "now dormant" in r.stdout


def test_ledger_commands(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    pw = {"BACKDESK_PASSWORD": "a-password"}
    assert _run("init", "--workspace", ws, "--broker", "Cedar FX", env=pw).returncode == 0
    assert _run("demo", "--workspace", ws, "--clients", "60", env=pw).returncode == 0
    r = _run("ledger", "post-deals", "--workspace", ws, env=pw)
    assert r.returncode == 0, r.stderr
    posted = int(r.stdout.split()[1].replace(",", ""))
    assert posted > 100
    again = _run("ledger", "post-deals", "--workspace", ws, env=pw)
    assert again.stdout.startswith("Posted 0 deal entries.")  # nothing twice
    r = _run("ledger", "trial-balance", "--workspace", ws, env=pw)
    assert r.returncode == 0, r.stderr
    assert "balances" in r.stdout and "DOES NOT BALANCE" not in r.stdout
    code = next(line.split()[0] for line in r.stdout.splitlines()
                if line.startswith("trading:"))
    r = _run("ledger", "statement", code, "--workspace", ws, env=pw)
    assert r.returncode == 0 and "[deal:" in r.stdout
    entry = r.stdout.split("#", 1)[1].split()[0]
    r = _run("ledger", "reverse", entry, "--reason", "Booked twice", "--workspace", ws,
             env=pw)
    assert r.returncode == 0 and f"Entry #{entry} reversed" in r.stdout
    r = _run("ledger", "reverse", entry, "--reason", "again", "--workspace", ws, env=pw)
    assert r.returncode == 2 and "already been reversed" in r.stderr
    book = tmp_path / "journal.beancount"
    r = _run("ledger", "export", "--format", "beancount", str(book), "--workspace", ws, env=pw)
    assert r.returncode == 0, r.stderr
    check = subprocess.run([str(Path(sys.executable).parent / "bean-check"), str(book)],
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout[:2000] + check.stderr[:2000]


def test_payments_commands(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    pw = {"BACKDESK_PASSWORD": "a-password"}
    assert _run("init", "--workspace", ws, "--broker", "Cedar FX", env=pw).returncode == 0
    assert _run("demo", "--workspace", ws, "--clients", "80", env=pw).returncode == 0
    r = _run("payments", "queue", "--workspace", ws, env=pw)
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0]
    payment = first.split()[0].lstrip("#")
    assert "[" in first and "Waiting for" in first
    r = _run("payments", "checks", payment, "--workspace", ws, env=pw)
    assert r.returncode == 0, r.stderr
    assert [line.split()[1] for line in r.stdout.splitlines()[:5]] == [
        "KYC:", "Free", "Sanctions:", "Payee:", "AML:"]
    r = _run("payments", "reject", payment, "--reason", " ", "--workspace", ws, env=pw)
    assert r.returncode == 2 and "Say why" in r.stderr
    r = _run("payments", "reject", payment, "--reason", "Client cancelled by phone",
             "--workspace", ws, env=pw)
    assert r.returncode == 0 and "rejected" in r.stdout
    login = _run("payments", "queue", "--workspace", ws, env=pw).stdout.split()[1]
    r = _run("payments", "request", "withdrawal", "--login", login, "--method", "bank_wire",
             "--provider", "SEPA", "--amount", "10.00", "--to", "DE89370400440532013001",
             "--bic", "COBADEFFXXX", "--workspace", ws, env=pw)
    assert r.returncode == 2 and "check digits" in r.stderr
