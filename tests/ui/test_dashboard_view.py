"""The Dashboard page: headline tiles, the Qt Charts of the management figures, the
filter bar, loading on the worker thread; screenshots checked for readable charts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCharts import QAbstractBarSeries, QLineSeries

from app.analytics.scope import ClientFilter
from app.services.workspace import Desk
from tests.app.test_dashboard_figures import SPAN, build_book
from tests.ui.conftest import not_blank
from ui.views.dashboard import DashboardPage
from ui.views.dashboard_filters import CUSTOM, _qdate
from ui.worker import DbWorker

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def _page(qtbot, desk: Desk, worker: DbWorker) -> DashboardPage:
    page = DashboardPage(desk.store, worker)
    qtbot.addWidget(page)
    page.resize(1280, 1500)
    page.show()
    return page


def _bars(page: DashboardPage, name: str) -> dict[str, list[float]]:
    chart = page.charts[name].chart()
    out: dict[str, list[float]] = {}
    for series in chart.series():
        if isinstance(series, QAbstractBarSeries):
            for bar_set in series.barSets():
                out[bar_set.label()] = [bar_set.at(i) for i in range(bar_set.count())]
    return out


def test_tiles_and_charts_show_the_book(qtbot, desk: Desk, worker: DbWorker) -> None:
    build_book(desk)
    page = _page(qtbot, desk, worker)
    page.refresh_for(SPAN, ClientFilter())
    assert page.analytics is None and page.status.text() == "Loading…"  # not blocked
    qtbot.waitUntil(lambda: page.analytics is not None, timeout=15000)
    assert page.figures is not None and page.figures.clients == 6
    assert page.tiles["clients"].value.text() == "6"
    assert "Lead: 6" in page.funnel.text()
    titles = {n: p.chart().title() for n, p in page.charts.items()}
    assert titles["funnel"] == "Onboarding: 5 leads, 40.0% verified"
    assert "median 6.0, 90th percentile 10.0" in titles["throughput"]
    assert titles["trading"] == "Deals per week by segment · 6 deals, 3.30 lots closed"
    assert titles["money"] == "Money flow in USD · net 820.00"
    assert titles["exceptions"] == "Open exceptions by age · 2 open"
    assert _bars(page, "funnel") == {"Clients": [2.0, 4.0, 5.0]}
    assert _bars(page, "throughput") == {"Created": [2.0, 3.0], "Verified": [2.0, 0.0]}
    assert _bars(page, "trading") == {"Retail (1.3 lots)": [2.0, 2.0],
                                      "VIP (2.0 lots)": [1.0, 1.0]}
    assert _bars(page, "money") == {"Deposits": [1070.0, 0.0], "Withdrawals": [0.0, -250.0]}
    (net,) = [s for s in page.charts["money"].chart().series() if isinstance(s, QLineSeries)]
    assert [p.y() for p in net.points()] == [1070.0, -250.0]
    assert _bars(page, "partners") == {"EUR": [14.0, 0.0, 0.0], "USD": [7.0, 1.4, -0.5]}
    assert _bars(page, "exceptions") == {"Payments": [0.0, 0.0, 1.0, 0.0],
                                         "Compliance": [1.0, 0.0, 0.0, 0.0]}
    page.currency.setCurrentText("EUR")
    assert page.charts["money"].chart().title() == "Money flow in EUR · net 500.00"
    SHOTS.mkdir(exist_ok=True)
    qtbot.wait(100)  # the header relays out for the new status text
    page.grab().save(str(SHOTS / "dashboard.png"))
    assert not_blank(SHOTS / "dashboard.png") > 30


def test_the_filter_bar_narrows_the_charts(qtbot, desk: Desk, worker: DbWorker) -> None:
    build_book(desk)
    page = _page(qtbot, desk, worker)
    page.refresh()
    qtbot.waitUntil(lambda: page.analytics is not None, timeout=15000)
    bar = page.filter_bar
    assert [bar.country.itemText(i) for i in range(bar.country.count())] == [
        "All countries", "DE", "FR", "GB"]
    assert [bar.manager.itemText(i) for i in range(1, bar.manager.count())] == [
        "Mary Two", "Mike One"]
    with qtbot.waitSignal(bar.changed):
        bar.period.setCurrentIndex(bar.period.findData(CUSTOM))
    assert bar.date_from.isVisibleTo(page)
    bar.date_from.setDate(_qdate(SPAN.first))
    bar.date_to.setDate(_qdate(SPAN.last))
    assert bar.span() == SPAN
    qtbot.waitUntil(lambda: page.analytics is not None and page.analytics.span == SPAN,
                    timeout=15000)
    bar.country.setCurrentText("GB")
    assert bar.filters() == ClientFilter(country="GB")
    qtbot.waitUntil(lambda: page.analytics is not None
                    and page.analytics.filters == ClientFilter(country="GB"), timeout=15000)
    assert page.charts["trading"].chart().title() == \
        "Deals per week by segment · 5 deals, 3.00 lots closed"
    assert page.charts["funnel"].chart().title() == "Onboarding: 3 leads, 66.7% verified"
    bar.segment.setCurrentText("VIP")
    bar.manager.setCurrentText("Mike One")  # nobody: Mike manages no VIP client
    qtbot.waitUntil(lambda: page.analytics is not None
                    and page.analytics.filters.manager_id is not None, timeout=15000)
    assert page.charts["trading"].chart().title() == "Trading activity: no trades in the period"
    assert page.charts["partners"].chart().title() == \
        "Partner commission: none accrued in the period"
    qtbot.wait(100)
    page.grab().save(str(SHOTS / "dashboard_filtered.png"))
    assert not_blank(SHOTS / "dashboard_filtered.png") > 10


def test_only_the_latest_refresh_is_shown(qtbot, desk: Desk, worker: DbWorker) -> None:
    build_book(desk)
    page = _page(qtbot, desk, worker)
    submitted = worker._number
    for country in ("DE", "FR", "GB"):
        page.refresh_for(SPAN, ClientFilter(country=country))
    qtbot.waitUntil(lambda: worker.pending == 0 and not page._running, timeout=15000)
    assert page.analytics is not None and page.analytics.filters.country == "GB"
    assert worker._number - submitted == 2  # FR was asked for and dropped while DE ran
    assert page.status.text().startswith("2026-11-02 to 2026-11-15")


def test_demo_dashboard_renders(qtbot, demo_folder: Path, worker: DbWorker) -> None:
    from app.services.workspace import open_workspace
    from tests.conftest import PASSWORD

    demo = open_workspace(demo_folder, PASSWORD)
    try:
        page = _page(qtbot, demo, worker)
        page.refresh()
        qtbot.waitUntil(lambda: page.analytics is not None, timeout=20000)
        assert page.figures is not None and page.figures.clients == 400
        assert page.analytics.trading.total_deals > 0
        assert page.currency.count() >= 1
        qtbot.wait(100)
        page.grab().save(str(SHOTS / "dashboard_demo.png"))
        assert not_blank(SHOTS / "dashboard_demo.png") > 30
    finally:
        qtbot.waitUntil(lambda: worker.pending == 0, timeout=15000)
        demo.close()
