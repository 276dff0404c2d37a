"""Alerts and cases as the gateway's shared records, queued in the caller's transaction.

A record about a client who is only on this desk (no external id) is not shared: the
other desks could not tell who it is about, and the gateway would refuse it. Once the
client reaches the platform, the next change of the case sends it with its alerts.
Nothing is put back locally if the gateway refuses: the decision stands here and the
refusal shows in the Sync part, as for screening reviews.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.kyc.records import next_base
from app.models.compliance import Alert, CaseAlert, ComplianceCase
from app.models.crm import Client
from app.models.sync_state import OutboxCommand, OutboxStatus
from app.models.users import User
from app.roles import Actor
from app.services.outbox import put_record

# The alert's own key and due date have no field on the wire: they ride in its
# evidence under this name, and the receiving desk puts them back in their columns.
RAISED = "_raised"
# Kept in an alert's evidence (here and on the wire): who dismissed it and why.
REVIEW = "_review"


def _client(s: Session, client_id: int | None) -> Client | None:
    return None if client_id is None else s.get(Client, client_id)


def shareable(client: Client | None) -> bool:
    """Records about no client, or a client the gateway knows, can be shared."""
    return client is None or client.external_id is not None


def alert_data(s: Session, alert: Alert) -> dict[str, Any] | None:
    client = _client(s, alert.client_id)
    if not shareable(client):
        return None
    evidence = dict(alert.evidence)
    raised = {"key": alert.key,
              "due_date": None if alert.due_date is None else alert.due_date.isoformat()}
    if any(v is not None for v in raised.values()):
        evidence[RAISED] = {k: v for k, v in raised.items() if v is not None}
    return {"rule": alert.rule, "severity": alert.severity.value,
            "client_id": None if client is None else client.external_id,
            "status": alert.status.value, "summary": alert.summary, "evidence": evidence}


def share_alert(s: Session, actor: Actor, alert: Alert) -> bool:
    """Queue the alert as it stands now; False when it stays on this desk."""
    data = alert_data(s, alert)
    if data is None:
        return False
    put_record(s, actor, "alert", alert.uid,
               next_base(s, "alert", alert.uid, alert.server_version), data, revert=None)
    return True


def _never_sent(s: Session, alert: Alert) -> bool:
    if alert.server_version:
        return False
    return s.scalar(select(OutboxCommand.id).where(
        OutboxCommand.entity == "alert", OutboxCommand.entity_ref == alert.uid,
        OutboxCommand.status.not_in((OutboxStatus.REJECTED, OutboxStatus.DISCARDED)))
        .limit(1)) is None


def case_alerts(s: Session, case_id: int) -> list[Alert]:
    return list(s.scalars(select(Alert).join(CaseAlert, CaseAlert.alert_id == Alert.id)
                          .where(CaseAlert.case_id == case_id).order_by(Alert.id)))


def share_case(s: Session, actor: Actor, case: ComplianceCase) -> bool:
    """Queue the case as it stands now, after any of its alerts the gateway has never
    had (the case names them); False when it stays on this desk."""
    client = _client(s, case.client_id)
    if not shareable(client):
        return False
    alerts = case_alerts(s, case.id)
    for alert in alerts:
        if _never_sent(s, alert):
            share_alert(s, actor, alert)
    assignee = None if case.assignee_id is None else s.get(User, case.assignee_id)
    put_record(s, actor, "compliance_case", case.uid,
               next_base(s, "compliance_case", case.uid, case.server_version), {
                   "title": case.title,
                   "client_id": None if client is None else client.external_id,
                   "status": case.status.value, "outcome": case.outcome,
                   "outcome_reason": case.outcome_reason,
                   "assignee": None if assignee is None else assignee.username,
                   "due_date": None if case.due_date is None else case.due_date.isoformat(),
                   "alert_ids": [a.uid for a in alerts]}, revert=None)
    return True
