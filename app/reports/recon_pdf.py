"""Drawing the reconciliation report (read by recon_data) as a PDF."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reportlab.platypus import Flowable, Spacer

from app.reports.document import ReportHeader, Styles, build_pdf, para, styles
from app.reports.recon_data import Break, ReconReport, RunSummary
from app.reports.tables import Column, PagedTable, Row

TITLE = "Reconciliation report"
NO_BREAKS = ("No breaks: the ledger, the trading platform and the payment providers agree; "
             "no exception is open.")


def _when(at: datetime | None) -> str:
    return "—" if at is None else f"{at:%Y-%m-%d %H:%M} UTC"


def _run(run: RunSummary, st: Styles) -> PagedTable:
    facts = [("Run", f"#{run.id} ({run.trigger.replace('_', ' ')})"),
             ("Started", _when(run.started_at)),
             ("Finished", _when(run.finished_at) if run.finished_at else "not finished"),
             ("Run by", run.run_by),
             ("Trading accounts checked", f"{run.accounts_checked:,}"),
             ("Payments checked", f"{run.payments_checked:,}"),
             ("Provider statement lines checked", f"{run.lines_checked:,}"),
             ("Breaks found", f"{run.breaks_found:,} ({run.breaks_new:,} new)")]
    return PagedTable([Column("", 170), Column("", 200, wrap=True)],
                      [Row(list(f)) for f in facts], st, header=False)


def _open(breaks: list[Break], st: Styles) -> PagedTable:
    columns = [Column("#", 28), Column("Break", 130, wrap=True),
               *(Column(label, 95, wrap=True) for label, _ in breaks[0].sides),
               Column("Difference", 67, "right", wrap=True)]
    rows = []
    for b in breaks:
        about = [b.summary]
        if b.client:
            about.append(f"Client: {b.client}")
        about.append(f"{b.status.value.capitalize()}"
                     f"{', owner ' + b.owner if b.owner else ', no owner'}")
        about.append(f"First seen {_when(b.first_seen)}")
        rows.append(Row([str(b.id), "\n".join(about),
                         *("\n".join(lines) for _, lines in b.sides), b.difference_text]))
    return PagedTable(columns, rows, st)


def _resolved(breaks: tuple[Break, ...], st: Styles) -> PagedTable:
    columns = [Column("#", 28), Column("Break", 150, wrap=True),
               Column("Difference", 67, "right", wrap=True),
               Column("Resolution", 145, wrap=True), Column("Resolved by", 120, wrap=True)]
    rows = [Row([str(b.id), f"{b.kind_label}: {b.summary}" + (f"\nClient: {b.client}"
                                                              if b.client else ""),
                 b.difference_text, b.resolution or "(no reason recorded)",
                 f"{b.resolved_by or 'unknown'}\n{_when(b.resolved_at)}"]) for b in breaks]
    return PagedTable(columns, rows, st)


def recon_story(report: ReconReport, st: Styles) -> list[Flowable]:
    story: list[Flowable] = [para("Latest run", st.heading)]
    if report.run is None:
        story.append(para("No reconciliation has been run yet, so nothing below has been "
                          "checked.", st.body))
    else:
        story.append(_run(report.run, st))
    story.append(para("Open breaks", st.heading))
    if not report.open_breaks:
        story.append(para(NO_BREAKS, st.subheading))
    else:
        story.append(para(f"{len(report.open_breaks)} open, grouped by kind. Each side shows "
                          "its record as last seen; the difference is what is out of line.",
                          st.small))
        for label, breaks in report.open_by_kind:
            story += [para(f"{label} ({len(breaks)})", st.subheading), _open(breaks, st)]
    story += [Spacer(0, 4), para(f"Resolved in the period ({report.period.label})",
                                 st.heading)]
    if report.resolved:
        story.append(_resolved(report.resolved, st))
    else:
        story.append(para("No breaks were resolved in the period.", st.body))
    return story


def write_reconciliation(report: ReconReport, header: ReportHeader, path: Path) -> int:
    """Write the report to `path`; returns its page count."""
    return build_pdf(path, header, recon_story(report, styles()))
