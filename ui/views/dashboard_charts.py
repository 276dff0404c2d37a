"""The dashboard's charts (Qt Charts), built from app.analytics figures.

Values become floats here for drawing only; the exact figures stay in the data."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from PySide6.QtCharts import (
    QAbstractAxis,
    QAbstractSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.analytics.exception_ages import BUCKET_LABELS, ExceptionAges
from app.analytics.money_flow import CurrencyFlow
from app.analytics.onboarding import Onboarding
from app.analytics.partner_tiers import PartnerTiers, tier_label
from app.analytics.trading import TradingActivity
from app.money import from_minor

PALETTE = ("#2f6db5", "#e07b39", "#3a9a5b", "#b8403b", "#7d5ba6", "#8c6d31", "#c55a9b",
           "#6b7b8c")
# Week labels on an axis: at most this many, so they never run into each other.
MOST_LABELS = 9


class ChartPanel(QChartView):
    """A chart that is replaced whole on each refresh (the old one is deleted)."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.show_chart(empty_chart("Loading…"))

    def show_chart(self, chart: QChart) -> None:
        old = self.chart()
        self.setChart(chart)
        if old is not None and old is not chart:
            old.deleteLater()


def _chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.setBackgroundRoundness(4)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    return chart


def empty_chart(text: str) -> QChart:
    chart = _chart(text)
    chart.legend().hide()
    return chart


def _colour(bar_set: QBarSet, i: int) -> QBarSet:
    bar_set.setColor(QColor(PALETTE[i % len(PALETTE)]))
    bar_set.setBorderColor(QColor(PALETTE[i % len(PALETTE)]))
    return bar_set


def _bars(name: str, values: Sequence[float], i: int) -> QBarSet:
    bar_set = _colour(QBarSet(name), i)
    bar_set.append([float(v) for v in values])
    return bar_set


