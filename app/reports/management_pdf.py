"""Drawing the management report (read by management_data) as a PDF: the dashboard's
figures as tables with their charts, under the common header and page footer."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer

from app.analytics.exception_ages import BUCKET_LABELS, ExceptionAges
from app.analytics.money_flow import MoneyFlow
from app.analytics.onboarding import Onboarding
from app.analytics.partner_tiers import PartnerTiers, tier_label
from app.analytics.trading import TradingActivity
from app.money import from_minor, lots
from app.queries.exceptions import ExceptionRow
from app.reports.document import BODY_WIDTH, ReportHeader, Styles, build_pdf, para, styles
from app.reports.management_charts import bar_chart, line_chart, week_labels
from app.reports.management_data import ManagementReport
from app.reports.tables import Column, PagedTable, Row
from app.reports.text import amount

TITLE = "Management report"


def _pct(part: int, whole: int) -> str:
    return f"{Decimal(100 * part) / whole:.1f}%" if whole else "—"


def _days(value: Decimal | None) -> str:
    return "—" if value is None else f"{value} days"


def _lots(volume: int) -> str:
    return f"{lots(volume):,.2f}"


def _section(title: str, st: Styles) -> list[Flowable]:
    # A heading never ends a page alone: ask for room for it and a few lines.
    return [CondPageBreak(120), para(title, st.heading)]


def _today(report: ManagementReport, st: Styles) -> list[Flowable]:
    h = report.headlines
    facts = [("Clients", h.clients), ("Trading accounts", h.trading_accounts),
             ("Deals in the last 30 days", h.deals_30d),
             ("Withdrawals waiting for approval", h.pending_withdrawals),
             ("KYC cases open or in review", h.kyc_in_review),
             ("Open compliance alerts", h.open_alerts),
             ("Commands waiting to sync", h.pending_outbox)]
    return [*_section("Where things stand now (all clients)", st),
            PagedTable([Column("", 220), Column("", 90, "right")],
                       [Row([name, f"{n:,}"]) for name, n in facts], st, header=False)]


def _onboarding(o: Onboarding, st: Styles) -> list[Flowable]:
    out = _section("Onboarding throughput", st)
    if not o.leads:
        return [*out, para("No leads were created in the period.", st.body)]
    rows = [Row([name, f"{n:,}", _pct(n, o.leads)]) for name, n in o.funnel]
    out += [para("Leads created in the period and how far each had got by its end.",
                 st.small),
            PagedTable([Column("Stage", 200), Column("Clients", 80, "right"),
                        Column("Of leads", 80, "right")], rows, st),
            Spacer(0, 4),
            para(f"Days from sign-up to KYC approval: median {_days(o.median_days)}, "
                 f"90th percentile {_days(o.p90_days)}.", st.body),
            Spacer(0, 6),
            bar_chart("Leads created and verified, by week of sign-up",
                      week_labels(o.weeks),
                      [("Created", [float(n) for n in o.created]),
                       ("Verified", [float(n) for n in o.verified])],
                      BODY_WIDTH, st.fonts)]
    return out


def _trading(t: TradingActivity, st: Styles) -> list[Flowable]:
    out = _section("Trading activity by segment", st)
    if not t.total_deals:
        return [*out, para("No trades in the period.", st.body)]
    rows = [Row([s.segment, f"{s.total_deals:,}", f"{s.total_lots:,.2f}"]) for s in t.segments]
    rows.append(Row(["Total", f"{t.total_deals:,}", f"{t.total_lots:,.2f}"], total=True))
    labels = week_labels(t.weeks)
    out += [para("Deals are every buy and sell; lots are the volume of closing deals.",
                 st.small),
            PagedTable([Column("Segment", 200), Column("Deals", 80, "right"),
                        Column("Lots closed", 90, "right")], rows, st),
            Spacer(0, 6),
            line_chart("Deals per week", labels,
                       [(s.segment, [float(n) for n in s.deals]) for s in t.segments],
                       BODY_WIDTH, st.fonts),
            Spacer(0, 6),
            bar_chart("Lots closed per week", labels,
                      [(s.segment, [float(lots(v)) for v in s.volume]) for s in t.segments],
                      BODY_WIDTH, st.fonts, stacked=True)]
    return out


def _money(m: MoneyFlow, st: Styles) -> list[Flowable]:
    out = _section("Deposits and withdrawals", st)
    if not m.currencies:
        return [*out, para("No deposit or withdrawal completed in the period.", st.body)]
    rows = [Row([f.currency, f"{amount(f.total_deposits, f.currency)} ({f.deposit_count:,})",
                 f"{amount(f.total_withdrawals, f.currency)} ({f.withdrawal_count:,})",
                 amount(f.total_net, f.currency)]) for f in m.currencies]
    out += [para("Completed payments in their own currency (how many in brackets), by the "
                 "week they completed.", st.small),
            PagedTable([Column("Currency", 60), Column("Deposits", 150, "right"),
                        Column("Withdrawals", 150, "right"), Column("Net", 120, "right")],
                       rows, st)]
    for flow in m.currencies[:3]:  # the largest; the table has them all
        cur = flow.currency
        out += [Spacer(0, 6), KeepTogether(bar_chart(
            f"{cur}: deposits, withdrawals and net per week", week_labels(m.weeks),
            [("Deposits", [float(from_minor(v, cur)) for v in flow.deposits]),
             ("Withdrawals", [float(from_minor(v, cur)) for v in flow.withdrawals]),
             ("Net", [float(from_minor(v, cur)) for v in flow.net])],
            BODY_WIDTH, st.fonts))]
    return out


def _partners(p: PartnerTiers, st: Styles) -> list[Flowable]:
    out = _section("Partner performance by tier", st)
    if not p.lines:
        return [*out, para("No commission was accrued in the period.", st.body)]
    rows = [Row([line.label, line.currency, amount(line.amount_minor, line.currency),
                 f"{line.accruals:,}"]) for line in p.lines]
    rows += [Row(["Total", cur, amount(total, cur), ""], total=True)
             for cur, total in p.totals().items()]
    out += [para("Commission accrued to partners on their clients' deals in the period; "
                 "tier n is earned on clients of partners n levels below.", st.small),
            PagedTable([Column("Tier", 200), Column("Currency", 60),
                        Column("Commission", 110, "right"), Column("Accruals", 70, "right")],
                       rows, st),
            Spacer(0, 6),
            bar_chart("Commission by tier", [tier_label(t).split(" (")[0] for t in p.tiers],
                      [(cur, [float(from_minor(p.amount(t, cur), cur)) for t in p.tiers])
                       for cur in p.currencies], BODY_WIDTH, st.fonts)]
    return out


def _exceptions(e: ExceptionAges, oldest: tuple[ExceptionRow, ...],
                st: Styles) -> list[Flowable]:
    out = _section("Open exceptions by age", st)
    if not e.total:
        return [*out, para("Nothing is waiting: no open exception in any part.", st.body)]
    columns = [Column("Part", 110), *(Column(b, 70, "right") for b in BUCKET_LABELS),
               Column("Total", 60, "right")]
    rows = [Row([part.label, *(f"{n:,}" for n in counts), f"{sum(counts):,}"])
            for part, counts in zip(e.parts, e.counts, strict=True) if sum(counts)]
    rows.append(Row(["Total", *(f"{n:,}" for n in e.by_bucket), f"{e.total:,}"], total=True))
    out += [para("As they stand when the report was made, whatever the period.", st.small),
            PagedTable(columns, rows, st), Spacer(0, 6),
            bar_chart("Open exceptions by part and age", list(BUCKET_LABELS),
                      [(part.label, [float(n) for n in counts])
                       for part, counts in zip(e.parts, e.counts, strict=True) if sum(counts)],
                      BODY_WIDTH, st.fonts, stacked=True),
            para(f"The {len(oldest)} oldest" if len(oldest) > 1 else "The oldest",
                 st.subheading),
            PagedTable([Column("Part", 70), Column("What", 260, wrap=True),
                        Column("Age", 45, "right"), Column("Owner", 70, wrap=True),
                        Column("Due", 60)],
                       [Row([r.part.label, r.summary + (f"\nClient: {r.client_name}"
                                                        if r.client_name else ""),
                             f"{r.age_days} d", r.owner or "—",
                             f"{r.due:%Y-%m-%d}" if r.due else "—"])
                        for r in oldest], st)]
    return out


def management_story(report: ManagementReport, st: Styles) -> list[Flowable]:
    f = report.figures
    return [para(f"{report.clients_text}. Period {report.period.label}; weeks start on "
                 "Monday, all days are UTC. Amounts are in each payment's or commission's own "
                 "currency, never converted.", st.body),
            *_today(report, st), *_onboarding(f.onboarding, st), *_trading(f.trading, st),
            *_money(f.money, st), *_partners(f.partners, st),
            *_exceptions(f.exceptions, report.oldest, st)]


def write_management_report(report: ManagementReport, header: ReportHeader,
                            path: Path) -> int:
    """Write the report to `path`; returns its page count."""
    return build_pdf(path, header, management_story(report, styles()))
