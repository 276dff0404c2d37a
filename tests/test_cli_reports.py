"""`backdesk report ...` as a user runs it: a real process writing real PDFs."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from pypdf import PdfReader

from app.crm.search_index import dbapi
from app.ledger import chart
from app.ledger.chart import Accounts
from app.ledger.journal import Draft, Line, post
from app.models.trading import TradingAccount
from app.services import clients
from app.services.workspace import init_workspace

PASSWORD = "report-password"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKDESK_")}
    env["BACKDESK_PASSWORD"] = PASSWORD
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True,
                          text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)


def test_report_statement_and_reconciliation(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    desk = init_workspace(ws, password=PASSWORD, broker_name="Cedar FX", base_currency="USD",
                          admin_username="admin", admin_full_name="Ada Admin")
    cid = clients.create_client(desk, clients.ClientData(first_name="Алексей",
                                                         last_name="Белозёров", country="CY"))
    trading = chart.trading("gw", 700001, "USD")
    with desk.store.write() as s:
        s.add(TradingAccount(platform="gw", login=700001, client_id=cid, group="real",
                             currency="USD", leverage=30, status="active"))
    with desk.store.write() as s:
        db = dbapi(s)
        post(db, Accounts(db), Draft("payment", "C1:completed", "Deposit C1 via Stripe",
                                     (Line(chart.clearing("Stripe", "USD"), 123_456),
                                      Line(trading, -123_456)),
                                     datetime(2026, 5, 4, 12, 0, tzinfo=UTC)))
    desk.close()

    out = tmp_path / "statement.pdf"
    r = _run("report", "statement", "--client", str(cid), "--from", "2026-05-01",
             "--to", "2026-05-31", "--workspace", str(ws), str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"Wrote {out} (1 page)."
    (text,) = [p.extract_text() for p in PdfReader(out).pages]
    assert "Cedar FX" in text and "Белозёров, Алексей" in text
    assert "Period: 2026-05-01 to 2026-05-31" in text and "1,234.56" in text

    recon = tmp_path / "recon.pdf"
    r = _run("report", "reconciliation", "--workspace", str(ws), str(recon))
    assert r.returncode == 0, r.stderr
    assert "No reconciliation has been run yet" in PdfReader(recon).pages[0].extract_text()

    r = _run("report", "statement", "--client", str(cid), "--from", "2026-05-31",
             "--to", "2026-05-01", "--workspace", str(ws), str(tmp_path / "bad.pdf"))
    assert r.returncode == 2 and "starts (2026-05-31) after it ends" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "bad.pdf").exists()
    r = _run("report", "statement", "--client", str(cid), "--from", "May 1",
             "--to", "2026-05-31", "--workspace", str(ws), str(tmp_path / "bad.pdf"))
    assert r.returncode == 2 and "not a date as YYYY-MM-DD" in r.stderr
