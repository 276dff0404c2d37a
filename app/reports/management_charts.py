"""Charts for the management report, drawn with reportlab.graphics in the report's font.

Values reach the charts as floats made from exact figures for drawing only; the
tables beside them print the exact amounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from app.reports.fonts import ReportFonts
from app.reports.text import visual

PALETTE = tuple(colors.HexColor(c) for c in (
    "#2f6db5", "#e07b39", "#3a9a5b", "#b8403b", "#7d5ba6", "#8c6d31", "#c55a9b", "#6b7b8c"))
HEIGHT = 190.0
LEGEND_WIDTH = 130.0
Series = Sequence[tuple[str, Sequence[float]]]


def week_labels(weeks: Sequence[date], most: int = 13) -> list[str]:
    """Mondays as "MM-DD", thinned to at most `most` labels so they never overlap."""
    step = max(1, -(-len(weeks) // most))
    return [f"{w:%m-%d}" if i % step == 0 else "" for i, w in enumerate(weeks)]


def _frame(width: float, title: str, fonts: ReportFonts) -> Drawing:
    drawing = Drawing(width, HEIGHT)
    # Otherwise the drawing starts in Helvetica, a font outside the file.
    drawing.initialFontName = fonts.regular
    drawing.add(String(0, HEIGHT - 12, visual(title), fontName=fonts.bold, fontSize=9))
    return drawing


def _legend(drawing: Drawing, series: Series, x: float, fonts: ReportFonts) -> None:
    legend = Legend()
    legend.x, legend.y = x, HEIGHT - 30
    legend.fontName, legend.fontSize = fonts.regular, 7
    legend.alignment = "right"
    legend.columnMaximum = 8
    legend.dx = legend.dy = 7
    legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], visual(name))
                             for i, (name, _values) in enumerate(series)]
    drawing.add(legend)


def _axes(chart: VerticalBarChart | HorizontalLineChart, labels: Sequence[str],
          fonts: ReportFonts) -> None:
    chart.categoryAxis.categoryNames = list(labels)
    chart.categoryAxis.labels.fontName = fonts.regular
    chart.categoryAxis.labels.fontSize = 6.5
    chart.categoryAxis.labels.angle = 0
    chart.valueAxis.labels.fontName = fonts.regular
    chart.valueAxis.labels.fontSize = 6.5
    chart.valueAxis.labelTextFormat = _short
    chart.valueAxis.forceZero = True


def _short(value: float) -> str:
    """Axis numbers people read at a glance: 1.2k, 3.4M."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.1f}M"
    if size >= 1e4:
        return f"{value / 1e3:.0f}k"
    if size >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def bar_chart(title: str, labels: Sequence[str], series: Series, width: float,
              fonts: ReportFonts, *, stacked: bool = False) -> Drawing:
    """Bars per category, one colour per series (side by side, or stacked)."""
    drawing = _frame(width, title, fonts)
    chart = VerticalBarChart()
    chart.x, chart.y = 32, 22
    chart.width, chart.height = width - chart.x - LEGEND_WIDTH - 10, HEIGHT - 50
    chart.data = [list(values) or [0.0] for _name, values in series] or [[0.0]]
    if stacked:
        chart.categoryAxis.style = "stacked"
    chart.barSpacing = 0 if stacked else 1
    chart.groupSpacing = 3
    for i in range(len(chart.data)):
        chart.bars[i].fillColor = PALETTE[i % len(PALETTE)]
        chart.bars[i].strokeColor = None
    _axes(chart, labels, fonts)
    drawing.add(chart)
    _legend(drawing, series, width - LEGEND_WIDTH + 6, fonts)
    return drawing


def line_chart(title: str, labels: Sequence[str], series: Series, width: float,
               fonts: ReportFonts) -> Drawing:
    """One line per series over the categories (weeks)."""
    drawing = _frame(width, title, fonts)
    chart = HorizontalLineChart()
    chart.x, chart.y = 32, 22
    chart.width, chart.height = width - chart.x - LEGEND_WIDTH - 10, HEIGHT - 50
    chart.data = [list(values) or [0.0] for _name, values in series] or [[0.0]]
    for i in range(len(chart.data)):
        chart.lines[i].strokeColor = PALETTE[i % len(PALETTE)]
        chart.lines[i].strokeWidth = 1.4
    _axes(chart, labels, fonts)
    drawing.add(chart)
    _legend(drawing, series, width - LEGEND_WIDTH + 6, fonts)
    return drawing
