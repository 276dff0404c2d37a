"""`backdesk report NAME --period P --out FILE.pdf` as a user runs it: the period forms
parsed exactly, every report of the library written headless by a real process from
one workspace, and the mistakes people make answered with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.errors import ValidationFailed
from app.reports.document import Period
from app.services.report_library import KINDS, parse_period
from app.services.workspace import init_workspace
from tests.app.test_commission_reports import SEPT_RUN, seed
from tests.app.test_compliance_report import build_world, logical

PASSWORD = "report-password"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKDESK_")}
    env["BACKDESK_PASSWORD"] = PASSWORD
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True,
                          text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(("text", "first", "last"), [
    ("2026-10", date(2026, 10, 1), date(2026, 10, 31)),
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
    ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
    ("2026-q3", date(2026, 7, 1), date(2026, 9, 30)),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026-10-05", date(2026, 10, 5), date(2026, 10, 5)),
    ("2026-10-01..2026-10-31", date(2026, 10, 1), date(2026, 10, 31)),
    (" 2026-09-15 .. 2026-10-14 ", date(2026, 9, 15), date(2026, 10, 14)),
])
def test_period_forms(text: str, first: date, last: date) -> None:
    assert parse_period(text) == Period(first, last)


@pytest.mark.parametrize(("text", "message"), [
    ("2026-Q5", "is not a period: give a month (2026-10), a quarter (2026-Q3)"),
    ("October", "'October' is not a period"),
    ("2026-13", "there is no month 13"),
    ("2026-02-30", "'2026-02-30' is not a date as YYYY-MM-DD"),
    ("2026-10-31..2026-10-01", "starts (2026-10-31) after it ends (2026-10-01)"),
    ("2026-10-01..", "'' is not a date"),
    ("", "'' is not a period"),
    ("26-10", "'26-10' is not a period"),
])
def test_anything_else_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_period(text)
    assert message in caught.value.message


def _text(path: Path) -> str:
    return logical("\n".join(p.extract_text() for p in PdfReader(path).pages))


def test_every_report_runs_headless(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    desk = init_workspace(ws, password=PASSWORD, broker_name="Cedar FX", base_currency="USD",
                          admin_username="admin", admin_full_name="Ada Admin")
    seeded = seed(desk)
    world = build_world(desk)
    desk.close()
    today = date.today().isoformat()
    runs = {
        "statement": ("--client", str(seeded.clients["c1"]), "--period", "2026-10"),
        "reconciliation": ("--period", "2026-Q4"),
        "commission": ("--partner", "AUR", "--period", "2026-10-01..2026-10-31"),
        "payouts": ("--run", SEPT_RUN[:8]),
        "compliance": ("--period", "2026-10"),
        "audit": ("--client", str(world.arabic)),
        "management": ("--period", "2026-10"),
    }
    assert set(KINDS) <= set(runs), "a new report needs its command line here"
    for name in KINDS:
        out = tmp_path / f"{name}.pdf"
        r = _run("report", name, *runs[name], "--workspace", str(ws), "--out", str(out))
        assert r.returncode == 0, (name, r.stderr)
        pages = len(PdfReader(out).pages)
        assert r.stdout.strip() == f"Wrote {out} ({pages} page{'s' if pages != 1 else ''}).", (
            name)
        text = _text(out)
        assert "Cedar FX" in text and KINDS[name].title in text, name
        assert f"Page 1 of {pages}" in text, name
    assert "Period: 2026-10-01 to 2026-12-31" in _text(tmp_path / "reconciliation.pdf")
    assert "Period: 2026-10-01 to 2026-10-31" in _text(tmp_path / "compliance.pdf")
    assert f"Period: {today}" not in _text(tmp_path / "compliance.pdf")
    assert "سعيد الهاشمي" in _text(tmp_path / "audit.pdf")
    # A day, a year and a period of the audit log; the old --from/--to still works.
    r = _run("report", "audit", "--period", today, "--workspace", str(ws),
             str(tmp_path / "today.pdf"))
    assert r.returncode == 0, r.stderr
    assert f"Every audit entry from {today} to {today}" in _text(tmp_path / "today.pdf")
    r = _run("report", "compliance", "--from", "2026-01-01", "--to", "2026-12-31",
             "--workspace", str(ws), str(tmp_path / "year.pdf"))
    assert r.returncode == 0, r.stderr
    assert "Period: 2026-01-01 to 2026-12-31" in _text(tmp_path / "year.pdf")

    bad = tmp_path / "bad.pdf"
    for args, message in (
            (("compliance", "--period", "2026-Q5"), "is not a period: give a month"),
            (("compliance", "--period", "2026-13"), "there is no month 13"),
            (("compliance",), "The compliance report needs --period P (a month (2026-10)"),
            (("statement", "--period", "2026-10"), "The statement report needs --client ID"),
            (("commission", "--period", "2026-10"), "needs --partner CODE"),
            (("compliance", "--period", "2026-10", "--from", "2026-10-01"),
             "Give the period once"),
            (("compliance", "--from", "2026-10-01"), "Give both --from and --to"),
            (("compliance", "--client", "3", "--period", "2026-10"),
             "unrecognized arguments: --client"),
            (("weekly", "--period", "2026-10"), "invalid choice: 'weekly'"),
            (("audit",), "Choose a period, a client, or both")):
        r = _run("report", *args, "--workspace", str(ws), "--out", str(bad))
        assert r.returncode == 2 and message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    assert not bad.exists()


def test_report_list_needs_no_workspace(tmp_path: Path) -> None:
    r = _run("report", "list", "--workspace", str(tmp_path / "none"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    for name, k in KINDS.items():
        assert any(line.startswith(f"{name} ") and k.title in line for line in lines), name
    assert any("--client ID --period P" in line for line in lines)
    assert any("[--run UID] [--period P]" in line for line in lines)
    assert not (tmp_path / "none").exists()
