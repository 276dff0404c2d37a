"""Preview and purge: what is past its retention period, held clients, and the record
of what went.

A purge runs one write transaction per kind. Each kind's removal, its
`retention_purges` row and its audit entry commit together: a crash leaves every
kind either wholly removed and recorded or untouched, and running the purge again
finishes the rest. Holds and cutoffs are read again inside each transaction, so a
payment or an alert arriving meanwhile is respected. Short transactions also leave
the store's one writer free for the sync between kinds.

What a purge records holds ids and counts only: never a name or any content.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app import audit
from app.crm.search_index import dbapi
from app.models.retention import RetentionPurge
from app.retention.due import FINDERS, Due
from app.retention.holds import ClosedClient, closed_clients, held_past, past
from app.retention.policies import Policy, read_policies, years_before
from app.retention.removal import remove
from app.roles import Actor


@dataclass(frozen=True)
class HeldClient:
    id: int
    name: str
    ended: date
    inferred: bool  # no closing date recorded: `ended` is the record's last change
    reasons: tuple[str, ...]
    kinds: tuple[str, ...]  # the kinds that would have removed something of theirs


@dataclass(frozen=True)
class KindDue:
    kind: str
    label: str
    years: int
    cutoff: date  # records of relationships (or records) ended before this day go
    count: int
    rows: dict[str, int]  # by table


@dataclass(frozen=True)
class PurgePreview:
    today: date
    kinds: tuple[KindDue, ...]
    held: tuple[HeldClient, ...]
    # Clients with records due whose closing date was not recorded: their last change
    # is taken as the end of the relationship.
    inferred: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(k.count for k in self.kinds)


@dataclass(frozen=True)
class PurgeResult:
    run_uid: str
    today: date
    kinds: tuple[KindDue, ...]  # what each kind removed
    held: tuple[HeldClient, ...]
    inferred: tuple[int, ...]

    @property
    def removed(self) -> int:
        return sum(k.count for k in self.kinds)


def stamp(value: datetime) -> str:
    """The text form timestamps are stored in (naive UTC)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def runs(ids: Iterable[int]) -> list[int | list[int]]:
    """Ids as compact runs: [1, 2, 3, 7] -> [[1, 3], 7]."""
    out: list[int | list[int]] = []
    for i in sorted(set(ids)):
        last = out[-1] if out else None
        if isinstance(last, list) and last[1] == i - 1:
            last[1] = i
        elif isinstance(last, int) and last == i - 1:
            out[-1] = [last, i]
        else:
            out.append(i)
    return out


def _policy(s: Session, key: str) -> Policy:
    return next(p for p in read_policies(s) if p.kind.key == key)


def _line(policy: Policy, due: Due, rows: dict[str, int] | None = None) -> KindDue:
    return KindDue(policy.kind.key, policy.kind.label, policy.years, due.cutoff, due.count,
                   rows if rows is not None else {t: len(ids) for t, ids in due.rows.items()})


def _held(db: Any, clients: dict[int, ClosedClient], policy: Policy,
          cutoff: date) -> set[int]:
    """Held clients past the cutoff who have something of this kind that would go."""
    held = held_past(clients, cutoff)
    if not held:
        return set()
    return FINDERS[policy.kind.key](db, held, cutoff, False).clients


def _held_list(clients: dict[int, ClosedClient],
               held: dict[int, list[str]]) -> tuple[HeldClient, ...]:
    return tuple(HeldClient(c.id, c.name, c.ended, c.inferred, c.held, tuple(held[c.id]))
                 for c in (clients[i] for i in sorted(held)))


def preview(s: Session, today: date) -> PurgePreview:
    db = dbapi(s)
    clients = closed_clients(db)
    lines: list[KindDue] = []
    held: dict[int, list[str]] = {}
    inferred: set[int] = set()
    for policy in read_policies(s):
        cutoff = years_before(today, policy.years)
        due = FINDERS[policy.kind.key](db, past(clients, cutoff), cutoff, True)
        lines.append(_line(policy, due))
        inferred |= {c for c in due.clients if c in clients and clients[c].inferred}
        for cid in _held(db, clients, policy, cutoff):
            held.setdefault(cid, []).append(policy.kind.key)
    return PurgePreview(today, tuple(lines), _held_list(clients, held), tuple(sorted(inferred)))


def purge_kind(s: Session, actor: Actor, run_uid: str, key: str,
               today: date) -> tuple[KindDue, dict[int, ClosedClient], set[int], list[int]]:
    """One kind's purge inside the caller's write transaction; (what it removed, the
    closed clients as read before, the held ones, clients whose end was inferred)."""
    db = dbapi(s)
    policy = _policy(s, key)
    cutoff = years_before(today, policy.years)
    clients = closed_clients(db)
    held = _held(db, clients, policy, cutoff)
    due = FINDERS[key](db, past(clients, cutoff), cutoff, True)
    rows, inferred = remove(db, due, stamp(datetime.now(UTC)))
    detail = {"ids": {table: runs(ids) for table, ids in due.rows.items() if ids},
              "rows": rows, "held_clients": runs(held), "inferred_end": runs(inferred)}
    row = RetentionPurge(run_uid=run_uid, kind=key, cutoff=cutoff, removed=due.count,
                         detail=detail, actor_id=actor.id, at=datetime.now(UTC))
    s.add(row)
    s.flush()
    audit.record(s, actor, "retention.purge", "retention_purge", row.id,
                 after={"run": run_uid, "kind": key, "years": policy.years, "cutoff": cutoff,
                        "removed": due.count, "rows": rows, "held_clients": sorted(held),
                        "inferred_end": inferred})
    return _line(policy, due), clients, held, inferred


def new_run() -> str:
    return str(uuid.uuid4())


def result(run_uid: str, today: date, parts: list[tuple[KindDue, dict[int, ClosedClient],
                                                        set[int], list[int]]]) -> PurgeResult:
    held: dict[int, list[str]] = {}
    clients: dict[int, ClosedClient] = {}
    inferred: set[int] = set()
    for line, seen, held_ids, inferred_ids in parts:
        clients.update(seen)
        inferred |= set(inferred_ids)
        for cid in held_ids:
            held.setdefault(cid, []).append(line.kind)
    return PurgeResult(run_uid, today, tuple(p[0] for p in parts), _held_list(clients, held),
                       tuple(sorted(inferred)))
