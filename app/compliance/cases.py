"""Compliance cases: opened from alerts and worked (alerts added or taken out, status,
assignee, due date, notes). Closing and reopening are in app.compliance.decisions.

Status goes open → investigating → closed and never back, except that a closed case
can be reopened with a reason (it becomes open again, its alerts are back in it, and
the reason is kept as a note). Each change checks the case's version the person saw.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app import audit
from app.compliance.alerts import STATUS_WORDS, label, load_alert, move_alert
from app.compliance.sharing import case_alerts, share_case
from app.errors import NotFound, StaleRecord, ValidationFailed
from app.models.compliance import (
    Alert,
    AlertStatus,
    CaseAlert,
    CaseNote,
    CaseStatus,
    ComplianceCase,
)
from app.models.users import User
from app.roles import ROLE_PERMISSIONS, Actor, Permission, require
from app.services.workspace import Desk

OUTCOMES = {"confirmed_risk": "confirmed risk", "false_positive": "false positive"}
MAX_NOTE = 10_000


def load_case(s: Session, case_id: int) -> ComplianceCase:
    case = s.get(ComplianceCase, case_id)
    if case is None:
        raise NotFound("This compliance case no longer exists.")
    return case


def current(s: Session, case_id: int, expected_version: int) -> ComplianceCase:
    """The case, if it is still as the person saw it."""
    case = load_case(s, case_id)
    if case.version != expected_version:
        raise StaleRecord(f"The case “{case.title}” was changed by someone else (here or on "
                          "another desk) since you opened it. Nothing was changed; look at "
                          "the case again and redo your change.")
    return case


def editable(s: Session, case_id: int, expected_version: int) -> ComplianceCase:
    """The case, if it is still as the person saw it and not closed."""
    case = current(s, case_id, expected_version)
    if case.status is CaseStatus.CLOSED:
        raise ValidationFailed(f"The case “{case.title}” is closed. Reopen it (with a "
                               "reason) to change it.", "case")
    return case


def changed(s: Session, actor: Actor, case: ComplianceCase, action: str,
            before: dict[str, Any], after: dict[str, Any]) -> int:
    """A change made: counted (stale edits are caught by it), shared, audited."""
    case.version += 1
    share_case(s, actor, case)
    audit.record(s, actor, action, "compliance_case", case.id, before=before, after=after)
    return case.version


def assignee(s: Session, user_id: int | None) -> User | None:
    """Only someone who may work alerts and cases can be given one."""
    if user_id is None:
        return None
    user = s.get(User, user_id)
    if user is None:
        raise NotFound("That user no longer exists.")
    if not user.active:
        raise ValidationFailed(f"{user.full_name} is not an active user of this desk; "
                               "choose someone else.", "assignee")
    if Permission.WORK_ALERTS not in ROLE_PERMISSIONS[user.role]:
        raise ValidationFailed(f"{user.full_name} ({user.role.label}) may not work "
                               "compliance alerts and cases, so the case cannot be assigned "
                               "to them. Choose a compliance officer or a manager.",
                               "assignee")
    return user


def _due(due: date | None, today: date | None) -> date | None:
    if due is not None and due < (today or date.today()):
        raise ValidationFailed(f"The due date {due:%d %b %Y} has already passed; choose today "
                               "or a later day.", "due_date")
    return due


def _free_alerts(s: Session, alert_ids: Sequence[int], client_id: int | None,
                 with_client: bool) -> list[Alert]:
    """Open alerts, all about one client (the case's, when `with_client`)."""
    alerts = [load_alert(s, i) for i in dict.fromkeys(alert_ids)]
    if not alerts:
        raise ValidationFailed("Choose at least one alert.", "alerts")
    for alert in alerts:
        if alert.status is not AlertStatus.OPEN:
            raise ValidationFailed(f"{label(alert, start=True)} is "
                                   f"{STATUS_WORDS[alert.status]}.", "alerts")
    clients = {a.client_id for a in alerts if a.client_id is not None}
    if with_client and client_id is not None:
        clients.add(client_id)
    if len(clients) > 1:
        raise ValidationFailed("These alerts are about different clients; a case is about "
                               "one client. Open one case per client.", "alerts")
    return alerts


def open_case(desk: Desk, alert_ids: Sequence[int], title: str, *,
              assignee_id: int | None = None, due_date: date | None = None,
              today: date | None = None) -> int:
    """A case from one or more open alerts about one client; they move into it."""
    require(desk.actor, Permission.WORK_ALERTS)
    title = " ".join(title.split())
    if not title:
        raise ValidationFailed("Give the case a title that says what is looked into.", "title")
    if len(title) > 300:
        raise ValidationFailed("Keep the title under 300 characters.", "title")
    due = _due(due_date, today)
    with desk.store.write() as s:
        alerts = _free_alerts(s, alert_ids, None, False)
        person = assignee(s, assignee_id)
        client_id = next((a.client_id for a in alerts if a.client_id is not None), None)
        case = ComplianceCase(uid=str(uuid.uuid4()), title=title, client_id=client_id,
                              status=CaseStatus.OPEN, outcome="", outcome_reason="",
                              assignee_id=None if person is None else person.id, due_date=due,
                              opened_by=desk.actor.id, froze_withdrawals=False)
        s.add(case)
        s.flush()
        for alert in alerts:
            s.add(CaseAlert(case_id=case.id, alert_id=alert.id))
            move_alert(s, desk.actor, alert, AlertStatus.IN_CASE)
        share_case(s, desk.actor, case)
        audit.record(s, desk.actor, "compliance_case.open", "compliance_case", case.id,
                     after={"title": title, "client": client_id,
                            "alerts": [a.uid for a in alerts],
                            "assignee": None if person is None else person.username,
                            "due_date": due})
        return case.id


def add_alerts(desk: Desk, case_id: int, expected_version: int,
               alert_ids: Sequence[int]) -> int:
    require(desk.actor, Permission.WORK_ALERTS)
    with desk.store.write() as s:
        case = editable(s, case_id, expected_version)
        alerts = _free_alerts(s, alert_ids, case.client_id, True)
        for alert in alerts:
            s.add(CaseAlert(case_id=case.id, alert_id=alert.id))
            move_alert(s, desk.actor, alert, AlertStatus.IN_CASE)
        if case.client_id is None:
            case.client_id = next((a.client_id for a in alerts if a.client_id), None)
        s.flush()
        return changed(s, desk.actor, case, "compliance_case.add_alerts", {},
                       {"alerts": [a.uid for a in alerts]})


def remove_alert(desk: Desk, case_id: int, expected_version: int, alert_id: int) -> int:
    """Take an alert out of a case; it is open in the queue again."""
    require(desk.actor, Permission.WORK_ALERTS)
    with desk.store.write() as s:
        case = editable(s, case_id, expected_version)
        linked = case_alerts(s, case.id)
        alert = next((a for a in linked if a.id == alert_id), None)
        if alert is None:
            raise NotFound("This alert is not in the case any more.")
        if len(linked) == 1:
            raise ValidationFailed("This is the case's last alert. Close the case instead "
                                   "(as a false positive if there is nothing to it).", "alerts")
        s.execute(delete(CaseAlert).where(CaseAlert.case_id == case.id,
                                          CaseAlert.alert_id == alert.id))
        move_alert(s, desk.actor, alert, AlertStatus.OPEN)
        return changed(s, desk.actor, case, "compliance_case.remove_alert",
                       {"alert": alert.uid}, {"alert_status": AlertStatus.OPEN.value})


def start_investigation(desk: Desk, case_id: int, expected_version: int) -> int:
    require(desk.actor, Permission.WORK_ALERTS)
    with desk.store.write() as s:
        case = editable(s, case_id, expected_version)
        if case.status is not CaseStatus.OPEN:
            raise ValidationFailed(f"The case “{case.title}” is already being investigated.",
                                   "status")
        case.status = CaseStatus.INVESTIGATING
        return changed(s, desk.actor, case, "compliance_case.investigate",
                       {"status": CaseStatus.OPEN.value},
                       {"status": CaseStatus.INVESTIGATING.value})


def assign_case(desk: Desk, case_id: int, expected_version: int, user_id: int | None) -> int:
    """Give the case to someone who works alerts (None: to nobody)."""
    require(desk.actor, Permission.WORK_ALERTS)
    with desk.store.write() as s:
        case = editable(s, case_id, expected_version)
        person = assignee(s, user_id)
        before = case.assignee_id
        case.assignee_id = None if person is None else person.id
        return changed(s, desk.actor, case, "compliance_case.assign", {"assignee": before},
                       {"assignee": case.assignee_id,
                        "username": None if person is None else person.username})


def set_due_date(desk: Desk, case_id: int, expected_version: int, due_date: date | None, *,
                 today: date | None = None) -> int:
    require(desk.actor, Permission.WORK_ALERTS)
    due = _due(due_date, today)
    with desk.store.write() as s:
        case = editable(s, case_id, expected_version)
        before = case.due_date
        case.due_date = due
        return changed(s, desk.actor, case, "compliance_case.due_date",
                       {"due_date": before}, {"due_date": due})


def add_note(desk: Desk, case_id: int, body: str) -> int:
    """A note on the case (kept on this desk). Notes are added, never edited."""
    require(desk.actor, Permission.WORK_ALERTS)
    body = body.strip()
    if not body:
        raise ValidationFailed("A note needs some text.", "body")
    if len(body) > MAX_NOTE:
        raise ValidationFailed(f"Keep a note under {MAX_NOTE:,} characters.", "body")
    with desk.store.write() as s:
        case = load_case(s, case_id)
        return write_note(s, desk.actor, case, body)


def write_note(s: Session, actor: Actor, case: ComplianceCase, body: str) -> int:
    note = CaseNote(uid=str(uuid.uuid4()), case_id=case.id, author_id=actor.id, body=body)
    s.add(note)
    s.flush()
    audit.record(s, actor, "compliance_case.note", "compliance_case", case.id,
                 after={"note": note.uid, "length": len(body)})
    return note.id
