"""Clients: the lazy list, a detail pane with the client's deal history, create and edit."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.queries import catalogue
from app.roles import Permission
from app.services.clients import ClientData, get_client
from app.services.workspace import Desk
from ui.dialogs.client_form import ClientForm
from ui.lazy_model import SqlPageModel
from ui.views.list_page import ListPage
from ui.worker import DbWorker

DETAIL_FIELDS = (("Status", "status"), ("Country", "country"), ("Email", "email"),
                 ("Phone", "phone"), ("Segment", "segment"), ("Risk rating", "risk_rating"),
                 ("Date of birth", "date_of_birth"))


class ClientDetail(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.client_id: int | None = None
        self.data: ClientData | None = None
        self.version = 0
        self.name = QLabel("Select a client to see their details.")
        self.name.setObjectName("detailTitle")
        self.name.setWordWrap(True)
        self.values = {key: QLabel() for _label, key in DETAIL_FIELDS}
        form = QFormLayout()
        for label, key in DETAIL_FIELDS:
            self.values[key].setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(label, self.values[key])
        self.deals = QTableView()
        self.deals.verticalHeader().setVisible(False)
        self.deals.setAlternatingRowColors(True)
        self.deals_title = QLabel("Deal history")
        layout = QVBoxLayout(self)
        layout.addWidget(self.name)
        layout.addLayout(form)
        layout.addWidget(self.deals_title)
        layout.addWidget(self.deals, 1)
        self._deals_model: SqlPageModel | None = None

    def show_client(self, client_id: int | None) -> None:
        self.client_id = client_id
        if client_id is None:
            return
        desk = self.desk
        self.worker.submit(lambda: get_client(desk, client_id),
                           lambda res: self._fill(client_id, res), owner=self)
        model = SqlPageModel(catalogue.client_deals(client_id), desk.store, self.worker)
        model.loaded.connect(self._deals_loaded)
        self.deals.setModel(model)
        if self._deals_model is not None:
            self._deals_model.deleteLater()
        self._deals_model = model
        model.reload()

    def _deals_loaded(self, count: int) -> None:
        self.deals_title.setText(f"Deal history ({count:,} deals)")
        self.deals.resizeColumnsToContents()

    def _fill(self, client_id: int, result: tuple[ClientData, int, dict[str, Any]]) -> None:
        if client_id != self.client_id:
            return
        self.data, self.version, extra = result
        self.name.setText(f"{extra['display_name']}  ·  #{client_id}")
        for _label, key in DETAIL_FIELDS:
            value = getattr(self.data, key)
            text = getattr(value, "value", value)
            self.values[key].setText("" if text is None else str(text).replace("_", " "))


class ClientsPage(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.list = ListPage("Clients", catalogue.CLIENTS, desk.store, worker,
                             empty_text="No clients yet. Add the first with “New client”.")
        self.detail = ClientDetail(desk, worker)
        can_edit = desk.actor.can(Permission.EDIT_CLIENTS)
        self.new_button = QPushButton("New client")
        self.edit_button = QPushButton("Edit")
        self.new_button.setVisible(can_edit)
        self.edit_button.setVisible(can_edit)
        self.edit_button.setEnabled(False)
        self.new_button.clicked.connect(self.new_client)
        self.edit_button.clicked.connect(self.edit_client)
        self.list.toolbar.addWidget(self.new_button)
        self.list.toolbar.addWidget(self.edit_button)
        self.list.current_changed.connect(self._selected)
        self.list.table.doubleClicked.connect(lambda _i: self.edit_client())
        splitter = QSplitter()
        splitter.setObjectName("clientsSplitter")
        splitter.addWidget(self.list)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.last_form: ClientForm | None = None

    def refresh(self) -> None:
        self.list.refresh()

    def _selected(self, key: Any) -> None:
        self.edit_button.setEnabled(key is not None)
        self.detail.show_client(key)

    def new_client(self) -> None:
        self._open_form(ClientForm(self.desk, self.worker, parent=self))

    def edit_client(self) -> None:
        d = self.detail
        if d.client_id is None or d.data is None:
            return
        self._open_form(ClientForm(self.desk, self.worker, client_id=d.client_id, data=d.data,
                                   version=d.version, parent=self))

    def _open_form(self, form: ClientForm) -> None:
        self.last_form = form
        form.accepted.connect(self._after_save)
        form.open()

    def _after_save(self) -> None:
        self.list.refresh()
        if self.last_form is not None and self.last_form.saved_id is not None:
            self.detail.show_client(self.last_form.saved_id)
