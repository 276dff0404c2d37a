"""Start the desktop: unlock (or first run), main window, auto-lock, clean shutdown."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app.about import ICON
from app.crm.setup import Prepared, prepare_workspace
from app.services.workspace import Desk, WorkspaceInfo, open_workspace, workspace_info
from app.workspace.keys import workspace_exists
from ui.dialogs.unlock import FirstRunDialog, UnlockDialog
from ui.gateway_status import GatewayMonitor
from ui.idle import IdleWatcher
from ui.main_window import MainWindow
from ui.messages import user_message
from ui.sync_controller import SyncController
from ui.theme import apply_theme
from ui.worker import DbWorker

log = logging.getLogger(__name__)


class Controller(QObject):
    """Owns the worker thread and the unlocked desk; moves between locked and open."""

    unlocked = Signal()
    locked = Signal()

    def __init__(self, folder: Path, settings: QSettings,
                 gateway: GatewayMonitor | None = None) -> None:
        super().__init__()
        self.folder, self.settings = folder, settings
        self.gateway = gateway or GatewayMonitor(None, None, self)
        self.worker = DbWorker()
        self.worker.start()
        self.desk: Desk | None = None
        self.window: MainWindow | None = None
        self.dialog: UnlockDialog | FirstRunDialog | None = None
        self.idle: IdleWatcher | None = None
        self._closing = False
        self.sync: SyncController | None = None
        self._probe_shown = False
        self._waiting_for_sandbox = False

    def start(self) -> None:
        if workspace_exists(self.folder):
            self.dialog = UnlockDialog(self.folder, self.worker)
        else:
            self.dialog = FirstRunDialog(self.folder, self.worker)
        self.dialog.accepted.connect(lambda: self._open(self.dialog.desk if self.dialog else None))
        self.dialog.rejected.connect(self.shutdown)
        self.dialog.show()

    def _open(self, desk: Desk | None) -> None:
        if desk is None:
            return
        self.desk = desk
        self.dialog = None
        self.worker.submit(lambda: workspace_info(desk.store), self._show, self._failed)

    def _failed(self, exc: BaseException) -> None:
        """Opening got past the password but the workspace could not be shown."""
        if self.desk is not None:
            desk, self.desk = self.desk, None
            self.worker.submit(desk.close)
        self.start()
        if self.dialog is not None:
            self.dialog._failed(exc)

    def _show(self, info: WorkspaceInfo) -> None:
        assert self.desk is not None
        self.window = MainWindow(self.desk, info, self.worker, self.settings)
        self.window.lock_requested.connect(self.lock)
        self.window.set_gateway_status(self.gateway.text)
        self.gateway.changed.connect(self.window.set_gateway_status)
        self._probe_shown = True
        self.sync = SyncController(self.desk, self)
        self.sync.status_changed.connect(self.window.set_sync_status)
        self.sync.status_changed.connect(self._synced)
        if self.gateway.sandbox is None:
            self.sync.start()
        elif self.gateway.url:
            self.sync.start(self.gateway.url)
        else:  # the built-in sandbox is still starting
            self.gateway.ready.connect(self.sync.start)
            self._waiting_for_sandbox = True
        self.window.show()
        app = QApplication.instance()
        self.idle = IdleWatcher(info.idle_lock_minutes * 60_000, self)
        self.idle.idle.connect(self.lock)
        if app is not None:
            app.installEventFilter(self.idle)
        self.idle.start()
        # Search terms for clients written before this version (or by the demo
        # generator) and the default segments; seconds for 100k clients, on the worker,
        # behind the first page loads.
        store = self.desk.store
        self.worker.submit(lambda: prepare_workspace(store), self._prepared, self._failed_quietly)
        self.unlocked.emit()

    def _prepared(self, result: Prepared) -> None:
        if self.window is not None and (result.search_terms is not None
                                        or result.segments_added):
            names = [name for name, _factory in self.window.factories]
            page = self.window.pages.get(names.index("Clients"))  # if shown already
            refresh = getattr(page, "refresh", None)
            if callable(refresh):
                refresh()

    def _failed_quietly(self, exc: BaseException) -> None:
        log.warning("preparing the workspace failed: %s", type(exc).__name__)
        if self.window is not None:
            self.window.statusBar().showMessage(user_message(exc), 15000)

    def lock(self) -> None:
        """Close the window and the store; the key leaves memory with the engine."""
        if self.window is None or self.desk is None:
            return
        self._stop_idle()
        self._stop_sync()
        self.window.lock_requested.disconnect(self.lock)
        self._hide_probe()
        self.window.close()  # saves the layout
        self.window.deleteLater()
        self.window = None
        desk, self.desk = self.desk, None
        self.worker.submit(desk.close, lambda _r: self._after_lock())

    def _after_lock(self) -> None:
        self.locked.emit()
        self.start()

    def _synced(self, status: object) -> None:
        """Once a sync engine reports, it owns the indicator; the probe stops."""
        if getattr(status, "message", "") != "Offline — no gateway configured":
            self._hide_probe()
            self.gateway.timer.stop()

    def _hide_probe(self) -> None:
        if self._probe_shown and self.window is not None:
            self.gateway.changed.disconnect(self.window.set_gateway_status)
        self._probe_shown = False

    def _stop_sync(self) -> None:
        if self.sync is not None:
            sync, self.sync = self.sync, None
            if self._waiting_for_sandbox:
                self.gateway.ready.disconnect(sync.start)
                self._waiting_for_sandbox = False
            sync.stop()

    def _stop_idle(self) -> None:
        if self.idle is not None:
            self.idle.stop()
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self.idle)
            self.idle = None

    def shutdown(self) -> None:
        if self._closing:
            return  # closing the window below fires lastWindowClosed again
        self._closing = True
        self._stop_idle()
        self._stop_sync()
        if self.window is not None:
            window, self.window = self.window, None
            window.close()  # saves the layout
        if self.desk is not None:
            desk, self.desk = self.desk, None
            self.worker.submit(desk.close)
        self.worker.stop()
        self.gateway.stop()
        app = QApplication.instance()
        if app is not None:
            app.quit()


# The installed .desktop file's name: Wayland shells match windows to it by this id
# (for the dock icon and the window's name); see installer/linux/.
DESKTOP_FILE = "com.backdesk.Backdesk"


def desktop_application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("Backdesk")
    app.setApplicationName("Backdesk")
    app.setDesktopFileName(DESKTOP_FILE)
    app.setWindowIcon(QIcon(str(ICON)))
    apply_theme(app)
    return app


def run_gui(folder: Path, *, exit_after_show: bool = False, gateway_url: str | None = None,
            sandbox_data: Path | None = None) -> int:
    """Open the desktop; `sandbox_data` starts the built-in sandbox gateway with it."""
    started = time.perf_counter()
    app = desktop_application()
    gateway = GatewayMonitor(gateway_url, sandbox_data)
    controller = Controller(folder, QSettings(), gateway)
    gateway.setParent(controller)
    gateway.start()
    app.aboutToQuit.connect(controller.shutdown)
    app.lastWindowClosed.connect(controller.shutdown)
    if exit_after_show:
        _exit_after_show(controller, folder, started)
    else:
        controller.start()
    return app.exec()


def _exit_after_show(controller: Controller, folder: Path, started: float) -> None:
    """For bench/startup.py: unlock from BACKDESK_PASSWORD, print timings, quit."""
    password = os.environ.get("BACKDESK_PASSWORD", "")
    marks: dict[str, float] = {}

    def first_page(_count: int) -> None:
        print(f"startup: shown {marks['shown'] - started:.3f} s, clients listed "
              f"{time.perf_counter() - started:.3f} s", flush=True)
        QTimer.singleShot(0, controller.shutdown)

    def shown() -> None:
        marks["shown"] = time.perf_counter()
        assert controller.window is not None
        page = controller.window.part("Clients")
        page.list.model.loaded.connect(first_page)  # type: ignore[attr-defined]

    def failed(exc: BaseException) -> None:
        print(f"backdesk: {getattr(exc, 'message', exc)}", file=sys.stderr)
        controller.shutdown()

    controller.unlocked.connect(shown)
    controller.worker.submit(lambda: open_workspace(folder, password), controller._open, failed)
