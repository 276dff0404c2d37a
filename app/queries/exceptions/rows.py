"""One exception queue across the parts: what a row says, whatever it came from."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date


class Part(enum.StrEnum):
    RECONCILIATION = "reconciliation"
    KYC = "kyc"
    PAYMENTS = "payments"
    SYNC = "sync"
    COMPLIANCE = "compliance"

    @property
    def label(self) -> str:
        return "KYC" if self is Part.KYC else self.value.capitalize()


class ExceptionKind(enum.StrEnum):
    RECON_BREAK = "recon_break"
    DOCUMENT_EXPIRING = "document_expiring"
    DOCUMENT_EXPIRED = "document_expired"
    REVIEW_OVERDUE = "review_overdue"
    PAYMENT_STUCK = "payment_stuck"
    SYNC_CONFLICT = "sync_conflict"
    COMMAND_REJECTED = "command_rejected"
    ALERT_OVERDUE = "alert_overdue"
    CASE_OVERDUE = "case_overdue"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def part(self) -> Part:
        return _PARTS[self]


_LABELS = {
    ExceptionKind.RECON_BREAK: "Reconciliation break",
    ExceptionKind.DOCUMENT_EXPIRING: "Document expiring",
    ExceptionKind.DOCUMENT_EXPIRED: "Document expired",
    ExceptionKind.REVIEW_OVERDUE: "Periodic review overdue",
    ExceptionKind.PAYMENT_STUCK: "Payment stuck",
    ExceptionKind.SYNC_CONFLICT: "Sync conflict",
    ExceptionKind.COMMAND_REJECTED: "Change rejected by the gateway",
    ExceptionKind.ALERT_OVERDUE: "Alert past its due date",
    ExceptionKind.CASE_OVERDUE: "Case past its due date",
}
_PARTS = {
    ExceptionKind.RECON_BREAK: Part.RECONCILIATION,
    ExceptionKind.DOCUMENT_EXPIRING: Part.KYC,
    ExceptionKind.DOCUMENT_EXPIRED: Part.KYC,
    ExceptionKind.REVIEW_OVERDUE: Part.KYC,
    ExceptionKind.PAYMENT_STUCK: Part.PAYMENTS,
    ExceptionKind.SYNC_CONFLICT: Part.SYNC,
    ExceptionKind.COMMAND_REJECTED: Part.SYNC,
    ExceptionKind.ALERT_OVERDUE: Part.COMPLIANCE,
    ExceptionKind.CASE_OVERDUE: Part.COMPLIANCE,
}


@dataclass(frozen=True)
class RecordRef:
    """The record to open: `kind` names its table's record, `id` its local number.

    kinds: recon_exception, kyc_case (a document's or a review's case), payment,
    outbox (a command on the Sync page), alert, compliance_case."""

    kind: str
    id: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class ExceptionRow:
    """Something in one part of the back office that waits for a person.

    Age counts whole days from when the item was raised (a break first seen, an
    alert or case opened, a command written, a payment entering its status) or, for
    what a calendar makes due (a review, a document's expiry), from that date; a
    document not expired yet is 0 days old."""

    kind: ExceptionKind
    summary: str
    client_id: int | None
    client_name: str
    age_days: int
    owner: str
    due: date | None
    ref: RecordRef

    @property
    def part(self) -> Part:
        return self.kind.part


# Ages as management reads them: the last one is open-ended.
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0–1 days", 0, 1), ("2–7 days", 2, 7), ("8–30 days", 8, 30), ("over 30 days", 31, None))


def age_bucket(age_days: int) -> int:
    for i, (_label, low, high) in enumerate(AGE_BUCKETS):
        if age_days >= low and (high is None or age_days <= high):
            return i
    return 0  # a negative age (a clock ahead of ours) is as new as it gets
