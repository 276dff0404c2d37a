"""`backdesk report commission|payouts` as a user runs them: a real process writing
real PDFs from a workspace holding partners, accruals, payouts and their ledger."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

from pypdf import PdfReader

from app.services.workspace import init_workspace
from tests.app.test_commission_reports import ARABIC, CYRILLIC, SEPT_RUN, seed

PASSWORD = "report-password"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKDESK_")}
    env["BACKDESK_PASSWORD"] = PASSWORD
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True,
                          text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)


def _text(path: Path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(path).pages)


def test_report_commission_and_payouts(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    desk = init_workspace(ws, password=PASSWORD, broker_name="Cedar FX", base_currency="USD",
                          admin_username="admin", admin_full_name="Ada Admin")
    seed(desk)
    desk.close()

    out = tmp_path / "aurora.pdf"
    r = _run("report", "commission", "--partner", "AUR", "--from", "2026-10-01",
             "--to", "2026-10-31", "--workspace", str(ws), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"Wrote {out} (2 pages)."
    text = _text(out)
    assert "Cedar FX" in text and "IB commission statement" in text
    assert "Aurora Partners" in text and "Period: 2026-10-01 to 2026-10-31" in text
    lines = text.splitlines()
    assert lines[lines.index("Payable per ledger") + 1] == "241.55 USD"
    assert CYRILLIC in text and ARABIC in unicodedata.normalize("NFKC", text)

    coral = tmp_path / "coral.pdf"   # the output file as a plain argument works too
    r = _run("report", "commission", "--partner", "cor", "--from", "2026-10-01",
             "--to", "2026-10-31", "--workspace", str(ws), str(coral))
    assert r.returncode == 0, r.stderr
    assert "Upline: Borealis IB (BOR) → Aurora Partners (AUR)" in _text(coral)

    run = tmp_path / "run.pdf"
    r = _run("report", "payouts", "--run", SEPT_RUN[:8], "--workspace", str(ws),
             "--out", str(run))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"Wrote {run} (1 page)."
    text = _text(run)
    assert f"Commission run {SEPT_RUN}" in text and "27.10 USD" in text
    period = tmp_path / "period.pdf"
    r = _run("report", "payouts", "--from", "2026-09-01", "--to", "2026-10-31",
             "--workspace", str(ws), str(period))
    assert r.returncode == 0, r.stderr
    assert "Payouts (6)" in _text(period)

    bad = tmp_path / "bad.pdf"
    for args, message in (
            (("commission", "--partner", "NOPE", "--from", "2026-10-01", "--to", "2026-10-31"),
             "no partner with the referral code 'NOPE'"),
            (("payouts", "--run", SEPT_RUN, "--from", "2026-10-01"),
             "either a commission run or a period"),
            (("payouts", "--from", "2026-10-01"), "Choose a commission run"),
            (("payouts", "--run", "ffffffff"), "no commission run 'ffffffff'")):
        r = _run("report", *args, "--workspace", str(ws), "--out", str(bad))
        assert r.returncode == 2 and message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    r = _run("report", "payouts", "--run", SEPT_RUN, "--workspace", str(ws))
    assert r.returncode == 2 and "Name the PDF file" in r.stderr
    assert not bad.exists()