def week_axis(weeks: Sequence[date]) -> QCategoryAxis:
    """Mondays as "MM-DD" under the bars (bar i stands at x = i), thinned out."""
    axis = QCategoryAxis()
    axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    step = max(1, -(-len(weeks) // MOST_LABELS))
    for i, monday in enumerate(weeks):
        if i % step == 0:
            axis.append(f"{monday:%m-%d}", i)
    axis.setRange(-0.5, max(len(weeks) - 0.5, 0.5))
    axis.setGridLineVisible(False)
    return axis


def nice_step(span: float, ticks: int = 5) -> float:
    """A round tick interval (1, 2 or 5 times a power of ten) giving about `ticks`
    intervals over `span`."""
    raw = max(span / ticks, 1e-9)
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def value_axis(values: Sequence[float], *, whole: bool = True) -> QValueAxis:
    """A value axis from 0 (or below, for negative values) with round ticks; counts
    (`whole`) never get fractional ticks."""
    low, high = min([0.0, *values]), max([0.0, *values])
    step = nice_step(high - low if high > low else 1.0)
    if whole:
        step = max(step, 1.0)
    axis = QValueAxis()
    axis.setRange(math.floor(low / step) * step, math.ceil(high / step) * step or step)
    axis.setTickType(QValueAxis.TickType.TicksDynamic)
    axis.setTickAnchor(0.0)
    axis.setTickInterval(step)
    places = max(0, -math.floor(math.log10(step)))
    axis.setLabelFormat(f"%.{places}f")
    return axis


def _attach(chart: QChart, series: Sequence[QAbstractSeries], x: QAbstractAxis,
            y: QAbstractAxis) -> None:
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom if not isinstance(
        series[0], QHorizontalBarSeries) else Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft if not isinstance(
        series[0], QHorizontalBarSeries) else Qt.AlignmentFlag.AlignBottom)
    for s in series:
        chart.addSeries(s)
        s.attachAxis(x)
        s.attachAxis(y)


def funnel_chart(o: Onboarding) -> QChart:
    if not o.leads:
        return empty_chart("Onboarding: no leads were created in the period")
    chart = _chart(f"Onboarding: {o.leads:,} leads, {o.conversion_percent}% verified")
    stages = list(reversed(o.funnel))  # the first stage on top
    series = QHorizontalBarSeries()
    series.append(_bars("Clients", [n for _s, n in stages], 0))
    series.setLabelsVisible(True)
    series.setLabelsFormat("@value")
    axis = QBarCategoryAxis()
    axis.append([name for name, _n in stages])
    _attach(chart, [series], axis, value_axis([n for _s, n in stages]))
    chart.legend().hide()
    return chart


def throughput_chart(o: Onboarding) -> QChart:
    if not o.leads:
        return empty_chart("Leads and verifications: none in the period")
    chart = _chart(f"Leads per week, and verified · days to verify: median "
                   f"{o.median_days if o.median_days is not None else '—'}, 90th percentile "
                   f"{o.p90_days if o.p90_days is not None else '—'}")
    series = QBarSeries()
    series.append(_bars("Created", o.created, 0))
    series.append(_bars("Verified", o.verified, 2))
    _attach(chart, [series], week_axis(o.weeks), value_axis([*o.created, *o.verified]))
    return chart


def trading_chart(t: TradingActivity) -> QChart:
    if not t.total_deals:
        return empty_chart("Trading activity: no trades in the period")
    chart = _chart(f"Deals per week by segment · {t.total_deals:,} deals, "
                   f"{t.total_lots:,.2f} lots closed")
    series = QStackedBarSeries()
    for i, seg in enumerate(t.segments):
        series.append(_bars(f"{seg.segment} ({seg.total_lots:,.1f} lots)", seg.deals, i))
    totals = [float(sum(s.deals[w] for s in t.segments)) for w in range(len(t.weeks))]
    _attach(chart, [series], week_axis(t.weeks), value_axis(totals))
    return chart


def money_chart(flow: CurrencyFlow | None, weeks: Sequence[date]) -> QChart:
    if flow is None:
        return empty_chart("Money flow: no deposit or withdrawal completed in the period")
    cur = flow.currency
    chart = _chart(f"Money flow in {cur} · net {from_minor(flow.total_net, cur):,.2f}")
    deposits = [float(from_minor(v, cur)) for v in flow.deposits]
    withdrawals = [-float(from_minor(v, cur)) for v in flow.withdrawals]
    net = [float(from_minor(v, cur)) for v in flow.net]
    bars = QBarSeries()
    bars.append(_bars("Deposits", deposits, 2))
    bars.append(_bars("Withdrawals", withdrawals, 3))
    line = QLineSeries()
    line.setName("Net")
    line.setPen(QPen(QColor("#222222"), 2))
    for i, value in enumerate(net):
        line.append(QPointF(i, value))
    _attach(chart, [bars, line], week_axis(weeks),
            value_axis([*deposits, *withdrawals], whole=False))
    return chart


def partners_chart(p: PartnerTiers) -> QChart:
    if not p.lines:
        return empty_chart("Partner commission: none accrued in the period")
    chart = _chart("Commission accrued by tier")
    series = QBarSeries()
    values: list[float] = []
    for i, cur in enumerate(p.currencies):
        amounts = [float(from_minor(p.amount(t, cur), cur)) for t in p.tiers]
        values += amounts
        series.append(_bars(cur, amounts, i))
    axis = QBarCategoryAxis()
    axis.append([tier_label(t).split(" (")[0] for t in p.tiers])
    _attach(chart, [series], axis, value_axis(values, whole=False))
    return chart


def exceptions_chart(e: ExceptionAges) -> QChart:
    if not e.total:
        return empty_chart("Open exceptions: nothing is waiting")
    chart = _chart(f"Open exceptions by age · {e.total:,} open")
    series = QStackedBarSeries()
    for i, (part, counts) in enumerate(zip(e.parts, e.counts, strict=True)):
        if sum(counts):
            series.append(_bars(part.label, counts, i))
    axis = QBarCategoryAxis()
    axis.append(list(BUCKET_LABELS))
    _attach(chart, [series], axis, value_axis([float(n) for n in e.by_bucket]))
    return chart
