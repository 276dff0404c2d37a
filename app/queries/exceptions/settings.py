"""When something counts as an exception: how long a payment may wait in one status,
and how far ahead a document's expiry shows. Kept as workspace settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app import audit
from app.errors import ValidationFailed
from app.kyc.settings import load as load_risk_settings
from app.roles import Permission, require
from app.services.workspace import Desk, get_setting, set_setting

STUCK_HOURS_KEY = "exceptions.stuck_payment_hours"
DOCUMENT_DAYS_KEY = "exceptions.document_days"
# A day is long for a card deposit and short for a wire over a weekend; one day still
# catches the ones nobody is chasing without flooding the queue.
DEFAULT_STUCK_HOURS = 24
HOURS_RANGE = (1, 720)
DAYS_RANGE = (0, 365)


@dataclass(frozen=True)
class QueueSettings:
    stuck_payment_hours: int = DEFAULT_STUCK_HOURS
    document_days: int = 30


def queue_settings(s: Session) -> QueueSettings:
    """The workspace's settings. Until documents have their own horizon, KYC's expiry
    warning (the risk settings) is used, so both queues agree."""
    hours = get_setting(s, STUCK_HOURS_KEY)
    days = get_setting(s, DOCUMENT_DAYS_KEY)
    return QueueSettings(
        int(hours) if hours else DEFAULT_STUCK_HOURS,
        int(days) if days else load_risk_settings(s).expiry_warning_days)


def _checked(value: int, bounds: tuple[int, int], what: str, field: str) -> int:
    if not bounds[0] <= value <= bounds[1]:
        raise ValidationFailed(f"{what} must be between {bounds[0]} and {bounds[1]}.", field)
    return value


def set_queue_settings(desk: Desk, *, stuck_payment_hours: int | None = None,
                       document_days: int | None = None) -> QueueSettings:
    """Change either setting (administrators; audited); returns the settings now."""
    require(desk.actor, Permission.MANAGE_WORKSPACE)
    changes = {}
    if stuck_payment_hours is not None:
        changes[STUCK_HOURS_KEY] = _checked(stuck_payment_hours, HOURS_RANGE,
                                            "The hours a payment may wait", "stuck_hours")
    if document_days is not None:
        changes[DOCUMENT_DAYS_KEY] = _checked(document_days, DAYS_RANGE,
                                              "The days ahead for expiring documents",
                                              "document_days")
    with desk.store.write() as s:
        for key, value in changes.items():
            before = get_setting(s, key)
            set_setting(s, key, str(value))
            audit.record(s, desk.actor, "settings.update", "setting", key,
                         before={"value": before}, after={"value": str(value)})
        return queue_settings(s)
