"""How many open exceptions each part has in each age bucket, counted in SQL from the
same searches the queue lists (the queue's rows cost a few milliseconds each to
word; a dashboard wants only the counts)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, cast, func
from sqlalchemy.orm import QueryableAttribute, Session

from app.analytics.scope import EVERYONE, ClientFilter
from app.queries.exceptions import parts
from app.queries.exceptions.rows import AGE_BUCKETS, Part, age_bucket
from app.queries.exceptions.settings import QueueSettings, queue_settings


def _bucket(since: QueryableAttribute[Any], today: date) -> ColumnElement[int]:
    """The age bucket of `since` (a stored date or timestamp) as of `today`; ages below
    zero (a clock ahead of ours) count as new, as in the queue."""
    age = cast(func.julianday(today.isoformat()) - func.julianday(func.date(since)), Integer)
    bounded = [(age <= high, i) for i, (_l, _low, high) in enumerate(AGE_BUCKETS)
               if high is not None]
    return case(*bounded, else_=len(AGE_BUCKETS) - 1)


def count_ages(s: Session, *, now: datetime | None = None,
               settings: QueueSettings | None = None,
               filters: ClientFilter = EVERYONE) -> dict[Part, list[int]]:
    now = now or datetime.now(UTC)
    settings = settings or queue_settings(s)
    today = now.date()
    counts = {part: [0] * len(AGE_BUCKETS) for part in Part}
    for search in (parts.recon_search(filters), parts.review_search(today, filters),
                   parts.payment_search(now, settings.stuck_payment_hours, filters),
                   parts.outbox_search(filters), parts.alert_search(today, filters),
                   parts.case_search(today, filters)):
        bucket = _bucket(search.since, today).label("bucket")
        for i, n in s.execute(search.select.with_only_columns(bucket, func.count())
                              .group_by(bucket)):
            counts[search.part][i] += n
    # Whether a document still needs chasing is decided per client in Python (which
    # requirement each document answers); there are few enough to read them whole.
    for row in parts.documents(s, today, settings.document_days, filters):
        counts[Part.KYC][age_bucket(row.age_days)] += 1
    return counts
