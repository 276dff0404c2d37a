"""`backdesk sync --once | --follow`: the engine without the desktop."""

from __future__ import annotations

import signal
import threading
from types import FrameType

from app.services.gateway import gateway_config
from app.services.workspace import Desk
from sync.engine import SyncEngine, SyncStatus


def describe(status: SyncStatus) -> str:
    when = status.last_sync.strftime("%H:%M:%S") if status.last_sync else "never"
    return (f"{status.message}. Last sync {when}; {status.records:,} records pulled"
            f" ({status.rate:,.0f}/s); outbox: {status.pending} waiting, {status.conflicts}"
            f" conflicts, {status.rejected} rejected; stream frames {status.frames:,}"
            f" (last seq {status.last_seq}).")


def run_sync(desk: Desk, *, follow: bool) -> int:
    try:
        config = gateway_config(desk)
        if config is None:
            print("backdesk: this workspace has no gateway yet: set one with "
                  "'backdesk gateway --url URL --user NAME'.")
            return 2
        engine = SyncEngine(desk.store, config)
        if not follow:
            status = engine.once()
            engine.close()
            print(describe(status))
            return 0 if status.online else 1
        stop = threading.Event()

        def interrupted(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGINT, interrupted)
        signal.signal(signal.SIGTERM, interrupted)
        last = [""]

        def show(status: SyncStatus) -> None:
            line = describe(status)
            if status.message != last[0]:
                print(line, flush=True)
                last[0] = status.message

        engine.on_status = show
        engine.follow(stop)
        engine.close()
        print(describe(engine.status))
        return 0
    finally:
        desk.close()
