"""The desktop with the built-in sandbox gateway: started off the UI thread, shown in
the status bar and the Sync part, stopped with the app."""

from __future__ import annotations

import socket
from pathlib import Path

from PySide6.QtCore import QSettings
from sqlalchemy import text

from app.services.workspace import init_workspace
from tests.conftest import PASSWORD
from tests.ui.conftest import not_blank
from tests.ui.test_shell import SHOTS, _unlock
from ui.app import Controller
from ui.gateway_status import GatewayMonitor


def test_built_in_sandbox_syncs_live_and_stops_with_the_app(
        qtbot, settings: QSettings, tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    init_workspace(folder, password=PASSWORD, broker_name="Demo Markets Ltd",
                   base_currency="USD", admin_username="admin",
                   admin_full_name="Ada Admin").close()
    monitor = GatewayMonitor(None, tmp_path / "sandbox")
    controller = Controller(folder, settings, monitor)
    try:
        check_online_then_stop(qtbot, controller, monitor)
    finally:
        controller.shutdown()  # idempotent; leaves no thread or process behind


def check_online_then_stop(qtbot, controller: Controller, monitor: GatewayMonitor) -> None:
    monitor.start()
    assert monitor.text.startswith("Starting")  # returned at once: the UI did not wait
    controller.start()
    with qtbot.waitSignal(controller.unlocked, timeout=15000):
        _unlock(qtbot, controller, PASSWORD)
    window = controller.window
    assert window is not None
    qtbot.waitUntil(lambda: window.sync_label.text().startswith("Online, live"), timeout=60000)
    assert "Sandbox Markets Ltd" in window.sync_label.text()
    page = window.part("Sync")
    assert page.state.text().startswith("Online, live: Sandbox Markets Ltd")
    clients = window.part("Clients")
    qtbot.waitUntil(lambda: clients.list.model.rowCount() > 100, timeout=30000)
    # The demo sandbox seeds one client per AML rule; monitoring raises them after sync.
    assert monitor.sandbox is not None and "--aml-scenarios" in monitor.sandbox.command()
    desk = controller.desk
    assert desk is not None

    def raised() -> int:
        with desk.store.read() as s:
            return int(s.execute(text("SELECT count(*) FROM alerts")).scalar_one())

    qtbot.waitUntil(lambda: raised() >= 8, timeout=30000)
    compliance = window.part("Compliance")
    compliance.refresh()
    qtbot.waitUntil(lambda: compliance.alerts.model.rowCount() >= 8, timeout=10000)
    window.nav.setCurrentRow(window.nav.count() - 1)
    sync = controller.sync
    assert sync is not None
    qtbot.waitUntil(lambda: sync.status.frames > 0, timeout=20000)  # ticks arrive live
    qtbot.waitUntil(lambda: " 0 live frames" not in page.details.text(), timeout=5000)
    window.resize(1280, 800)
    qtbot.wait(100)
    SHOTS.mkdir(exist_ok=True)
    window.grab().save(str(SHOTS / "sync_online.png"))
    assert not_blank(SHOTS / "sync_online.png") > 20
    sandbox = monitor.sandbox
    sync = controller.sync
    assert sandbox is not None and sandbox.running and sync is not None
    runner = sync.runner
    controller.shutdown()
    assert not sandbox.running and not monitor.net.isRunning()
    assert runner is not None and not runner.is_alive()
    assert "stopped" in sandbox.output


def test_unreachable_gateway_reads_offline(qtbot, tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monitor = GatewayMonitor(f"http://127.0.0.1:{port}", None)
    with qtbot.waitSignal(monitor.changed, timeout=15000) as signal:
        monitor.start()
    monitor.stop()
    assert signal.args == [f"Offline: the gateway at http://127.0.0.1:{port} does not answer"]
