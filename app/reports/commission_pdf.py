"""Drawing an IB commission statement (read by commission_data) as a PDF."""

from __future__ import annotations

from pathlib import Path

from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer

from app.money import format_money, lots
from app.reports.commission_data import (
    CommissionStatement,
    CurrencySummary,
    Line,
    Movement,
    PartnerPayout,
    tier_label,
    totals,
)
from app.reports.document import ReportHeader, Styles, build_pdf, para, styles
from app.reports.tables import Column, PagedTable, Row
from app.reports.text import markup

TITLE = "IB commission statement"
# A section's heading moves to the next page unless a few of its rows fit under it.
KEEP = 80.0


def volume(hundredths: int) -> str:
    return f"{lots(hundredths):,.2f}"


def _summary(s: CurrencySummary, st: Styles, statement: CommissionStatement) -> PagedTable:
    c, p = s.currency, statement.period

    def money(minor: int) -> str:
        return format_money(minor, c)

    rows = [Row([f"Payable at the start of {p.date_from:%Y-%m-%d}, per ledger",
                 money(s.opening)])]
    rows += [Row([f"Accrued: {tier_label(tier).lower()}"
                  + (f" (tier {tier})" if tier >= 0 else ""), money(amount)])
             for tier, amount in s.by_tier]
    if not s.by_tier:
        rows.append(Row(["Accrued: nothing in this period", money(0)]))
    rows += [Row(["Accrued in the period", money(s.accrued)], total=True),
             Row(["Paid out and other movements, per ledger", money(-s.paid)]),
             Row([f"Payable at the end of {p.date_to:%Y-%m-%d}: start + accrued − paid",
                  money(s.expected)]),
             Row(["Payable per ledger", money(s.closing)], total=True)]
    if s.difference:
        rows.append(Row(["Difference: ledger bookings do not match the accruals "
                         f"(booked {money(s.booked)} in the period)",
                         money(s.difference)], total=True))
    return PagedTable([Column(f"Summary, {c}", 380, wrap=True), Column("", 110, "right")],
                      rows, st)


def _movements(movements: tuple[Movement, ...], st: Styles) -> PagedTable:
    columns = [Column("Date (UTC)", 62), Column("Description", 220, wrap=True),
               Column("Source", 120, wrap=True), Column("Paid out", 88, "right")]
    rows = [Row([f"{m.posted_at:%Y-%m-%d}\n{m.posted_at:%H:%M}", m.memo,
                 f"{m.source_kind}, entry #{m.entry_id}\n{m.source_ref}",
                 format_money(m.amount, m.currency)]) for m in movements]
    return PagedTable(columns, rows, st)


def _payouts(payouts: tuple[PartnerPayout, ...], st: Styles) -> PagedTable:
    columns = [Column("Payout", 50), Column("For the period", 130),
               Column("Status", 60), Column("Approved by", 150, wrap=True),
               Column("Amount", 100, "right")]
    rows = [Row([f"#{x.id}", f"{x.period_start:%Y-%m-%d} to {x.period_end:%Y-%m-%d}",
                 x.status, x.approved_by or "—", format_money(x.amount, x.currency)])
            for x in payouts]
    return PagedTable(columns, rows, st)


def _breakdown(first: Column, lines: tuple[Line, ...], st: Styles, *,
               detail: Column | None = None, with_lots: bool = True) -> PagedTable:
    columns = [first, *([detail] if detail else []), Column("Deals", 50, "right"),
               *([Column("Lots", 70, "right")] if with_lots else []),
               Column("Commission", 100, "right")]

    def cells(x: Line) -> list[str]:
        return [x.label if x.label != "Total" else f"Total, {x.currency}",
                *([x.detail] if detail else []), f"{x.deals:,}",
                *([volume(x.volume)] if with_lots else []),
                format_money(x.amount, x.currency)]

    rows = [Row(cells(x)) for x in lines]
    rows += [Row(cells(t), total=True) for t in totals(lines)]
    return PagedTable(columns, rows, st)


def _clock(offset_minutes: int) -> str:
    """The platform's clock as an offset from UTC: `UTC+2`, `UTC−3:30`, `UTC`."""
    if not offset_minutes:
        return "UTC"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return (f"UTC{'+' if offset_minutes > 0 else '−'}{hours}"
            f"{f':{minutes:02d}' if minutes else ''}")


def commission_story(statement: CommissionStatement, st: Styles) -> list[Flowable]:
    p = statement.partner
    upline = (" → ".join(u.label for u in statement.upline) if statement.upline
              else "none (a top-level partner)")
    clock = _clock(statement.offset_minutes)
    story: list[Flowable] = [
        Paragraph(f"{markup(p.name)}  ·  referral code {markup(p.code)}  ·  partner #{p.id}",
                  st.heading),
        para(f"Upline: {upline}", st.body),
        para(f"Plans: {', '.join(statement.plans) if statement.plans else '—'}", st.body),
        para(f"Commission on deals of server dates {statement.period.label} (the trading "
             f"platform's clock, {clock}). Amounts are what was credited to the partner: "
             "each deal's commission rounded to the minor unit, the remainder carried to "
             "the next.", st.small),
        Spacer(0, 4),
    ]
    if not statement.summaries:
        story.append(para("No commission was accrued to this partner and nothing is "
                          "payable.", st.body))
        return story
    for s in statement.summaries:
        story += [Spacer(0, 4), _summary(s, st, statement)]
    if statement.movements:
        story += [CondPageBreak(KEEP),
                  para("Paid out and other ledger movements in the period", st.subheading),
                  _movements(statement.movements, st)]
    if statement.payouts:
        story += [CondPageBreak(KEEP),
                  para("Payouts for periods ending in this period", st.subheading),
                  _payouts(statement.payouts, st)]
    if not statement.clients:
        story.append(para("No commission was accrued in this period.", st.body))
        return story
    story += [CondPageBreak(KEEP), para("By tier", st.heading),
              _breakdown(Column("Tier", 200, wrap=True), statement.tiers, st,
                         detail=Column("Came through", 150, wrap=True), with_lots=False),
              CondPageBreak(KEEP), para("By symbol", st.heading),
              _breakdown(Column("Symbol", 280, wrap=True), statement.symbols, st),
              CondPageBreak(KEEP), para("By client", st.heading),
              _breakdown(Column("Client", 230, wrap=True), statement.clients, st,
                         detail=Column("Number", 50))]
    return story


def write_commission_statement(statement: CommissionStatement, header: ReportHeader,
                               path: Path) -> int:
    """Write the statement to `path`; returns its page count."""
    return build_pdf(path, header, commission_story(statement, styles()))
