"""Open exceptions by age: how many of each part's exceptions are 0–1, 2–7, 8–30 and
over 30 days old today. Exceptions are counted as they stand now, whatever the
period; with a choice of clients, only those about these clients count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.analytics.scope import ClientFilter
from app.queries.exceptions import AGE_BUCKETS, Part
from app.queries.exceptions.ages import count_ages

BUCKET_LABELS = tuple(label for label, _low, _high in AGE_BUCKETS)


@dataclass(frozen=True)
class ExceptionAges:
    parts: tuple[Part, ...]
    counts: tuple[tuple[int, ...], ...]   # per part, per age bucket

    @property
    def by_bucket(self) -> tuple[int, ...]:
        return tuple(sum(c[i] for c in self.counts) for i in range(len(AGE_BUCKETS)))

    @property
    def total(self) -> int:
        return sum(self.by_bucket)


def read_exception_ages(s: Session, filters: ClientFilter,
                        now: datetime | None = None) -> ExceptionAges:
    counts = count_ages(s, now=now, filters=filters)
    return ExceptionAges(tuple(Part), tuple(tuple(counts[p]) for p in Part))
