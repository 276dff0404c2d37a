"""Runs the sync engine for the open workspace on a thread of its own and reports its
state to the window through a queued signal; the UI thread never waits on the network."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from app.services.gateway import gateway_config, set_gateway
from app.services.workspace import Desk
from sync.engine import SyncEngine, SyncStatus

SANDBOX_USER, SANDBOX_PASSWORD = "admin", "sandbox"


def status_line(status: SyncStatus) -> str:
    parts = [status.message]
    if status.last_sync is not None:
        parts.append(f"last sync {status.last_sync.astimezone().strftime('%H:%M:%S')}")
    if status.pending:
        parts.append(f"{status.pending} waiting to send")
    if status.conflicts:
        parts.append(f"{status.conflicts} conflict{'s' if status.conflicts > 1 else ''}")
    if status.rejected:
        parts.append(f"{status.rejected} refused")
    return " · ".join(parts)


class SyncController(QObject):
    status_changed = Signal(object)  # SyncStatus, delivered on the UI thread

    def __init__(self, desk: Desk, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.status = SyncStatus(message="Offline — no gateway configured")
        self.engine: SyncEngine | None = None
        self.stop_event = threading.Event()
        self.runner: threading.Thread | None = None

    def start(self, sandbox_url: str | None = None) -> None:
        self.runner = threading.Thread(target=self._run, args=(sandbox_url,),
                                       name="backdesk-sync", daemon=True)
        self.runner.start()

    def _run(self, sandbox_url: str | None) -> None:
        config = gateway_config(self.desk)
        if config is None and sandbox_url:  # the built-in demo gateway: sign in to it
            set_gateway(self.desk, sandbox_url, SANDBOX_USER, SANDBOX_PASSWORD)
            config = gateway_config(self.desk)
        elif config is not None and sandbox_url and config.url != sandbox_url:
            # the sandbox picked a new port; same gateway history, same desk
            set_gateway(self.desk, sandbox_url, config.username, config.password)
            config = gateway_config(self.desk)
        if config is None:
            self._emit(self.status)
            return
        self.engine = SyncEngine(self.desk.store, config, on_status=self._emit)
        self._emit(SyncStatus(message="Connecting to the gateway…"))
        try:
            self.engine.follow(self.stop_event)
        finally:
            self.engine.close()

    def _emit(self, status: SyncStatus) -> None:
        self.status = status
        self.status_changed.emit(status)

    def stop(self) -> None:
        """Called before the store closes (lock, quit): the engine must be gone first."""
        self.stop_event.set()
        if self.runner is not None:
            self.runner.join(15)
            self.runner = None
