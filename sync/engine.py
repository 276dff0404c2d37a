"""The sync engine: pull, push and the live stream, with backoff when offline.

Runs on its own thread (or headless from `backdesk sync`); reports a `SyncStatus`
through a callback and never touches Qt.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from app.services.commissions import recalculate_after_sync
from app.services.gateway import GatewayConfig
from app.services.monitoring import monitor_after_sync
from app.services.reconciliation import reconcile_after_sync
from app.services.screening.waiting import screen_waiting
from app.workspace.store import Store
from sync.client import Credentials, GatewayClient, GatewayError, Unreachable
from sync.live import Live, ResumeRefused, StreamLost
from sync.pull import Puller, PullStats, dbapi
from sync.push import Pusher

PULL_EVERY_S = 5.0
# Clients from the platform are screened after each exchange for up to this long.
SCREEN_BUDGET_S = 2.0
# Reconciliation runs in full after an exchange that changed the books; runs longer
# than this are spaced out (app/services/reconciliation.py).
RECONCILE_BUDGET_S = 2.0
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


@dataclass(frozen=True)
class SyncStatus:
    online: bool = False
    message: str = "Not connected yet"
    last_sync: datetime | None = None
    pending: int = 0
    conflicts: int = 0
    rejected: int = 0
    cursor: str = ""
    last_seq: int = 0
    records: int = 0       # pulled in the last pull
    rate: float = 0.0      # records/s of the last pull
    frames: int = 0        # stream frames applied since start


def client_for(config: GatewayConfig) -> GatewayClient:
    return GatewayClient(Credentials(config.url, config.username, config.password,
                                     config.device_id, config.verify or True))


class SyncEngine:
    def __init__(self, store: Store, config: GatewayConfig,
                 on_status: Callable[[SyncStatus], None] | None = None) -> None:
        self.store, self.config = store, config
        self.client = client_for(config)
        self.on_status = on_status
        self.status = SyncStatus()
        self.pull_wanted = threading.Event()
        self.pulled = False  # the stream starts after a first pull
        self.live = Live(store, self.client, self.pull_wanted.set)

    def close(self) -> None:
        self.live.close()
        self.client.close()

    def report(self, **changes: object) -> None:
        with self.store.read() as s:
            db = dbapi(s)
            counts = dict(db.execute("SELECT status, count(*) FROM outbox GROUP BY status"))
            cursor = db.execute("SELECT cursor FROM sync_cursors WHERE feed = 'changes'"
                                ).fetchone()
        self.status = replace(
            self.status, pending=counts.get("pending", 0) + counts.get("in_flight", 0),
            conflicts=counts.get("conflict", 0), rejected=counts.get("rejected", 0),
            cursor=cursor[0] if cursor else "", last_seq=self.live.stats.last_seq,
            frames=self.live.stats.frames, **changes)  # type: ignore[arg-type]
        if self.on_status is not None:
            self.on_status(self.status)

    def exchange(self) -> PullStats:
        """Pull, push what waits, and pull again to see the results (and others')."""
        first = Puller(self.store, self.client).run()
        self.pulled = True
        pushed = Pusher(self.store, self.client).run()
        if pushed.error:
            raise Unreachable(pushed.error)
        after = Puller(self.store, self.client).run() if pushed.sent else PullStats()
        total = PullStats(records=first.records + after.records,
                          seconds=first.seconds + after.seconds)
        screen_waiting(self.store, SCREEN_BUDGET_S)
        recalculate_after_sync(self.store)
        reconcile_after_sync(self.store, RECONCILE_BUDGET_S)
        monitor_after_sync(self.store)
        self.report(online=True, message=self.online_text(), last_sync=datetime.now(UTC),
                    records=total.records, rate=first.rate)
        return total

    def online_text(self) -> str:
        live = ", live" if self.live.ws is not None else ""
        return f"Online{live}: {self.client.broker_name or self.config.url}"

    def once(self) -> SyncStatus:
        try:
            self.exchange()
        except GatewayError as exc:
            self.report(online=False, message=f"Offline: {exc.message}")
        return self.status

    def follow(self, stop: threading.Event) -> None:
        """Stay in sync until `stop` is set. The stream and the pull/push exchange fail
        and recover separately: a refused request does not drop a healthy socket."""
        failures = stream_failures = 0
        next_exchange = next_connect = 0.0
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_exchange or (self.pull_wanted.is_set() and not failures):
                self.pull_wanted.clear()
                try:
                    self.exchange()
                    failures = 0
                    next_exchange = now + PULL_EVERY_S
                except GatewayError as exc:
                    failures += 1
                    next_exchange = now + backoff(failures)
                    self.report(online=False, message=f"Offline: {exc.message}")
            if self.pulled and self.live.ws is None and now >= next_connect:
                try:
                    self.live.connect()
                    stream_failures = 0
                    self.report(online=True, message=self.online_text())
                except ResumeRefused:
                    self.pull_wanted.set()  # pull first, then subscribe afresh
                except (StreamLost, GatewayError) as exc:
                    stream_failures += 1
                    next_connect = now + backoff(stream_failures)
                    self.report(message=f"Live stream interrupted: {exc}")
            if self.live.ws is None:
                stop.wait(0.2)
                continue
            try:
                self.live.receive(until=min(next_exchange, time.monotonic() + 0.5))
                self.report()
            except ResumeRefused:
                self.live.close()
                self.pull_wanted.set()
            except StreamLost as exc:
                self.live.close()
                stream_failures += 1
                next_connect = time.monotonic() + backoff(stream_failures) / 4
                self.report(message=f"Live stream interrupted: {exc}")
        self.live.close()


def backoff(failures: int) -> float:
    """Exponential steps with jitter, so many desks do not reconnect in lockstep."""
    base = BACKOFF_S[min(failures, len(BACKOFF_S)) - 1]
    return base * random.uniform(0.5, 1.0)
