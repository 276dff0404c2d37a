"""Dashboard: headline figures as tiles, loaded on the worker thread."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from app.models.crm import ClientStatus
from app.queries.dashboard import Headlines, headlines
from app.workspace.store import Store
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
        title = QLabel("Dashboard")
        title.setObjectName("pageTitle")
        grid = QGridLayout()
        self.tiles = {key: Tile(caption) for key, caption in self.TILES}
        for i, tile in enumerate(self.tiles.values()):
            grid.addWidget(tile, i // 4, i % 4)
        self.funnel = QLabel()
        self.funnel.setObjectName("funnel")
        self.funnel.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(grid)
        layout.addWidget(QLabel("Clients by lifecycle stage"))
        layout.addWidget(self.funnel)
        layout.addStretch(1)
        self.figures: Headlines | None = None

    def refresh(self) -> None:
        store = self.store

        def job() -> Headlines:
            with store.read() as s:
                return headlines(s)

        self.worker.submit(job, self._show, owner=self)

    def _show(self, h: Headlines) -> None:
        self.figures = h
        for key, tile in self.tiles.items():
            tile.value.setText(f"{getattr(h, key):,}")
        stages = [f"{s.value.replace('_', ' ').capitalize()}: "
                  f"{h.clients_by_status.get(s.value, 0):,}" for s in ClientStatus]
        self.funnel.setText("   →   ".join(stages) if h.clients else
                            "No clients yet: add one on the Clients page or load the demo.")
