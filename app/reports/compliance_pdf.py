"""Drawing the KYC/AML compliance report (read by compliance_data) as a PDF."""

from __future__ import annotations

from datetime import datetime

from reportlab.platypus import Flowable

from app.reports.compliance_data import (
    EXPIRING_DAYS,
    AlertGroup,
    CaseLine,
    ComplianceReport,
    words,
)
from app.reports.compliance_documents import DocumentLine
from app.reports.document import Styles, para
from app.reports.tables import Column, PagedTable, Row

TITLE = "KYC/AML compliance report"


def _when(at: datetime | None) -> str:
    return "—" if at is None else f"{at:%Y-%m-%d}\n{at:%H:%M} UTC"


def _tally(pairs: list[tuple[str, int]] | tuple[tuple[str, int], ...]) -> str:
    return " · ".join(f"{label} {n:,}" for label, n in pairs)


def _counts(title: str, pairs: tuple[tuple[str, int], ...], st: Styles) -> PagedTable:
    rows = [Row([label[:1].upper() + label[1:], f"{n:,}"]) for label, n in pairs]
    rows.append(Row(["All clients", f"{sum(n for _, n in pairs):,}"], total=True))
    return PagedTable([Column(title, 150), Column("Clients", 60, "right")], rows, st)


def _overview(r: ComplianceReport, st: Styles) -> list[Flowable]:
    story: list[Flowable] = [
        para("KYC status overview", st.heading),
        para("Counts as the workspace stands when the report is generated; a client's KYC "
             "status is that of their latest KYC case.", st.small),
        _counts("KYC status", r.kyc_statuses, st), _counts("Client status", r.client_statuses, st),
        para(f"KYC decisions in the period ({len(r.decisions):,})", st.subheading)]
    if not r.decisions:
        return [*story, para("No KYC case was decided in the period.", st.body)]
    counts: dict[str, int] = {}
    for d in r.decisions:
        counts[words(d.status.value)] = counts.get(words(d.status.value), 0) + 1
    story.append(para(_tally(sorted(counts.items())), st.small))
    columns = [Column("Decided", 62), Column("Client", 140, wrap=True),
               Column("Decision", 70, wrap=True), Column("By", 80, wrap=True),
               Column("Notes", 158, wrap=True)]
    rows = [Row([_when(d.decided_at), f"{d.client_name}\nclient #{d.client_id}, case #{d.case_id}",
                 words(d.status.value) + ("\nwith enhanced due diligence"
                                          if d.enhanced and d.status.value != "edd" else ""),
                 d.decided_by, d.notes[:300]]) for d in r.decisions]
    return [*story, PagedTable(columns, rows, st)]


def _risk(r: ComplianceReport, st: Styles) -> list[Flowable]:
    story: list[Flowable] = [
        para(f"High-risk and PEP clients ({len(r.risk_clients):,})", st.heading)]
    if not r.risk_clients:
        return [*story, para("No client is rated high risk or marked as a politically exposed "
                             "person.", st.body)]
    columns = [Column("Client", 150, wrap=True), Column("Country", 40), Column("Risk", 42),
               Column("PEP", 28), Column("Status", 58, wrap=True), Column("KYC", 60, wrap=True),
               Column("Next review", 60), Column("Frozen", 72, wrap=True)]
    rows = [Row([f"{c.name}\nclient #{c.client_id}", c.country, c.rating.value,
                 "yes" if c.pep else "no", words(c.status.value), c.kyc,
                 f"{c.next_review:%Y-%m-%d}" if c.next_review else "—",
                 "withdrawals frozen" if c.frozen else "no"]) for c in r.risk_clients]
    return [*story, PagedTable(columns, rows, st)]


def _screening(r: ComplianceReport, st: Styles) -> list[Flowable]:
    story: list[Flowable] = [para("Screening", st.heading),
                             para(f"Screening runs in the period ({len(r.runs):,})",
                                  st.subheading)]
    if r.runs:
        columns = [Column("Started", 62), Column("Trigger", 62, wrap=True),
                   Column("Clients", 48, "right"), Column("Hits", 36, "right"),
                   Column("Lists", 160, wrap=True), Column("State", 52, wrap=True),
                   Column("Run by", 90, wrap=True)]
        story.append(PagedTable(columns, [Row([
            _when(x.started_at), x.trigger, f"{x.clients:,}", f"{x.hits:,}", x.lists, x.state,
            x.run_by]) for x in r.runs], st))
    else:
        story.append(para("No screening ran in the period.", st.body))
    story.append(para(f"Screening hits raised or decided in the period ({len(r.hits):,})",
                      st.subheading))
    if not r.hits:
        return [*story, para("No screening hit was raised or decided in the period.", st.body)]
    story.append(para(_tally(r.hit_outcomes), st.small))
    columns = [Column("Raised", 62), Column("Client", 110, wrap=True),
               Column("List", 70, wrap=True), Column("Matched name", 100, wrap=True),
               Column("Score", 32, "right"), Column("Outcome", 136, wrap=True)]
    rows = []
    for h in r.hits:
        outcome = h.outcome
        if h.reviewed_at is not None:
            outcome += f"\n{h.reviewed_by or 'unknown'}, {h.reviewed_at:%Y-%m-%d}"
        if h.reason:
            outcome += f"\n{h.reason}"
        rows.append(Row([_when(h.raised_at), f"{h.client_name}\nclient #{h.client_id}",
                         h.list_label, h.matched_name, str(h.score), outcome]))
    return [*story, PagedTable(columns, rows, st)]


