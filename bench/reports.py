"""A 10,000-row report: the audit-trail extract of a period holding 10,000 entries.

Builds a real encrypted workspace (not timed): 40 clients named in Latin, Cyrillic,
Greek and Arabic, then 10,000 audit entries written through app.audit.record as the
services write them (status changes, KYC and payment decisions, balance operations),
one in ten with a longer before/after that wraps in its cell.

Timed, median of RUNS runs:
- layout: the extract already read, its story (PagedTable) laid out under the real
  report header ("Page n of m", embedded DejaVu Sans) into memory: pages/s and time;
- end to end: reading the entries, verifying the whole hash chain, and the layout,
  as `report audit --period` does it (app.services.report_library, in memory);
- bare reportlab: the same rows as plain cell strings in the same font and size, in
  reportlab Tables of one page's worth of rows each (DESIGN.md: "tables chunked per
  page"), in a SimpleDocTemplate with no header or page numbers. The ratio is layout
  time / bare time.

Usage: python bench/reports.py [entries] [runs] [--no-dashboard]
"""

from __future__ import annotations

import io
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

from app import audit
from app.reports.audit_data import AuditExtract
from app.reports.audit_pdf import COLUMNS, TITLE, audit_story, entry_row
from app.reports.document import MARGIN, PAGE, ReportHeader, build_pdf, styles
from app.services import reports
from app.services.clients import ClientData, create_client
from app.services.report_library import ReportParams, kind, period_of
from app.services.workspace import Desk, init_workspace

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
N_ENTRIES = int(ARGS[0]) if ARGS else 10_000
RUNS = int(ARGS[1]) if len(ARGS) > 1 else 3
DASHBOARD = "--no-dashboard" not in sys.argv
PASSWORD = "bench-password"
NAMES = [("Zoë", "Ångström"), ("Алексей", "Белозёров"), ("Νίκος", "Παπαδόπουλος"),
         ("", "سعيد الهاشمي")]
ACTIONS = [("client.status", "client", {"status": "registered"}, {"status": "kyc_pending"}),
           ("kyc_case.approve", "kyc_case", {"status": "in_review"}, {"status": "approved"}),
           ("payment.approve", "payment", {"status": "pending_approval"},
            {"status": "approved", "amount": "1,250.00", "currency": "USD"}),
           ("outbox.balance_operation", "account", None,
            {"operation": "credit", "amount": "10.00", "comment": "bonus"}),
           ("alert.dismiss", "alert", {"status": "open"}, {"status": "closed"})]


def build(folder: Path) -> Desk:
    desk = init_workspace(folder, password=PASSWORD, broker_name="Kestrel Markets Ltd",
                          base_currency="USD", admin_username="admin",
                          admin_full_name="Ada Admin")
    clients = [create_client(desk, ClientData(first_name=first, last_name=f"{last} {n}",
                                              country="CY"))
               for n in range(10) for first, last in NAMES]
    with desk.store.write() as s:
        for n in range(N_ENTRIES - len(clients) - 1):
            action, entity, before, after = ACTIONS[n % len(ACTIONS)]
            if n % 10 == 9:  # a longer record, as a KYC document or client edit writes
                after = {**(after or {}), "note": "reviewed against the passport and the "
                         "proof of address; source of funds confirmed by the bank letter"}
            audit.record(s, desk.actor, action, entity, clients[n % len(clients)] + n,
                         before=before, after=after)
    return desk


def median_time(work: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(RUNS):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def layout(extract: AuditExtract, header: ReportHeader) -> int:
    return build_pdf(io.BytesIO(), header, audit_story(extract, styles()))


def bare(extract: AuditExtract, rows_per_page: int) -> int:
    """The same rows in plain reportlab: strings in Tables of a page's rows each."""
    st = styles()
    broken = extract.broken_id
    data = [list(entry_row(x, broken).cells) for x in extract.lines]
    titles = [c.title for c in COLUMNS]
    style = TableStyle([("FONTNAME", (0, 0), (-1, -1), st.fonts.regular),
                        ("FONTSIZE", (0, 0), (-1, -1), st.cell.fontSize),
                        ("LEADING", (0, 0), (-1, -1), st.cell.leading),
                        ("VALIGN", (0, 0), (-1, -1), "TOP")])
    widths = [c.width for c in COLUMNS]
    story = [Table([titles, *data[n:n + rows_per_page]], colWidths=widths, style=style,
                   repeatRows=1)
             for n in range(0, len(data), rows_per_page)]
    doc = SimpleDocTemplate(io.BytesIO(), pagesize=PAGE, leftMargin=MARGIN,
                            rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN)
    doc.build(story)
    return int(doc.page)


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="backdesk-bench-reports-"))
    try:
        print(f"building a workspace with {N_ENTRIES:,} audit entries…", flush=True)
        started = time.perf_counter()
        desk = build(root / "ws")
        print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)
        today = datetime.now(UTC).date()
        period = period_of(today - timedelta(days=1), today)
        extract = reports.audit_extract(desk, period)
        rows = len(extract.lines)
        header = ReportHeader("Kestrel Markets Ltd", TITLE, period, "Ada Admin",
                              datetime.now(UTC))
        ours, pages = median_time(lambda: layout(extract, header))
        assert isinstance(pages, int)
        e2e, data = median_time(lambda: kind("audit").preview(desk, ReportParams(
            period=period)))
        assert isinstance(data, bytes)
        per_page = math.ceil(rows / pages)
        plain, bare_pages = median_time(lambda: bare(extract, per_page))
        desk.close()
        print(f"audit-trail extract: {rows:,} rows, {pages:,} pages (median of {RUNS} runs)")
        print(f"  layout under the report header: {ours:.2f} s, {pages / ours:,.0f} pages/s, "
              f"{rows / ours:,.0f} rows/s")
        print(f"  end to end (read, verify the chain, lay out, in memory): {e2e:.2f} s, "
              f"{len(data) / 1e6:.1f} MB of PDF")
        print(f"  bare reportlab, Tables of {per_page} rows (one page each), same font: "
              f"{plain:.2f} s, {bare_pages} pages")
        print(f"  ratio layout / bare: {ours / plain:.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)

    # ---- Dashboard refresh (bench/dashboard.py, another part of this issue) ----------
    # Kept at the end: the first call builds its own 100k-client world (cached).
    if not DASHBOARD:
        return
    try:
        from bench.dashboard import measure_dashboard
    except ImportError as exc:
        print(f"dashboard refresh: not measured ({exc})")
        return
    figures = measure_dashboard()
    parts = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in figures.items() if k != "total")
    print(f"dashboard refresh (median): total {figures['total'] * 1000:.0f} ms — {parts}")


if __name__ == "__main__":
    main()
