"""Sync: the gateway's state and the outbox."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.queries import catalogue
from app.services.workspace import Desk
from ui.views.list_page import ListPage
from ui.worker import DbWorker


class SyncPage(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, gateway_text: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = QLabel()
        self.set_gateway_status(gateway_text)
        self.state.setObjectName("syncState")
        self.state.setWordWrap(True)
        self.list = ListPage("Outbox", catalogue.OUTBOX, desk.store, worker,
                             empty_text="The outbox is empty: nothing is waiting to be sent.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.state)
        layout.addWidget(self.list, 1)

    def set_gateway_status(self, text: str) -> None:
        self.state.setText(f"{text}. Everything works on local data; commands you make wait "
                           "in the outbox below until they are sent.")

    def refresh(self) -> None:
        self.list.refresh()
