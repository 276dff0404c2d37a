"""Clients: the lazy list with the CRM search and filters, a detail pane with the client's
deal history, create and edit, and the client page."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.crm.filters import ClientFilter, client_listing
from app.queries import catalogue
from app.queries.listing import Listing
from app.roles import Permission
from app.services.clients import ClientData, get_client
from app.services.workspace import Desk
from ui.dialogs.client_form import ClientForm
from ui.lazy_model import SqlPageModel
from ui.messages import user_message
from ui.views.client.filter_bar import FilterBar
from ui.views.client.list_actions import ListActions
from ui.views.client.page import ClientPageView
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
    """The client list (search, filters, saved filters, bulk changes, import, export)
    with a short detail pane; a client's full page replaces the list when opened."""

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.list = ListPage("Clients", client_listing(desk), desk.store, worker,
                             empty_text="No clients yet. Add the first with “New client” "
                                        "or import a CSV file.")
        self.list.search.setPlaceholderText("Name, email, phone, login, ID number…")
        self.list.search.setToolTip("Search clients (Ctrl+F): a name in any script, an "
                                    "email, a phone number, a login or an ID number")
        self.list.search.setMinimumWidth(260)
        self.list.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.detail = ClientDetail(desk, worker)
        self.filters = FilterBar(desk, worker, self.list.search)
        self.filters.changed.connect(self.set_filter)
        self.filter = ClientFilter()
        self._filter_token = 0
        actor = desk.actor
        can_edit = actor.can(Permission.EDIT_CLIENTS)
        self.new_button = QPushButton("New client")
        self.edit_button = QPushButton("Edit")
        self.open_button = QPushButton("Open client")
        self.new_button.setVisible(can_edit)
        self.edit_button.setVisible(can_edit)
        self.edit_button.setEnabled(False)
        self.open_button.setEnabled(False)
        self.new_button.clicked.connect(self.new_client)
        self.edit_button.clicked.connect(self.edit_client)
        self.open_button.clicked.connect(lambda: self.open_client(self.detail.client_id))
        for b in (self.new_button, self.edit_button, self.open_button):
            self.list.toolbar.addWidget(b)
        self.list_actions = ListActions(self, can_edit=can_edit,
                                   can_import=actor.can(Permission.IMPORT_CLIENTS),
                                   can_export=actor.can(Permission.EXPORT_CLIENTS))
        for w in self.list_actions.buttons:
            self.filters.saved_row.addWidget(w)
        rows = self.list.layout()
        assert isinstance(rows, QVBoxLayout)
        rows.insertWidget(1, self.filters)
        rows.insertWidget(2, self.list_actions.bar)
        self.list.current_changed.connect(self._selected)
        self.list.model.loaded.connect(self._counted)
        self.list.table.doubleClicked.connect(
            lambda index: self.open_client(self.list.model.key_at(index.row())))

        self.browse = QSplitter()
        self.browse.setObjectName("clientsSplitter")
        self.browse.addWidget(self.list)
        self.browse.addWidget(self.detail)
        self.browse.setStretchFactor(0, 3)
        self.browse.setStretchFactor(1, 1)
        self.browse.setSizes([820, 290])
        self.client_page = ClientPageView(desk, worker)
        self.client_page.back.connect(self.close_client)
        self.client_page.changed.connect(self._client_changed)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.browse)
        self.stack.addWidget(self.client_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.last_form: ClientForm | None = None

    def refresh(self) -> None:
        self.list.refresh()
        self.filters.reload()
        if self.stack.currentWidget() is self.client_page:
            self.client_page.reload()

    def stop(self) -> None:
        """Before the window closes: an export still writing finishes its file."""
        self.list_actions.stop()

    # -- filter, count and selection -------------------------------------------------
    def set_filter(self, f: ClientFilter) -> None:
        self.filter = f
        self._filter_token += 1
        token, desk = self._filter_token, self.desk
        self.list.count_label.setText("Loading…")
        self.worker.submit(lambda: client_listing(desk, f),
                           lambda listing: self._listing(token, listing),
                           self._listing_failed, owner=self)

    def _listing(self, token: int, listing: Listing) -> None:
        if token != self._filter_token:
            return  # the filter changed again meanwhile
        self.list.model.listing = listing
        self.list.model.reload()

    def _listing_failed(self, error: BaseException) -> None:
        self.list.count_label.clear()
        self.list_actions.say(user_message(error), error=True)

    def _counted(self, count: int) -> None:
        narrowed = not self.filter.is_empty() or bool(self.list.model.search.strip())
        noun = "client" if count == 1 else "clients"
        self.list.count_label.setText(f"{count:,} {noun} match" if narrowed
                                      else f"{count:,} {noun}")
        if count == 0 and not self.filter.is_empty():
            self.list.empty.setText("No client matches this filter"
                                    + (f" and “{self.list.model.search.strip()}”"
                                       if self.list.model.search.strip() else "")
                                    + ". Press Clear to see every client.")
        self.list_actions.counted(count)

    def whole_filter(self) -> ClientFilter:
        """What the list shows: the filter and the search text in effect."""
        return replace(self.filter, text=self.list.model.search.strip())

    def selected_ids(self) -> tuple[list[int], int]:
        """Ids of the selected rows, and how many selected rows are not loaded yet."""
        ids, missing = [], 0
        for index in self.list.table.selectionModel().selectedRows():
            key = self.list.model.key_at(index.row())
            if key is None:
                missing += 1
            else:
                ids.append(int(key))
        return ids, missing

    def _selected(self, key: Any) -> None:
        self.edit_button.setEnabled(key is not None)
        self.open_button.setEnabled(key is not None)
        self.list_actions.selection_changed(len(self.list.table.selectionModel().selectedRows()))
        self.detail.show_client(key)

    # -- client page -----------------------------------------------------------------
    def open_client(self, client_id: Any) -> None:
        if client_id is None:
            return
        self.client_page.show_client(int(client_id))
        self.stack.setCurrentWidget(self.client_page)

    def close_client(self) -> None:
        self.stack.setCurrentWidget(self.browse)
        self.list.table.setFocus()

    def _client_changed(self, client_id: int) -> None:
        self.list.refresh()
        if self.detail.client_id == client_id:
            self.detail.show_client(client_id)

    def after_bulk(self) -> None:
        """Tags and managers changed: the list, the filter's choices and the detail."""
        self.list.refresh()
        self.filters.reload()
        if self.detail.client_id is not None:
            self.detail.show_client(self.detail.client_id)

    # -- create and edit ---------------------------------------------------------------
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
