"""Posting balanced journal entries, once per source, and reversing them.

An entry's postings are signed minor units (debit positive, credit negative) and
must sum to zero in each currency, or nothing is written. Each entry names its
source (a deal, a payment event, a payout); the same source never posts twice, so
replaying a page of deals or a payment update changes nothing. Entries are never
edited or deleted: a mistake is undone by a reversing entry with a reason.

Functions take the driver connection of the caller's write transaction, so an entry
lands together with the change that caused it.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from operator import itemgetter
from typing import Any, NamedTuple

from app.errors import NotFound, ValidationFailed
from app.ledger.chart import Accounts, account
from app.money import format_money

REVERSAL = "reversal"
_AMOUNT = itemgetter(1)


class Unbalanced(ValidationFailed):
    pass


@cache
def currency_of(code: str) -> str:
    return code.rsplit(":", 1)[1]


class Line(NamedTuple):
    code: str           # ledger account code (chart.py); its currency is the line's
    amount: int         # minor units, debit positive

    @property
    def currency(self) -> str:
        return currency_of(self.code)


class Draft(NamedTuple):
    source_kind: str
    source_ref: str
    memo: str
    # Lines, or plain (code, amount) pairs on hot paths (a page of deals).
    lines: Sequence[tuple[str, int]]
    at: datetime | str   # or already as stored: 'YYYY-MM-DD HH:MM:SS.ffffff' UTC


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """For building a page of entries: hundreds of thousands of short-lived tuples
    that hold no reference cycles, yet set off the cycle collector every 700
    allocations (measured: a fifth of the time of posting a page of deals)."""
    if not gc.isenabled():  # paused by an outer page, or by the caller on purpose
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def stamp(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"


def check(lines: Sequence[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """The lines without zeros; Unbalanced unless they sum to zero per currency."""
    # One pass, and no copy of the usual entry (no zero line, one currency): half
    # the time of filtering first, on a page of deals.
    total, currencies, zeros = 0, set(), False
    for code, amount in lines:
        if not amount:
            zeros = True
        elif type(amount) is not int:
            raise TypeError("ledger amounts are integers in minor units")
        else:
            total += amount
            currencies.add(currency_of(code))
    kept = tuple(filter(_AMOUNT, lines)) if zeros else tuple(lines)
    if total == 0 and len(currencies) <= 1:
        return kept
    totals: dict[str, int] = defaultdict(int)
    for code, amount in kept:
        totals[currency_of(code)] += amount
    off = {c: t for c, t in totals.items() if t}
    if off:
        parts = ", ".join(f"{format_money(abs(t), c)} more {'debit' if t > 0 else 'credit'}"
                          for c, t in sorted(off.items()))
        raise Unbalanced(f"The entry does not balance: {parts}. Nothing was posted.",
                         "postings")
    return kept


def post(db: Any, accounts: Accounts, draft: Draft, *, actor_id: int | None = None,
         reason: str = "", reverses: int | None = None) -> int | None:
    """Post one entry; its id, or None when its source was posted before (or it has
    no non-zero line)."""
    lines = check(draft.lines)
    if not lines:
        return None
    for code, _ in lines:
        account(code)  # refuses a code outside the chart before anything is written
    cur = db.execute(
        "INSERT INTO journal_entries (posted_at, memo, source_kind, source_ref,"
        " reverses_entry_id, created_by, reason) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (source_kind, source_ref) DO NOTHING",
        (draft.at if isinstance(draft.at, str) else stamp(draft.at), draft.memo[:300],
         draft.source_kind, draft.source_ref[:64], reverses, actor_id, reason[:300]))
    if cur.rowcount == 0:
        return None
    entry = int(cur.lastrowid)
    db.executemany("INSERT INTO postings (entry_id, ledger_account_id, amount_minor, currency)"
                   " VALUES (?, ?, ?, ?)",
                   [(entry, accounts.id(code), amount, currency_of(code))
                    for code, amount in lines])
    return entry


@cycle_collection_paused()
def post_many(db: Any, accounts: Accounts, drafts: Iterable[Draft]) -> int:
    """Post many entries at once (a page of deals); sources posted before are
    skipped. Returns how many entries were written."""
    pending: dict[tuple[str, str], tuple[Draft, tuple[tuple[str, int], ...]]] = {}
    for d in drafts:
        lines = check(d.lines)
        if lines:
            pending.setdefault((d.source_kind, d.source_ref), (d, lines))
    if not pending:
        return 0
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, ref in pending:
        by_kind[kind].append(ref)
    # The unique index on the source would refuse a double too, but only by failing
    # the whole page; asking first (1-2% of a page's time) lets a replayed page post
    # just what is new.
    for kind, refs in by_kind.items():
        for i in range(0, len(refs), 900):
            chunk = refs[i:i + 900]
            marks = ",".join("?" * len(chunk))
            for (ref,) in db.execute(f"SELECT source_ref FROM journal_entries WHERE"
                                     f" source_kind = ? AND source_ref IN ({marks})",
                                     (kind, *chunk)):
                pending.pop((kind, ref), None)
    if not pending:
        return 0
    (last,) = db.execute("SELECT coalesce(max(id), 0) FROM journal_entries").fetchone()
    entries: list[tuple[int, str, str, str, str]] = []
    postings: list[tuple[int, int, int, str]] = []
    ids = accounts.ids_of({code for _, lines in pending.values() for code, _ in lines})
    # A plain inner loop: a generator per entry took a third of this loop's time.
    add_entry, add_posting = entries.append, postings.append
    n = last
    for (kind, ref, memo, _, at), lines in pending.values():
        n += 1
        add_entry((n, at if isinstance(at, str) else stamp(at), memo, kind, ref))
        for code, amount in lines:
            add_posting((n, ids[code], amount, currency_of(code)))
    db.executemany("INSERT INTO journal_entries (id, posted_at, memo, source_kind,"
                   " source_ref, reason) VALUES (?, ?, ?, ?, ?, '')", entries)
    db.executemany("INSERT INTO postings (entry_id, ledger_account_id, amount_minor, currency)"
                   " VALUES (?, ?, ?, ?)", postings)
    return len(entries)


def reverse(db: Any, accounts: Accounts, entry_id: int, reason: str,
            actor_id: int | None, at: datetime | None = None) -> int:
    """Post the mirror image of an entry; the reason is required and kept."""
    if not reason.strip():
        raise ValidationFailed("Say why the entry is reversed: the reason is kept with "
                               "the reversal.", "reason")
    row = db.execute("SELECT memo, source_kind, reverses_entry_id FROM journal_entries"
                     " WHERE id = ?", (entry_id,)).fetchone()
    if row is None:
        raise NotFound(f"There is no journal entry #{entry_id}.")
    memo, kind, reverses = row
    if kind == REVERSAL or reverses is not None:
        raise ValidationFailed(f"Entry #{entry_id} is itself a reversal; post a new entry "
                               "instead of reversing it.", "entry")
    lines = [Line(code, -amount) for code, amount in db.execute(
        "SELECT a.code, p.amount_minor FROM postings p JOIN ledger_accounts a"
        " ON a.id = p.ledger_account_id WHERE p.entry_id = ? ORDER BY p.id", (entry_id,))]
    made = post(db, accounts, Draft(REVERSAL, str(entry_id), f"Reversal of #{entry_id}: {memo}",
                                    tuple(lines), at or datetime.now(UTC)),
                actor_id=actor_id, reason=reason.strip(), reverses=entry_id)
    if made is None:
        raise ValidationFailed(f"Entry #{entry_id} has already been reversed.", "entry")
    return made
