"""Pull: page through the gateway's changes feed into the store.

Each page and the cursor after it commit in one transaction, so a crash between
pages loses nothing and doubles nothing: the next run reads on from the saved cursor.
While one page is written, the next is already being fetched.

A first pull into an empty deal table sets the deals' secondary indexes aside and
builds them once at the end (the `bulk` flag survives a crash, so a resumed pull
still rebuilds them); keeping them up row by row would halve ingest speed.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from sqlalchemy import Index, Table

from app.models.sync_state import SyncError
from app.models.trading import Deal
from app.workspace.store import Store
from sync.client import CursorGone, GatewayClient
from sync.mirror import MirrorWriter

FEED = "changes"
PAGE = 5000
GROUP = 25_000  # records per transaction
DEFERRED: tuple[Index, ...] = tuple(
    i for i in cast(Table, Deal.__table__).indexes
    if i.name in ("ix_deals_account_time", "ix_deals_time"))


@dataclass
class PullStats:
    records: int = 0
    pages: int = 0
    errors: int = 0
    seconds: float = 0.0
    resynced: bool = False
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def dbapi(session: Any) -> Any:
    return session.connection().connection.dbapi_connection


class Puller:
    def __init__(self, store: Store, client: GatewayClient, *, limit: int = PAGE,
                 on_page: Callable[[PullStats], None] | None = None) -> None:
        self.store, self.client, self.limit, self.on_page = store, client, limit, on_page

    def saved(self) -> tuple[str, str, bool]:
        with self.store.read() as s:
            row = dbapi(s).execute("SELECT cursor, epoch, bulk FROM sync_cursors WHERE feed = ?",
                                   (FEED,)).fetchone()
        return (row[0], row[1], bool(row[2])) if row else ("", "", False)

    def run(self) -> PullStats:
        """Pull until the feed has nothing more; a refused cursor starts a full resync."""
        stats = PullStats()
        started = time.perf_counter()
        # A pull makes containers by the hundred thousand; each full collection would
        # then walk the whole application heap while holding the GIL, freezing the
        # window for hundreds of ms. Objects alive now are long-lived: stop scanning them.
        gc.freeze()
        epoch = str(self.client.info()["epoch"])
        cursor, saved_epoch, _bulk = self.saved()
        if cursor and saved_epoch != epoch:
            cursor = self.restart(stats, "the gateway's history was rebuilt")
        while True:
            try:
                self._pull(cursor, epoch, stats)
                break
            except CursorGone as gone:
                cursor = self.restart(stats, gone.message)
        stats.seconds = time.perf_counter() - started
        return stats

    def restart(self, stats: PullStats, why: str) -> str:
        """Forget the cursor and the mirrors that can vanish; keep outbox and records."""
        stats.resynced = True
        with self.store.write() as s:
            db = dbapi(s)
            db.execute("DELETE FROM positions")
            db.execute("UPDATE sync_cursors SET cursor = '' WHERE feed = ?", (FEED,))
            s.add(SyncError(source="pull", message=f"Full resync: {why}"))
        return ""

    def _pull(self, cursor: str, epoch: str, stats: PullStats) -> None:
        with self.store.write() as s:
            db = dbapi(s)
            empty = db.execute("SELECT NOT EXISTS (SELECT 1 FROM deals)").fetchone()[0]
            row = db.execute("SELECT bulk FROM sync_cursors WHERE feed = ?", (FEED,)).fetchone()
            bulk = bool(row[0]) if row else False
            if not cursor and empty and not bulk:
                for index in DEFERRED:
                    db.execute(f"DROP INDEX IF EXISTS {index.name}")
                bulk = True
            db.execute(
                "INSERT INTO sync_cursors (feed, cursor, last_seq, updated_at, epoch, bulk)"
                " VALUES (?, ?, 0, datetime('now'), ?, ?) ON CONFLICT (feed) DO UPDATE SET"
                " epoch = excluded.epoch, bulk = excluded.bulk", (FEED, cursor, epoch, bulk))
        writer: MirrorWriter | None = None
        more = True
        with ThreadPoolExecutor(1, thread_name_prefix="backdesk-pull") as pool:
            ahead: Future[bytes] = pool.submit(self.client.changes, cursor, self.limit)
            while more:
                # Several pages per transaction (each with its cursor): fewer commits,
                # the same guarantee.
                with self.store.write(refetchable=bulk) as s:
                    db = dbapi(s)
                    if writer is None:
                        writer = MirrorWriter(db)
                    writer.db = writer.owned.db = db
                    taken = 0
                    while more and taken < GROUP:
                        page = orjson.loads(ahead.result())
                        cursor, more = str(page["next_cursor"]), bool(page["has_more"])
                        if more:
                            ahead = pool.submit(self.client.changes, cursor, self.limit)
                        result = writer.apply(page["changes"])
                        taken += result.applied + len(result.errors)
                        if result.errors:
                            db.executemany(
                                "INSERT INTO sync_errors (at, source, kind, record_id, message)"
                                " VALUES (datetime('now'), 'pull', ?, ?, ?)", result.errors)
                        db.execute("UPDATE sync_cursors SET cursor = ?,"
                                   " updated_at = datetime('now') WHERE feed = ?", (cursor, FEED))
                        stats.records += result.applied
                        stats.errors += len(result.errors)
                        stats.pages += 1
                        for kind, n in result.by_kind.items():
                            stats.by_kind[kind] = stats.by_kind.get(kind, 0) + n
                if self.on_page is not None:
                    self.on_page(stats)
        self.finish_bulk()

    def finish_bulk(self) -> None:
        with self.store.write() as s:
            db = dbapi(s)
            row = db.execute("SELECT bulk FROM sync_cursors WHERE feed = ?", (FEED,)).fetchone()
            if not row or not row[0]:
                return
            for index in DEFERRED:
                index.create(s.connection(), checkfirst=True)
            db.execute("UPDATE sync_cursors SET bulk = 0 WHERE feed = ?", (FEED,))
