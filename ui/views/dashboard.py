"""Dashboard: headline figures as tiles, then the management charts (onboarding,
trading activity by segment, money flow, partner commission by tier, exceptions by
age) for the period and clients the filter bar chooses. Everything loads on the
worker thread. A refresh asked for while one runs waits for it and only the latest
such request is read, so quick changes of the filters never pile up work."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.analytics.figures import (
    DashboardFigures,
    FilterChoices,
    read_figures,
    read_filter_choices,
)
from app.analytics.money_flow import CurrencyFlow
from app.analytics.scope import ClientFilter, Span
from app.crm.lifecycle import label as status_label
from app.models.crm import ClientStatus
from app.queries.dashboard import Headlines, headlines
from app.workspace.store import Store
from ui.messages import user_message
from ui.views import dashboard_charts as charts
from ui.views.dashboard_filters import FilterBar
from ui.worker import DbWorker


class Tile(QFrame):
    def __init__(self, caption: str) -> None:
        super().__init__()
        self.setObjectName("tile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.value = QLabel("…")
        self.value.setObjectName("tileValue")
        self.caption = QLabel(caption)
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.value)
        layout.addWidget(self.caption)


@dataclass(frozen=True)
class Loaded:
    number: int
    headlines: Headlines
    analytics: DashboardFigures
    choices: FilterChoices | None


class DashboardPage(QWidget):
    TILES = (("clients", "Clients"), ("trading_accounts", "Trading accounts"),
             ("deals_30d", "Deals in the last 30 days"),
             ("pending_withdrawals", "Withdrawals waiting for approval"),
             ("kyc_in_review", "KYC cases open or in review"),
             ("open_alerts", "Open compliance alerts"),
             ("pending_outbox", "Commands waiting to sync"))

    def __init__(self, store: Store, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-dashboard")
        self.store, self.worker = store, worker
        self.figures: Headlines | None = None        # the tiles
        self.analytics: DashboardFigures | None = None  # the charts
        self.choices: FilterChoices | None = None
        self._asked = 0
        self._running = False
        self._next: tuple[Span, ClientFilter] | None = None
        title = QLabel("Dashboard")
        title.setObjectName("pageTitle")
        self.filter_bar = FilterBar()
        self.filter_bar.changed.connect(self.refresh)
        self.status = QLabel("Loading…")
        self.status.setObjectName("dashboardStatus")
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.status)

        grid = QGridLayout()
        self.tiles = {key: Tile(caption) for key, caption in self.TILES}
        for i, tile in enumerate(self.tiles.values()):
            grid.addWidget(tile, i // 4, i % 4)
        self.funnel = QLabel()
        self.funnel.setObjectName("funnel")
        self.funnel.setWordWrap(True)

        self.currency = QComboBox()
        self.currency.setObjectName("dashboardCurrency")
        self.currency.currentIndexChanged.connect(lambda _i: self._show_money())
        names = ("funnel", "throughput", "trading", "money", "partners", "exceptions")
        self.charts = {n: charts.ChartPanel(f"chart-{n}") for n in names}
        board = QWidget()
        board_grid = QGridLayout(board)
        board_grid.setContentsMargins(0, 0, 0, 0)
        for i, name in enumerate(names):
            cell = self.charts[name] if name != "money" else self._with_currency()
            board_grid.addWidget(cell, i // 2, i % 2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(grid)
        column.addWidget(QLabel("Clients by lifecycle stage"))
        column.addWidget(self.funnel)
        scope = QLabel("The tiles count the whole book as it is now; the charts below follow "
                       "the period and the clients chosen above (weeks start on Monday, UTC).")
        scope.setWordWrap(True)
        scope.setObjectName("dashboardScope")
        column.addWidget(scope)
        column.addWidget(board, 1)
        scroll.setWidget(inner)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.filter_bar)
        layout.addWidget(scroll, 1)

    def _with_currency(self) -> QWidget:
        box = QWidget()
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Money flow in"))
        row.addWidget(self.currency)
        row.addStretch(1)
        col.addLayout(row)
        col.addWidget(self.charts["money"], 1)
        return box

    # -- loading ---------------------------------------------------------------
    def refresh(self) -> None:
        self.refresh_for(self.filter_bar.span(), self.filter_bar.filters())

    def refresh_for(self, span: Span, filters: ClientFilter) -> None:
        self._asked += 1
        self.status.setText("Loading…")
        if self._running:
            self._next = (span, filters)
            return
        self._load(span, filters)

    def _load(self, span: Span, filters: ClientFilter) -> None:
        self._running = True
        number, store, first = self._asked, self.store, self.choices is None

        def job() -> Loaded:
            with store.read() as s:
                tiles = headlines(s)
                choices = read_filter_choices(s) if first else None
            return Loaded(number, tiles, read_figures(store, span, filters), choices)

        self.worker.submit(job, self._show, self._error, owner=self)

    def _done(self) -> bool:
        """The load in flight ended; start the latest one asked for meanwhile, if any."""
        self._running = False
        if self._next is None:
            return False
        span, filters = self._next
        self._next = None
        self._load(span, filters)
        return True

    def _error(self, error: BaseException) -> None:
        if not self._done():
            self.status.setText(user_message(error))

    def _show(self, loaded: Loaded) -> None:
        if loaded.choices is not None:
            self.choices = loaded.choices
            self.filter_bar.set_choices(loaded.choices)
        if self._done() or loaded.number != self._asked:
            return  # a newer refresh is on its way; this one's filters are stale
        self._show_tiles(loaded.headlines)
        figures = self.analytics = loaded.analytics
        self.charts["funnel"].show_chart(charts.funnel_chart(figures.onboarding))
        self.charts["throughput"].show_chart(charts.throughput_chart(figures.onboarding))
        self.charts["trading"].show_chart(charts.trading_chart(figures.trading))
        self.charts["partners"].show_chart(charts.partners_chart(figures.partners))
        self.charts["exceptions"].show_chart(charts.exceptions_chart(figures.exceptions))
        chosen = self.currency.currentText()
        self.currency.blockSignals(True)
        self.currency.clear()
        self.currency.addItems([f.currency for f in figures.money.currencies])
        self.currency.setCurrentIndex(max(0, self.currency.findText(chosen)))
        self.currency.blockSignals(False)
        self._show_money()
        took = sum(v for k, v in figures.seconds.items() if k != "trading")
        self.status.setText(f"{figures.span.label} · figures read in "
                            f"{max(took, figures.seconds.get('trading', 0)):.1f} s")

    def _show_tiles(self, h: Headlines) -> None:
        self.figures = h
        for key, tile in self.tiles.items():
            tile.value.setText(f"{getattr(h, key):,}")
        stages = [f"{status_label(s)[:1].upper()}{status_label(s)[1:]}: "
                  f"{h.clients_by_status.get(s.value, 0):,}" for s in ClientStatus]
        self.funnel.setText("   →   ".join(stages) if h.clients else
                            "No clients yet: add one on the Clients page or load the demo.")

    def _show_money(self) -> None:
        if self.analytics is None:
            return
        money = self.analytics.money
        flow: CurrencyFlow | None = next(
            (f for f in money.currencies if f.currency == self.currency.currentText()),
            money.currencies[0] if money.currencies else None)
        self.charts["money"].show_chart(charts.money_chart(flow, money.weeks))
