"""Deciding a case: closing it with an outcome and a reason (its alerts close with
it; a confirmed risk may freeze the client), and reopening a closed case with a reason.

A freeze made here is the one a confirmed sanctions match makes (clients.frozen): the
gates (app.kyc.gates) refuse money out and new live accounts until compliance lifts
it with a reason (app.services.screening.review.lift_freeze). Reopening a case does
not lift it: that is a decision of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app import audit
from app.compliance.alerts import move_alert, reason_text
from app.compliance.cases import OUTCOMES, changed, current, editable, write_note
from app.compliance.sharing import case_alerts
from app.errors import ValidationFailed
from app.models.compliance import AlertStatus, CaseStatus, ComplianceCase
from app.models.crm import Client
from app.roles import Actor, Permission, require
from app.services.workspace import Desk


def close_case(desk: Desk, case_id: int, expected_version: int, outcome: str, reason: str, *,
               freeze_withdrawals: bool = False) -> int:
    """Decide the case; its alerts close with it. A confirmed risk may freeze the client
    (needs the right to freeze clients too)."""
    require(desk.actor, Permission.WORK_ALERTS)
    if outcome not in OUTCOMES:
        raise ValidationFailed("A case closes as a confirmed risk or as a false positive.",
                               "outcome")
    reason = reason_text(reason, f"Say why the case closes as a {OUTCOMES[outcome]}.")
    if freeze_withdrawals:
        if outcome != "confirmed_risk":
            raise ValidationFailed("Only a confirmed risk freezes the client.", "freeze")
        require(desk.actor, Permission.REVIEW_SCREENING)
    with desk.store.write() as s:
        case = editable(s, case_id, expected_version)
        before = {"status": case.status.value}
        froze = freeze_withdrawals and _freeze(s, desk.actor, case, reason)
        case.status, case.outcome, case.outcome_reason = CaseStatus.CLOSED, outcome, reason
        case.closed_by, case.closed_at = desk.actor.id, datetime.now(UTC)
        case.froze_withdrawals = case.froze_withdrawals or froze
        alerts = case_alerts(s, case.id)
        for alert in alerts:
            move_alert(s, desk.actor, alert, AlertStatus.CLOSED)
        return changed(s, desk.actor, case, "compliance_case.close", before,
                       {"status": CaseStatus.CLOSED.value, "outcome": outcome,
                        "reason": reason, "froze_withdrawals": froze,
                        "alerts_closed": [a.uid for a in alerts]})


def _freeze(s: Session, actor: Actor, case: ComplianceCase, reason: str) -> bool:
    """Freeze the case's client; False if it was frozen already (that freeze stands)."""
    client = None if case.client_id is None else s.get(Client, case.client_id)
    if client is None:
        raise ValidationFailed("This case is about no client, so there is nobody to freeze.",
                               "freeze")
    if client.frozen:
        return False
    client.frozen = True
    client.frozen_reason = f"Confirmed risk in compliance case “{case.title}”: {reason}"[:500]
    client.version += 1
    audit.record(s, actor, "client.freeze", "client", client.id,
                 after={"reason": client.frozen_reason, "case": case.id})
    return True


def reopen_case(desk: Desk, case_id: int, expected_version: int, reason: str) -> int:
    """A closed case opens again: outcome cleared, its alerts back in it. A freeze it
    made stays until compliance lifts it."""
    require(desk.actor, Permission.WORK_ALERTS)
    reason = reason_text(reason, "Say why the case is reopened (for example: new deposits "
                                 "from the same third party).")
    with desk.store.write() as s:
        case = current(s, case_id, expected_version)
        if case.status is not CaseStatus.CLOSED:
            raise ValidationFailed(f"The case “{case.title}” is not closed.", "status")
        before = {"status": case.status.value, "outcome": case.outcome,
                  "outcome_reason": case.outcome_reason}
        case.status, case.outcome, case.outcome_reason = CaseStatus.OPEN, "", ""
        case.closed_by, case.closed_at = None, None
        for alert in case_alerts(s, case.id):
            move_alert(s, desk.actor, alert, AlertStatus.IN_CASE)
        write_note(s, desk.actor, case, f"Reopened: {reason}")
        return changed(s, desk.actor, case, "compliance_case.reopen", before,
                       {"status": CaseStatus.OPEN.value, "reason": reason})
