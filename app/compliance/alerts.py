"""Working the alert queue: an alert is dismissed as a false positive with a reason, or
put in a case (app.compliance.cases). The helpers here are shared with the cases."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app import audit
from app.compliance.sharing import REVIEW, share_alert
from app.errors import NotFound, StaleRecord, ValidationFailed
from app.models.compliance import Alert, AlertStatus
from app.roles import Actor, Permission, require
from app.services.workspace import Desk

MAX_REASON = 5000
STATUS_WORDS = {AlertStatus.OPEN: "open", AlertStatus.IN_CASE: "already in a case",
                AlertStatus.CLOSED: "already closed"}


def reason_text(text: str, missing: str, field: str = "reason") -> str:
    """A reason as it is kept: required, spaces tidied, not a novel."""
    text = " ".join(text.split())
    if not text:
        raise ValidationFailed(missing, field)
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"Keep the {field.replace('_', ' ')} under {MAX_REASON:,} "
                               "characters.", field)
    return text


def load_alert(s: Session, alert_id: int) -> Alert:
    alert = s.get(Alert, alert_id)
    if alert is None:
        raise NotFound("This alert no longer exists.")
    return alert


def label(alert: Alert, start: bool = False) -> str:
    """The alert as a sentence names it (`start`: at the sentence's start)."""
    return f"{'The' if start else 'the'} alert “{alert.summary}”"


def move_alert(s: Session, actor: Actor, alert: Alert, status: AlertStatus) -> None:
    """Change an alert's status, counted as a change and shared; the caller audits."""
    if alert.status is status:
        return
    alert.status = status
    alert.version += 1
    share_alert(s, actor, alert)


def dismiss_alert(desk: Desk, alert_id: int, expected_version: int, reason: str) -> int:
    """Close an open alert as a false positive, without a case. Returns its new version."""
    require(desk.actor, Permission.WORK_ALERTS)
    reason = reason_text(reason, "Say why this alert is a false positive (for example: "
                                 "the third-party payer is the client's own company).")
    with desk.store.write() as s:
        alert = load_alert(s, alert_id)
        if alert.version != expected_version:
            raise StaleRecord(f"{label(alert, start=True)} was changed by someone else "
                              "while you looked at it. Nothing was changed; look at it again.")
        if alert.status is not AlertStatus.OPEN:
            raise ValidationFailed(f"{label(alert, start=True)} is "
                                   f"{STATUS_WORDS[alert.status]}, so it cannot be dismissed "
                                   "on its own.", "alert")
        review = {"outcome": "false_positive", "reason": reason, "by": desk.actor.username,
                  "at": datetime.now(UTC).isoformat(timespec="seconds")}
        alert.evidence = {**alert.evidence, REVIEW: review}
        move_alert(s, desk.actor, alert, AlertStatus.CLOSED)
        audit.record(s, desk.actor, "alert.dismiss", "alert", alert.id,
                     before={"status": AlertStatus.OPEN.value},
                     after={"status": AlertStatus.CLOSED.value, "reason": reason,
                            "rule": alert.rule, "client": alert.client_id})
        return alert.version
