"""Drawing the payout summary (read by payout_summary_data) as a PDF."""

from __future__ import annotations

from pathlib import Path

from reportlab.platypus import Flowable, Spacer

from app.money import format_money
from app.reports.document import ReportHeader, Styles, build_pdf, para, styles
from app.reports.payout_summary_data import OWED, STATUSES, PayoutSummary
from app.reports.tables import Column, PagedTable, Row

TITLE = "Commission payout summary"


def _payouts(summary: PayoutSummary, st: Styles) -> PagedTable:
    columns = [Column("Partner", 164, wrap=True), Column("Code", 56, wrap=True),
               Column("Currency", 42), Column("Amount", 74, "right"),
               Column("Status", 48), Column("Prepared by", 62, wrap=True),
               Column("Approved by", 62, wrap=True)]
    rows = []
    for x in summary.lines:
        about = f"{x.partner_name}\npayout #{x.id}"
        if (x.period_start, x.period_end) != (summary.period.date_from,
                                              summary.period.date_to):
            about += f", {x.period_start:%Y-%m-%d} to {x.period_end:%Y-%m-%d}"
        if x.reason:
            about += f"\n{x.reason}"
        rows.append(Row([about, x.partner_code, x.currency,
                         format_money(x.amount, x.currency), x.status.value,
                         x.prepared_by or "—", x.approved_by or "—"]))
    return PagedTable(columns, rows, st)


def _totals(summary: PayoutSummary, st: Styles) -> PagedTable:
    columns = [Column("Currency", 44),
               *(Column(s.value.capitalize(), 74, "right", wrap=True) for s in STATUSES),
               Column("To pay\n(not rejected)", 92, "right")]
    rows = [Row([c, *(format_money(summary.total(c, (s,)), c) for s in STATUSES),
                 format_money(summary.total(c, OWED), c)]) for c in summary.currencies]
    return PagedTable(columns, rows, st)


def _counts(summary: PayoutSummary, st: Styles) -> PagedTable:
    counts = summary.counts
    rows = [Row([s.value.capitalize(), f"{counts[s]:,}"]) for s in STATUSES]
    rows.append(Row(["All payouts", f"{len(summary.lines):,}"], total=True))
    return PagedTable([Column("Status", 120), Column("Payouts", 70, "right")], rows, st)


def payout_story(summary: PayoutSummary, st: Styles) -> list[Flowable]:
    run = summary.run
    if run is not None:
        story: list[Flowable] = [
            para(f"Commission run {run.uid}", st.heading),
            para(f"Payout period {run.period.label}  ·  prepared by {run.prepared_by or '—'}"
                 f"  ·  run status {run.status}", st.body)]
    else:
        story = [para(f"Payouts for periods ending {summary.period.label}", st.heading),
                 para("Every payout whose payout period ends within these dates, from all "
                      "commission runs.", st.small)]
    if not summary.lines:
        story.append(para("There are no payouts here.", st.body))
        return story
    story += [Spacer(0, 4), para("Totals per currency", st.subheading),
              _totals(summary, st), para("Payouts by status", st.subheading),
              _counts(summary, st),
              para(f"Payouts ({len(summary.lines):,})", st.heading), _payouts(summary, st)]
    return story


def write_payout_summary(summary: PayoutSummary, header: ReportHeader, path: Path) -> int:
    """Write the summary to `path`; returns its page count."""
    return build_pdf(path, header, payout_story(summary, styles()))
