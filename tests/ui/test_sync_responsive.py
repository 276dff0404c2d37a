"""The window keeps turning while the engine pulls a large history on its thread."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from PySide6.QtCore import QTimer

from app.services.workspace import init_workspace, open_workspace
from tests.conftest import PASSWORD
from tests.sync.conftest import Sandbox
from ui.sync_controller import SyncController


def test_event_loop_keeps_turning_during_a_full_pull(qtbot, tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", "--deals", "100000", clients=10_000).start()
    try:
        folder = tmp_path / "ws"
        init_workspace(folder, password=PASSWORD, broker_name="Sandbox Markets Ltd",
                       base_currency="USD", admin_username="admin",
                       admin_full_name="Ada Admin").close()
        desk = open_workspace(folder, PASSWORD)
        sync = SyncController(desk)
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(10)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        timer.start()
        started = time.perf_counter()
        sync.start(box.base)
        qtbot.waitUntil(lambda: sync.status.last_sync is not None, timeout=120_000)
        pulled = time.perf_counter() - started
        timer.stop()
        sync.stop()
        desk.close()
    finally:
        box.stop()
    assert sync.status.records > 100_000
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    worst = max(gaps)
    print(f"full pull of {sync.status.records:,} records in {pulled:.1f} s; "
          f"{len(ticks)} timer ticks, worst event-loop stall {worst * 1000:.0f} ms")
    assert len(ticks) > pulled * 20  # the loop ran all along, not just at the end
    assert worst < 0.25
