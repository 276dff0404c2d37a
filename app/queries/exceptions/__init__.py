"""The exception queue across parts: open reconciliation breaks, KYC documents
expiring or expired, periodic reviews overdue, payments stuck in a status, sync
conflicts and rejected commands, and alerts and compliance cases past their due date.
Each row says the same things whatever part it comes from (app.queries.exceptions.rows).
"""

from app.queries.exceptions.queue import exception_queue, read_queue
from app.queries.exceptions.rows import (
    AGE_BUCKETS,
    ExceptionKind,
    ExceptionRow,
    Part,
    RecordRef,
    age_bucket,
)
from app.queries.exceptions.settings import QueueSettings, queue_settings, set_queue_settings

__all__ = ["AGE_BUCKETS", "ExceptionKind", "ExceptionRow", "Part", "QueueSettings",
           "RecordRef", "age_bucket", "exception_queue", "queue_settings", "read_queue",
           "set_queue_settings"]
