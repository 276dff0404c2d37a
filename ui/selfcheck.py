"""`backdesk selfcheck`: proves that this copy of Backdesk works on this machine.

It opens the desktop on a workspace the way `backdesk gui` does, opens every part of
the main window and waits for their first queries, opens the About dialog, checks the
report fonts and the window icon, and with --sandbox starts the built-in sandbox
gateway and reaches it, then quits: exit status 0 when all of it worked. A frozen
build is where this matters (a Qt plugin, a data file or a hidden import left out
shows up only when used), so the installer test runs it on the bundle; IT can run it
after installing on a new machine. The window shows for a moment.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from app.about import NOT_FOUND
from app.reports.fonts import BOLD_FILE, REGULAR_FILE, find_font
from app.services.workspace import open_workspace
from ui.app import Controller, desktop_application
from ui.dialogs.about import AboutDialog, about_this_copy
from ui.gateway_status import GatewayMonitor

TIMEOUT_MS = 120_000  # a cold start of a frozen build on a slow disk, then every part
POLL_MS = 50


def say(text: str) -> None:
    print(f"selfcheck: {text}", flush=True)


class SelfCheck(QObject):
    def __init__(self, folder: Path, password: str, sandbox_data: Path | None,
                 settings: QSettings) -> None:
        super().__init__()
        self.folder, self.password = folder, password
        self.started = time.perf_counter()
        self.failures: list[str] = []
        self.waiting = {"desktop"} | ({"sandbox"} if sandbox_data else set())
        self.controller = Controller(folder, settings, GatewayMonitor(None, None))
        # Its own monitor, not the controller's: the check must reach the gateway
        # without syncing the sandbox's demo clients into the workspace.
        self.gateway = GatewayMonitor(None, sandbox_data, self) if sandbox_data else None

    def start(self) -> None:
        self.controller.unlocked.connect(self._unlocked)
        self.controller.worker.submit(lambda: open_workspace(self.folder, self.password),
                                      self.controller._open, self._not_opened)
        if self.gateway is not None:
            self.gateway.changed.connect(self._gateway_says)
            self.gateway.start()
        QTimer.singleShot(TIMEOUT_MS, lambda: self._fail(
            f"not done after {TIMEOUT_MS // 1000} s: {', '.join(sorted(self.waiting))}"))

    def _elapsed(self) -> str:
        return f"{time.perf_counter() - self.started:.2f} s"

    def _not_opened(self, exc: BaseException) -> None:
        self._fail(f"the workspace did not open: {getattr(exc, 'message', exc)}")

    def _unlocked(self) -> None:
        window = self.controller.window
        assert window is not None
        say(f"workspace opened and main window shown in {self._elapsed()}")
        names = [name for name, _factory in window.factories]
        for name in names:
            window.part(name)
        self._when_idle(lambda: self._parts_done(names))

    def _when_idle(self, then: Callable[[], None]) -> None:
        """Call `then` once the database worker has delivered every result asked for."""
        if self.controller.worker.pending == 0:
            then()
        else:
            QTimer.singleShot(POLL_MS, lambda: self._when_idle(then))

    def _parts_done(self, names: list[str]) -> None:
        say(f"{len(names)} parts opened and loaded ({', '.join(names)}) by {self._elapsed()}")
        window = self.controller.window
        assert window is not None
        dialog = AboutDialog(window, about_this_copy())
        dialog.show()
        missing = [name for name, version in dialog.info.libraries if version == NOT_FOUND]
        if missing:
            self._fail(f"library versions not found: {', '.join(missing)}")
        dialog.close()
        app = QApplication.instance()
        if not isinstance(app, QApplication) or app.windowIcon().isNull():
            self._fail("the window icon did not load (is Qt's SVG plugin there?)")
        self._done("desktop")

    def _gateway_says(self, text: str) -> None:
        if text.startswith("Online"):
            say(f"sandbox gateway started and answered in {self._elapsed()}: {text}")
            self._done("sandbox")
        elif text.startswith("Offline"):
            self._fail(f"sandbox gateway: {text}")

    def _done(self, part: str) -> None:
        self.waiting.discard(part)
        if not self.waiting:
            QTimer.singleShot(0, self.finish)

    def _fail(self, why: str) -> None:
        if why not in self.failures:
            self.failures.append(why)
            say(f"FAILED: {why}")
        QTimer.singleShot(0, self.finish)

    def finish(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()
            self.gateway = None
        self.controller.shutdown()  # quits the event loop


def run_selfcheck(folder: Path, password: str, *, sandbox: bool = False) -> int:
    """0 when every check passed; each check prints a line."""
    info = about_this_copy()
    say(f"{info.product} {info.version} "
        f"({'installed build' if getattr(sys, 'frozen', False) else 'from source'}) "
        f"at {sys.executable}")
    say("libraries: " + ", ".join(f"{name} {version}" for name, version in info.libraries))
    for font in (REGULAR_FILE, BOLD_FILE):
        say(f"report font: {find_font(font)}")
    app = desktop_application()
    with tempfile.TemporaryDirectory(prefix="backdesk-selfcheck-") as scratch:
        # The user's remembered window layout is left as it was.
        settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
        check = SelfCheck(folder, password, Path(scratch) / "sandbox" if sandbox else None,
                          settings)
        check.start()
        app.exec()
    if check.failures:
        return 1
    say(f"ok in {check._elapsed()}")
    return 0
