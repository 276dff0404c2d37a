"""The gateway indicator: starts the built-in sandbox when asked, and asks the gateway
who it is every few seconds, all on a network thread of its own."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from sync.gateway import GatewayStatus, probe
from sync.sandbox.process import SandboxProcess
from ui.worker import DbWorker

PROBE_MS = 10_000
NO_GATEWAY = "Offline — no gateway configured"


class GatewayMonitor(QObject):
    changed = Signal(str)
    ready = Signal(str)  # the built-in sandbox answers at this URL

    def __init__(self, url: str | None, sandbox_data: Path | None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.url = url
        self.text = NO_GATEWAY
        # The demo's sandbox carries one client per AML rule: the Compliance part has
        # alerts to work from the first sync.
        self.sandbox = (SandboxProcess(sandbox_data, "--aml-scenarios") if sandbox_data
                        else None)
        self.net = DbWorker()  # a job thread like the database one, for the network
        self.net.setObjectName("backdesk-net")
        self.timer = QTimer(self)
        self.timer.setInterval(PROBE_MS)
        self.timer.timeout.connect(self.check)

    def start(self) -> None:
        self.net.start()
        if self.sandbox is not None:
            self._set("Starting the built-in sandbox gateway…")
            sandbox = self.sandbox
            self.net.submit(sandbox.start, self._sandbox_started, self._sandbox_failed,
                            owner=self)
        elif self.url:
            self.check()
            self.timer.start()

    def _sandbox_started(self, url: str) -> None:
        self.url = url
        self.ready.emit(url)
        self.check()
        self.timer.start()

    def _sandbox_failed(self, exc: BaseException) -> None:
        self._set(f"Offline — {exc}")

    def check(self) -> None:
        if self.url:
            url = self.url
            self.net.submit(lambda: probe(url), self._probed, owner=self)

    def _probed(self, status: GatewayStatus) -> None:
        self._set(status.text)

    def _set(self, text: str) -> None:
        self.text = text
        self.changed.emit(text)

    def stop(self) -> None:
        self.timer.stop()
        self.net.stop()
        if self.sandbox is not None:
            self.sandbox.stop()
