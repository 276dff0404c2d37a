"""The main window: navigation to every part, status bar, shortcuts, remembered layout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QMainWindow, QStackedWidget, QWidget

from app.queries.exceptions import RecordRef
from app.roles import Permission
from app.services.workspace import Desk, WorkspaceInfo
from sync.engine import SyncStatus
from ui.dialogs.about import AboutDialog
from ui.sync_controller import status_line
from ui.views.audit_view import AuditPage
from ui.views.clients_view import ClientsPage
from ui.views.compliance_view import CompliancePage
from ui.views.dashboard import DashboardPage
from ui.views.exceptions_view import ExceptionsPage
from ui.views.kyc_view import KycPage
from ui.views.ledger_view import LedgerPage
from ui.views.list_page import ListPage
from ui.views.partners_view import PartnersPage
from ui.views.payments_view import PaymentsPage
from ui.views.reports_view import ReportsPage
from ui.views.screening_view import ScreeningPage
from ui.views.sync_view import SyncPage
from ui.worker import DbWorker


class Page(Protocol):
    def refresh(self) -> None: ...


# Where each kind of exception is worked.
RECORD_PARTS = {"recon_exception": "Accounting", "kyc_case": "KYC", "payment": "Payments",
                "outbox": "Sync", "alert": "Compliance", "compliance_case": "Compliance"}


class MainWindow(QMainWindow):
    lock_requested = Signal()

    def __init__(self, desk: Desk, info: WorkspaceInfo, worker: DbWorker,
                 settings: QSettings) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.desk, self.worker, self.settings = desk, worker, settings
        self.setWindowTitle(f"Backdesk — {info.broker_name}")
        store = desk.store

        self.factories: list[tuple[str, Callable[[], QWidget]]] = [
            ("Dashboard", lambda: DashboardPage(store, worker)),
            ("Clients", lambda: ClientsPage(desk, worker)),
            ("KYC", lambda: KycPage(desk, worker)),
            ("Screening", lambda: ScreeningPage(desk, worker)),
            ("Payments", lambda: PaymentsPage(desk, worker)),
            ("Accounting", lambda: LedgerPage(desk, worker)),
            ("Partners", lambda: PartnersPage(desk, worker)),
            ("Compliance", self._compliance_page),
            ("Exceptions", self._exceptions_page),
            ("Reports", lambda: ReportsPage(desk, worker)),
            ("Audit", lambda: AuditPage(desk, worker)),
            ("Sync", lambda: SyncPage(desk, worker, self.sync_status)),
        ]
        if not (desk.actor.can(Permission.RUN_REPORTS) or desk.actor.can(Permission.POST_LEDGER)):
            # The ledger is finance's and reporting's: the services refuse others anyway.
            self.factories = [f for f in self.factories if f[0] != "Accounting"]
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(170)
        self.stack = QStackedWidget()
        self.pages: dict[int, QWidget] = {}
        for name, _factory in self.factories:
            self.nav.addItem(name)
            self.stack.addWidget(QWidget())  # placeholder until first shown
        self.nav.currentRowChanged.connect(self.show_part)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.user_label = QLabel(f"{desk.actor.full_name} · {desk.actor.role.label}")
        self.sync_status = SyncStatus(message="Offline — no gateway configured")
        self.sync_label = QLabel(status_line(self.sync_status))
        self.sync_label.setObjectName("syncStatus")
        self.statusBar().addWidget(self.user_label)
        self.statusBar().addPermanentWidget(self.sync_label)
        self._menus()
        self._shortcuts()
        self.restore_layout()
        self.nav.setCurrentRow(int(str(settings.value("window/part", 0))))

    def set_gateway_status(self, text: str) -> None:
        """What the gateway probe says while no sync engine runs for this workspace."""
        self.set_sync_status(SyncStatus(message=text))

    def set_sync_status(self, status: SyncStatus) -> None:
        self.sync_status = status
        self.sync_label.setText(status_line(status))
        for page in self.pages.values():
            if isinstance(page, SyncPage):
                page.set_status(status)
            elif isinstance(page, PaymentsPage):
                page.set_sync_status(status)

    # -- parts -----------------------------------------------------------------
    def show_part(self, row: int) -> None:
        if row < 0:
            return
        if row not in self.pages:
            page = self.factories[row][1]()
            old = self.stack.widget(row)
            self.stack.insertWidget(row, page)
            if old is not None:
                self.stack.removeWidget(old)
                old.deleteLater()
            self.pages[row] = page
            page.refresh()  # type: ignore[attr-defined]
        self.stack.setCurrentIndex(row)

    def part(self, name: str) -> QWidget:
        row = [n for n, _f in self.factories].index(name)
        self.nav.setCurrentRow(row)
        return self.pages[row]

    def _compliance_page(self) -> CompliancePage:
        page = CompliancePage(self.desk, self.worker)
        page.client_chosen.connect(self.open_client)
        return page

    def open_client(self, client_id: int) -> None:
        page = self.part("Clients")
        if isinstance(page, ClientsPage):
            page.open_client(client_id)

    def _exceptions_page(self) -> ExceptionsPage:
        page = ExceptionsPage(self.desk, self.worker)
        page.record_chosen.connect(self.open_record)
        return page

    def open_record(self, ref: RecordRef) -> None:
        """Go to the part where an exception is worked, showing the record where the
        part can show one by its number."""
        name = RECORD_PARTS.get(ref.kind)
        if name is None or name not in [n for n, _f in self.factories]:
            return  # e.g. Accounting, hidden from people the ledger is not for
        page = self.part(name)
        if isinstance(page, CompliancePage) and ref.kind == "compliance_case":
            page.show_case(ref.id)
        elif isinstance(page, KycPage):
            page.panel.show_case(ref.id)

    def _menus(self) -> None:
        help_menu = self.menuBar().addMenu("&Help")
        self.about_action = help_menu.addAction("&About Backdesk…")
        # macOS moves it to the application menu, where Mac users look for it.
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)

    def show_about(self) -> AboutDialog:
        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _shortcuts(self) -> None:
        for i in range(len(self.factories)):
            key = QKeySequence(f"Ctrl+{(i + 1) % 10}")
            QShortcut(key, self, lambda row=i: self.nav.setCurrentRow(row))
        QShortcut(QKeySequence("Ctrl+F"), self, self._focus_search)
        QShortcut(QKeySequence("Ctrl+L"), self, self.lock_requested.emit)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self, self._refresh)

    def _current(self) -> QWidget | None:
        return self.stack.currentWidget()

    def _focus_search(self) -> None:
        page = self._current()
        target = getattr(page, "list", page)
        if isinstance(target, ListPage | CompliancePage):
            target.focus_search()

    def _refresh(self) -> None:
        refresh = getattr(self._current(), "refresh", None)
        if callable(refresh):
            refresh()

    # -- layout ----------------------------------------------------------------
    def restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    def save_layout(self) -> None:
        # Window layout only: never a secret, a path to a document, or client data.
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/part", self.nav.currentRow())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        for page in self.pages.values():
            stop = getattr(page, "stop", None)  # a long operation ends at a safe point
            if callable(stop):
                stop()
        self.save_layout()
        super().closeEvent(event)

