"""The partner tree on any date: parents follow the moves effective by then.

A move never rewrites history: deals before its date keep the uplines they had.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class Move:
    partner_id: int
    old_parent: int | None
    new_parent: int | None
    effective_from: date


@dataclass
class Tree:
    """Parents now (`parent`), activity, and each partner's moves by date."""

    parent: dict[int, int | None]
    active: dict[int, bool]
    names: dict[int, str] = field(default_factory=dict)
    moves: dict[int, list[Move]] = field(default_factory=dict)
    _days: dict[int, list[date]] = field(default_factory=dict)

    @classmethod
    def load(cls, db: Any) -> Tree:
        """From the driver connection of a transaction."""
        parent: dict[int, int | None] = {}
        active: dict[int, bool] = {}
        names: dict[int, str] = {}
        for pid, par, act, name in db.execute(
                "SELECT id, parent_id, active, name FROM partners"):
            parent[pid], active[pid], names[pid] = par, bool(act), name
        t = cls(parent, active, names)
        t.add_moves(Move(p, o, n, date.fromisoformat(str(d)[:10])) for p, o, n, d in db.execute(
            "SELECT partner_id, old_parent_id, new_parent_id, effective_from"
            " FROM partner_moves ORDER BY effective_from, id"))
        return t

    def add_moves(self, moves: Iterable[Move]) -> None:
        for m in moves:
            self.moves.setdefault(m.partner_id, []).append(m)
        for pid, ms in self.moves.items():
            ms.sort(key=lambda m: m.effective_from)
            self._days[pid] = [m.effective_from for m in ms]

    def parent_on(self, pid: int, day: date) -> int | None:
        ms = self.moves.get(pid)
        if not ms:
            return self.parent.get(pid)
        i = bisect.bisect_right(self._days[pid], day)
        return ms[i - 1].new_parent if i else ms[0].old_parent

    def chain(self, pid: int, day: date) -> list[int]:
        """The partner and its uplines on `day`, up to the first inactive one."""
        out: list[int] = []
        cur: int | None = pid
        while cur is not None and self.active.get(cur, False):
            if cur in out:
                raise ValidationFailed("The partner tree has a loop; fix the last move.",
                                       "parent")
            out.append(cur)
            cur = self.parent_on(cur, day)
        return out

    def children(self, day: date) -> dict[int | None, list[int]]:
        kids: dict[int | None, list[int]] = {}
        for pid in self.parent:
            kids.setdefault(self.parent_on(pid, day), []).append(pid)
        for ids in kids.values():
            ids.sort(key=lambda i: self.names.get(i, "").casefold())
        return kids

    def depth_on(self, pid: int, day: date) -> int:
        n, cur = 0, self.parent_on(pid, day)
        while cur is not None and n <= len(self.parent):
            n, cur = n + 1, self.parent_on(cur, day)
        return n

    def check_move(self, pid: int, new_parent: int | None, effective_from: date) -> None:
        """Refuses a move that would put a partner under itself on its date or on the
        date of any later move."""
        if new_parent is not None and new_parent not in self.parent:
            raise ValidationFailed("Choose an existing partner as the new upline.", "parent")
        if new_parent == pid:
            raise ValidationFailed("A partner cannot be its own upline.", "parent")
        trial = Tree(dict(self.parent), self.active, self.names)
        trial.add_moves([m for ms in self.moves.values() for m in ms])
        trial.add_moves([Move(pid, self.parent_on(pid, effective_from), new_parent,
                              effective_from)])
        days = {effective_from} | {m.effective_from for ms in self.moves.values() for m in ms
                                   if m.effective_from > effective_from}
        for day in sorted(days):
            cur, seen = new_parent, 0
            while cur is not None:
                if cur == pid:
                    name = self.names.get(new_parent or 0, f"#{new_parent}")
                    raise ValidationFailed(
                        f"{name} is below {self.names.get(pid, f'#{pid}')} in the tree on "
                        f"{day:%d %b %Y}: the move would make a loop.", "parent")
                cur, seen = trial.parent_on(cur, day), seen + 1
                if seen > len(self.parent):
                    raise ValidationFailed("The partner tree has a loop; fix the last move.",
                                           "parent")