def _alerts(groups: tuple[AlertGroup, ...], st: Styles) -> list[Flowable]:
    raised = sum(g.raised for g in groups)
    story: list[Flowable] = [para(f"Alerts raised in the period ({raised:,})", st.heading)]
    if not groups:
        return [*story, para("Monitoring raised no alert in the period.", st.body)]
    columns = [Column("Rule", 120, wrap=True), Column("Severity", 46),
               Column("Raised", 40, "right"), Column("Open", 36, "right"),
               Column("In a case", 44, "right"), Column("Closed", 40, "right"),
               Column("Outcomes", 184, wrap=True)]
    rows = [Row([words(g.rule), g.severity.value, f"{g.raised:,}",
                 *(f"{n:,}" for _, n in g.states), _tally(g.outcomes) or "—"]) for g in groups]
    return [*story, PagedTable(columns, rows, st)]


def _case_table(cases: list[CaseLine], st: Styles) -> PagedTable:
    columns = [Column("Case", 130, wrap=True), Column("Opened", 76, wrap=True),
               Column("Status", 62, wrap=True), Column("Closed", 76, wrap=True),
               Column("Outcome and reason", 166, wrap=True)]
    rows = []
    for c in cases:
        about = f"#{c.id} {c.title}" + (f"\n{c.client_name}" if c.client_name else "")
        if c.alerts:
            about += f"\n{c.alerts} alert{'s' if c.alerts != 1 else ''}"
        outcome = (c.outcome or "—") + (f"\n{c.reason}" if c.reason else "")
        rows.append(Row([about, f"{_when(c.opened_at)}\n{c.opened_by}".strip(), c.status,
                         f"{_when(c.closed_at)}\n{c.closed_by}".strip() if c.closed_at else "—",
                         outcome]))
    return PagedTable(columns, rows, st)


def _cases(r: ComplianceReport, st: Styles) -> list[Flowable]:
    opened, closed = r.cases_opened(), r.cases_closed()
    story: list[Flowable] = [para("Compliance cases", st.heading),
                             para(f"Opened in the period: {len(opened):,} · closed in the "
                                  f"period: {len(closed):,}", st.body)]
    if not r.cases:
        return [*story, para("No case was opened or closed in the period.", st.body)]
    outcomes: dict[str, int] = {}
    for c in closed:
        key = c.outcome or "no outcome recorded"
        outcomes[key] = outcomes.get(key, 0) + 1
    if outcomes:
        story.append(para("Outcomes of the cases closed: " + _tally(sorted(outcomes.items())),
                          st.small))
    return [*story, _case_table(list(r.cases), st)]


def _document_table(docs: tuple[DocumentLine, ...], st: Styles, *,
                    renewed: bool) -> PagedTable:
    columns = [Column("Expires", 60), Column("Client", 180, wrap=True),
               Column("Document", 140, wrap=True), Column("Status", 60)]
    if renewed:
        columns.append(Column("Renewed", 70))
    rows = [Row([f"{d.expiry_date:%Y-%m-%d}", f"{d.client_name}\nclient #{d.client_id}",
                 f"{d.label}\ndocument #{d.id}", d.status.value,
                 *(["yes" if d.replaced else "no"] if renewed else [])]) for d in docs]
    return PagedTable(columns, rows, st)


def _documents(r: ComplianceReport, st: Styles) -> list[Flowable]:
    end = r.period.date_to
    story: list[Flowable] = [
        para("KYC documents", st.heading),
        para(f"Expiring within {EXPIRING_DAYS} days after {end:%Y-%m-%d} "
             f"({len(r.expiring):,})", st.subheading)]
    if r.expiring:
        story.append(_document_table(r.expiring, st, renewed=False))
    else:
        story.append(para("No document held as valid expires in those days.", st.body))
    story.append(para(f"Expired ({len(r.expired):,})", st.subheading))
    if not r.expired:
        return [*story, para("No document expired in the period, and none expired earlier "
                             "is still held as valid.", st.body)]
    story.append(para("Documents whose expiry date falls in the period, and older ones still "
                      "held as valid (new or approved) without a renewal.", st.small))
    return [*story, _document_table(r.expired, st, renewed=True)]


def compliance_story(report: ComplianceReport, st: Styles) -> list[Flowable]:
    return [*_overview(report, st), *_risk(report, st), *_screening(report, st),
            *_alerts(report.alerts, st), *_cases(report, st), *_documents(report, st)]
