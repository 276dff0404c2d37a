"""Push: deliver the outbox to the gateway in device-sequence order.

Each command goes with its idempotency key and sequence number, so a retry after a
lost answer replays the first result instead of applying twice. What the gateway
says decides the row's fate:
- an answer: done, and the records it wrote are applied here at once;
- 409: a conflict, with the gateway's record kept for a person to compare;
- another 4xx: rejected with the gateway's words, and the local change put back;
- no answer (network, timeout, 5xx): the row stays pending and the push stops, so
  later commands never overtake it; the engine tries again after a backoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.models.sync_state import OutboxCommand, OutboxStatus, SyncError
from app.services.outbox import apply_revert
from app.workspace.store import Store
from sync.client import GatewayClient, Refused, Unreachable
from sync.mirror import MirrorWriter
from sync.pull import dbapi


@dataclass
class PushStats:
    sent: int = 0
    rejected: int = 0
    conflicts: int = 0
    waiting: int = 0
    error: str = ""


class Pusher:
    def __init__(self, store: Store, client: GatewayClient) -> None:
        self.store, self.client = store, client

    def next_command(self) -> tuple[int, int, str, str, dict[str, Any]] | None:
        Row = OutboxCommand
        with self.store.write() as s:
            row = s.scalar(select(Row).where(Row.status.in_(
                (OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT))).order_by(Row.device_seq)
                .limit(1))
            if row is None:
                return None
            row.status = OutboxStatus.IN_FLIGHT
            row.attempts += 1
            return row.id, row.device_seq, row.idempotency_key, row.kind, dict(row.payload)

    def run(self) -> PushStats:
        stats = PushStats()
        while (command := self.next_command()) is not None:
            rid, seq, key, kind, payload = command
            try:
                answer = self.client.command(kind, payload, key, seq)
            except Unreachable as exc:
                self.settle(rid, OutboxStatus.PENDING, exc.message)
                stats.error = exc.message
                stats.waiting = self.count_waiting()
                return stats
            except Refused as refused:
                if refused.status == 409:
                    self.settle(rid, OutboxStatus.CONFLICT, refused.message,
                                conflict=refused.current)
                    stats.conflicts += 1
                else:
                    self.settle(rid, OutboxStatus.REJECTED, refused.message, revert=True)
                    stats.rejected += 1
                continue
            self.settle(rid, OutboxStatus.DONE, "", records=answer.get("records", []))
            stats.sent += 1
        return stats

    def count_waiting(self) -> int:
        with self.store.read() as s:
            return int(dbapi(s).execute(
                "SELECT count(*) FROM outbox WHERE status IN ('pending', 'in_flight')")
                .fetchone()[0])

    def settle(self, rid: int, status: OutboxStatus, error: str, *,
               conflict: dict[str, Any] | None = None, revert: bool = False,
               records: list[dict[str, Any]] | None = None) -> None:
        with self.store.write() as s:
            row = s.get(OutboxCommand, rid)
            assert row is not None
            row.status, row.last_error = status, error[:2000]
            if status is OutboxStatus.DONE:
                row.sent_at = datetime.now(UTC)
            if conflict is not None:
                row.conflict = conflict
            if revert and row.revert:
                apply_revert(s, row.revert)
            if status in (OutboxStatus.REJECTED, OutboxStatus.CONFLICT):
                s.add(SyncError(source="push", kind=row.kind, record_id=row.entity_ref[:64],
                                message=error[:2000]))
            s.flush()
            if records:
                # The command is settled first, so the records it wrote count as the
                # gateway's word and land in the typed tables too.
                MirrorWriter(dbapi(s)).apply(records)
