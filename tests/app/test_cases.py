"""Compliance casework on a real workspace: alerts (made here as monitoring would raise
them) dismissed or put in cases, a case worked and closed, a confirmed risk freezing
the client so the withdrawal gate refuses money out, the audit trail, attachments kept
in the encrypted store, and the put-record commands that share it all."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import audit
from app.compliance import alerts, attachments, cases, decisions, views
from app.compliance.sharing import RAISED, REVIEW
from app.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from app.kyc import gates
from app.models.audit import AuditEntry
from app.models.compliance import Alert, AlertStatus, CaseStatus, ComplianceCase, Severity
from app.models.crm import Client
from app.models.sync_state import OutboxCommand
from app.models.users import Role
from app.services import outbox
from app.services.screening.review import lift_freeze
from app.services.workspace import Desk
from tests.app.test_kyc_gates import account, verified
from tests.app.test_kyc_support import TODAY, as_user, on_platform, pdf, person, png, write


def raise_alert(desk: Desk, client_id: int | None, *, rule: str = "third_party_payer",
                severity: str = "high", summary: str = "Deposit from a third-party payer",
                evidence: dict[str, Any] | None = None, due: int | None = 5,
                key: str | None = None) -> int:
    """An open alert as the monitoring rules raise it (they are built elsewhere)."""
    with desk.store.write() as s:
        alert = Alert(uid=str(uuid.uuid4()), rule=rule, severity=Severity(severity),
                      client_id=client_id, status=AlertStatus.OPEN, summary=summary,
                      evidence=evidence if evidence is not None else {
                          "payer_name": "Blue Harbour Trading LLC", "amount": "9,500.00 USD",
                          "payments": ["PAY000123", "PAY000124"],
                          "IBAN": "CY17002001280000001200527600"},
                      key=key, due_date=None if due is None else TODAY + timedelta(days=due))
        s.add(alert)
        s.flush()
        return alert.id


def get(desk: Desk, model: Any, rid: int) -> Any:
    with desk.store.read() as s:
        row = s.get(model, rid)
        assert row is not None
        s.expunge(row)
        return row


def shared(desk: Desk, kind: str) -> list[dict[str, Any]]:
    """The put-record payloads queued for a kind, oldest first."""
    with desk.store.read() as s:
        return [dict(p) for p in s.scalars(select(OutboxCommand.payload).where(
            OutboxCommand.entity == kind).order_by(OutboxCommand.device_seq))]


def actions(desk: Desk, entity: str, entity_id: int) -> list[str]:
    with desk.store.read() as s:
        return list(s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id)))


@pytest.fixture
def olga(desk: Desk) -> Desk:
    return as_user(desk, Role.COMPLIANCE, "olga")


def test_a_case_from_alerts_to_a_confirmed_risk_that_stops_withdrawals(
        desk: Desk, olga: Desk, tmp_path: Path) -> None:
    cid = verified(desk, olga, tmp_path)
    login = account(desk, cid)
    outbox.queue_balance_operation(desk, login, "withdrawal", "10.00")  # allowed today
    first, second = raise_alert(desk, cid), raise_alert(desk, cid, rule="structuring",
                                                        severity="medium")
    later = raise_alert(desk, cid, rule="little_trading", severity="low")
    mark = as_user(desk, Role.MANAGER, "mark")

    case_id = cases.open_case(olga, [first, second], "Third-party deposits — Lima",
                              assignee_id=olga.actor.id, due_date=TODAY + timedelta(days=10))
    card = views.case_card(olga, case_id)
    assert (card.status, card.client_id, card.assignee_name, card.opened_by) == (
        CaseStatus.OPEN, cid, "Olga", "Olga")
    assert [a.id for a in card.alerts] == [first, second]
    assert all(a.status is AlertStatus.IN_CASE for a in card.alerts)
    assert ("Payer name", "Blue Harbour Trading LLC") in card.alerts[0].evidence
    assert ("Payments", "PAY000123; PAY000124") in card.alerts[0].evidence
    assert ("IBAN", "CY17002001280000001200527600") in card.alerts[0].evidence

    v = cases.start_investigation(olga, case_id, card.version)
    cases.add_note(olga, case_id, "Asked the client for the payer's relationship.")
    v = cases.add_alerts(olga, case_id, v, [later])
    v = cases.remove_alert(olga, case_id, v, second)
    assert get(desk, Alert, second).status is AlertStatus.OPEN  # back in the queue
    v = cases.assign_case(olga, case_id, v, mark.actor.id)
    v = cases.set_due_date(olga, case_id, v, TODAY + timedelta(days=3))
    card = views.case_card(olga, case_id)
    assert card.version == v and card.status is CaseStatus.INVESTIGATING
    assert [a.id for a in card.alerts] == [first, later]
    assert (card.assignee_name, card.due_date) == ("Mark", TODAY + timedelta(days=3))
    assert [(n.author, n.body) for n in card.notes] == [
        ("Olga", "Asked the client for the payer's relationship.")]

    v = decisions.close_case(olga, case_id, v, "confirmed_risk",
                             "Payer is unrelated; funds from an unexplained source.",
                             freeze_withdrawals=True)
    card = views.case_card(olga, case_id)
    assert (card.status, card.outcome, card.froze_withdrawals, card.client_frozen) == (
        CaseStatus.CLOSED, "confirmed_risk", True, True)
    assert card.closed_by == "Olga" and card.closed_at is not None
    assert {a.status for a in card.alerts} == {AlertStatus.CLOSED}
    assert get(desk, Alert, second).status is AlertStatus.OPEN  # taken out: not closed
    assert card.frozen_reason == ("Confirmed risk in compliance case “Third-party deposits "
                                  "— Lima”: Payer is unrelated; funds from an unexplained "
                                  "source.")
    with pytest.raises(gates.Blocked) as refused:
        outbox.queue_balance_operation(desk, login, "withdrawal", "10.00")
    assert refused.value.message.startswith("Withdrawal refused.")
    assert card.frozen_reason in refused.value.message
    with pytest.raises(gates.Blocked, match="Live account refused"):
        outbox.queue_open_account(desk, cid, "real\\std", "USD", 30)

    # reopened with a reason: its alerts are back in it, the freeze stands
    v = decisions.reopen_case(olga, case_id, v, "Client sent a new third-party deposit.")
    card = views.case_card(olga, case_id)
    assert (card.status, card.outcome, card.outcome_reason, card.closed_at) == (
        CaseStatus.OPEN, "", "", None)
    assert {a.status for a in card.alerts} == {AlertStatus.IN_CASE}
    assert card.notes[-1].body == "Reopened: Client sent a new third-party deposit."
    assert get(desk, Client, cid).frozen
    decisions.close_case(olga, case_id, v, "false_positive", "Payer is the client's spouse.")
    assert views.case_card(olga, case_id).outcome_reason == "Payer is the client's spouse."
    assert views.case_card(as_user(desk, Role.CLERK, "carl"), case_id).outcome_reason == ""
    lift_freeze(olga, cid, "Case closed as a false positive after the reopening.")
    outbox.queue_balance_operation(desk, login, "withdrawal", "10.00")  # money flows again

    assert actions(desk, "compliance_case", case_id) == [
        "compliance_case.open", "compliance_case.investigate", "compliance_case.note",
        "compliance_case.add_alerts", "compliance_case.remove_alert",
        "compliance_case.assign", "compliance_case.due_date", "compliance_case.close",
        "compliance_case.note", "compliance_case.reopen", "compliance_case.close"]
    assert actions(desk, "client", cid)[-2:] == ["client.freeze", "client.unfreeze"]
    with desk.store.read() as s:
        assert audit.verify(s).ok


def test_each_change_is_shared_with_the_version_it_builds_on(desk: Desk, olga: Desk) -> None:
    cid = person(desk)
    on_platform(desk, cid, "C900")
    a1, a2 = raise_alert(desk, cid, key="tpp:C900:PAY1"), raise_alert(desk, cid, due=None)
    case_id = cases.open_case(olga, [a1, a2], "Two payers", due_date=TODAY)
    v = cases.start_investigation(olga, case_id, get(desk, ComplianceCase, case_id).version)
    decisions.close_case(olga, case_id, v, "false_positive", "Both payers are the client.")
    uid = get(desk, ComplianceCase, case_id).uid
    sent = shared(desk, "compliance_case")
    assert [(p["id"], p["base_version"], p["data"]["status"]) for p in sent] == [
        (uid, 0, "open"), (uid, 1, "investigating"), (uid, 2, "closed")]
    alert_uids = [get(desk, Alert, a).uid for a in (a1, a2)]
    assert sent[0]["data"] == {
        "title": "Two payers", "client_id": "C900", "status": "open", "outcome": "",
        "outcome_reason": "", "assignee": None, "due_date": TODAY.isoformat(),
        "alert_ids": alert_uids}
    assert sent[2]["data"]["outcome"] == "false_positive"
    sent_alerts = shared(desk, "alert")
    assert [(p["id"], p["base_version"], p["data"]["status"]) for p in sent_alerts] == [
        (alert_uids[0], 0, "in_case"), (alert_uids[1], 0, "in_case"),
        (alert_uids[0], 1, "closed"), (alert_uids[1], 1, "closed")]
    raised = sent_alerts[0]["data"]["evidence"][RAISED]
    assert raised == {"key": "tpp:C900:PAY1",
                      "due_date": (TODAY + timedelta(days=5)).isoformat()}
    assert RAISED not in sent_alerts[1]["data"]["evidence"]  # neither key nor due date


def test_a_client_only_on_this_desk_is_not_shared_until_the_platform_knows_it(
        desk: Desk, olga: Desk) -> None:
    cid = person(desk)
    alert = raise_alert(desk, cid)
    case_id = cases.open_case(olga, [alert], "Local client")
    assert shared(desk, "alert") == [] and shared(desk, "compliance_case") == []
    assert not views.case_card(olga, case_id).shared
    on_platform(desk, cid, "C901")
    cases.start_investigation(olga, case_id, get(desk, ComplianceCase, case_id).version)
    assert [p["data"]["status"] for p in shared(desk, "alert")] == ["in_case"]
    assert [p["data"]["status"] for p in shared(desk, "compliance_case")] == ["investigating"]
    assert shared(desk, "compliance_case")[0]["base_version"] == 0  # created on the gateway


def test_dismissing_an_alert_needs_a_reason_and_keeps_it(desk: Desk, olga: Desk) -> None:
    cid = person(desk)
    on_platform(desk, cid, "C902")
    alert_id = raise_alert(desk, cid)
    version = get(desk, Alert, alert_id).version
    with pytest.raises(ValidationFailed, match="Say why this alert is a false positive"):
        alerts.dismiss_alert(olga, alert_id, version, "   ")
    alerts.dismiss_alert(olga, alert_id, version, "Payer is the client's own company.")
    alert = get(desk, Alert, alert_id)
    assert alert.status is AlertStatus.CLOSED
    assert alert.evidence[REVIEW]["reason"] == "Payer is the client's own company."
    assert alert.evidence[REVIEW]["by"] == "olga"
    seen = views.alert_view(desk, alert_id)
    assert seen.evidence[-1][0] == "Dismissed"
    assert seen.evidence[-1][1].endswith(": Payer is the client's own company.")
    assert shared(desk, "alert")[-1]["data"]["status"] == "closed"
    assert actions(desk, "alert", alert_id) == ["alert.dismiss"]
    # Compliance's words stay with compliance: a clerk could tip the client off.
    clerk_view = views.alert_view(as_user(desk, Role.CLERK, "carl"), alert_id)
    assert all(label != "Dismissed" for label, _text in clerk_view.evidence)
    with pytest.raises(StaleRecord, match="changed by someone else"):
        alerts.dismiss_alert(olga, alert_id, version, "again")
    with pytest.raises(ValidationFailed) as closed:
        alerts.dismiss_alert(olga, alert_id, alert.version, "again")
    assert closed.value.message == ("The alert “Deposit from a third-party payer” is already "
                                    "closed, so it cannot be dismissed on its own.")
    with pytest.raises(ValidationFailed, match="is already closed"):
        cases.open_case(olga, [alert_id], "Too late")


def test_refusals_say_why(desk: Desk, olga: Desk) -> None:
    cid, other = person(desk), person(desk, last="Other")
    a1, a2, a3 = raise_alert(desk, cid), raise_alert(desk, other), raise_alert(desk, cid)
    clerk = as_user(desk, Role.CLERK, "carl")
    finance = as_user(desk, Role.FINANCE, "fiona")
    with pytest.raises(PermissionDenied, match=r"Carl \(Clerk\) is not allowed to work "
                                               "compliance alerts and cases"):
        cases.open_case(clerk, [a1], "Clerk's case")
    with pytest.raises(PermissionDenied):
        alerts.dismiss_alert(clerk, a1, 1, "no")
    with pytest.raises(ValidationFailed, match="Choose at least one alert"):
        cases.open_case(olga, [], "Nothing")
    with pytest.raises(ValidationFailed, match="Give the case a title"):
        cases.open_case(olga, [a1], "  ")
    with pytest.raises(ValidationFailed, match="about different clients"):
        cases.open_case(olga, [a1, a2], "Two clients")
    with pytest.raises(NotFound, match="This alert no longer exists"):
        cases.open_case(olga, [a1, 9999], "Ghost")
    with pytest.raises(ValidationFailed, match=r"Fiona \(Finance officer\) may not work "
                                               "compliance alerts and cases"):
        cases.open_case(olga, [a1], "Given to finance", assignee_id=finance.actor.id)
    with pytest.raises(ValidationFailed, match="has already passed"):
        cases.open_case(olga, [a1], "Late", due_date=TODAY - timedelta(days=1))
    assert get(desk, Alert, a1).status is AlertStatus.OPEN  # nothing half-done

    case_id = cases.open_case(olga, [a1], "Lima")
    v = get(desk, ComplianceCase, case_id).version
    with pytest.raises(ValidationFailed, match="is already in a case"):
        cases.open_case(olga, [a1], "Again")
    with pytest.raises(ValidationFailed, match="about different clients"):
        cases.add_alerts(olga, case_id, v, [a2])
    with pytest.raises(ValidationFailed, match="the case's last alert"):
        cases.remove_alert(olga, case_id, v, a1)
    with pytest.raises(PermissionDenied):
        decisions.close_case(clerk, case_id, v, "false_positive", "no")
    with pytest.raises(ValidationFailed, match="confirmed risk or as a false positive"):
        decisions.close_case(olga, case_id, v, "maybe", "unsure")
    with pytest.raises(ValidationFailed, match="Say why the case closes as a confirmed risk"):
        decisions.close_case(olga, case_id, v, "confirmed_risk", "")
    with pytest.raises(ValidationFailed, match="Only a confirmed risk freezes"):
        decisions.close_case(olga, case_id, v, "false_positive", "fine",
                             freeze_withdrawals=True)
    with pytest.raises(ValidationFailed, match="is not closed"):
        decisions.reopen_case(olga, case_id, v, "why not")
    v2 = cases.start_investigation(olga, case_id, v)
    with pytest.raises(StaleRecord) as stale:
        cases.add_alerts(olga, case_id, v, [a3])  # made on the version before
    assert stale.value.message == (
        "The case “Lima” was changed by someone else (here or on another desk) since you "
        "opened it. Nothing was changed; look at the case again and redo your change.")
    with pytest.raises(ValidationFailed, match="already being investigated"):
        cases.start_investigation(olga, case_id, v2)
    v3 = decisions.close_case(olga, case_id, v2, "false_positive", "Explained.")
    with pytest.raises(ValidationFailed, match=r"is closed\. Reopen it \(with a reason\)"):
        cases.start_investigation(olga, case_id, v3)
    with pytest.raises(ValidationFailed, match="is closed"):
        cases.assign_case(olga, case_id, v3, olga.actor.id)
    with pytest.raises(ValidationFailed, match="Say why the case is reopened"):
        decisions.reopen_case(olga, case_id, v3, "")
    no_client = cases.open_case(olga, [raise_alert(desk, None)], "About nobody")
    with pytest.raises(ValidationFailed, match="nobody to freeze"):
        decisions.close_case(olga, no_client, get(desk, ComplianceCase, no_client).version,
                             "confirmed_risk", "Real", freeze_withdrawals=True)


def test_attachments_are_kept_encrypted_and_read_back(desk: Desk, olga: Desk,
                                                      tmp_path: Path) -> None:
    cid = person(desk)
    case_id = cases.open_case(olga, [raise_alert(desk, cid)], "Statements")
    marker = uuid.uuid4().hex.encode()
    photo = write(tmp_path, "payer-screenshot.png", png(marker=marker))
    letter = write(tmp_path, "bank-letter.pdf", pdf(2))
    first = attachments.add_attachment(olga, case_id, photo)
    second = attachments.add_attachment(olga, case_id, letter)
    got = attachments.attachment_file(olga, first)
    assert (got.file_name, got.mime_type, got.data) == ("payer-screenshot.png", "image/png",
                                                         photo.read_bytes())
    assert attachments.attachment_file(olga, second).mime_type == "application/pdf"
    card = views.case_card(olga, case_id)
    assert [(a.file_name, a.added_by) for a in card.attachments] == [
        ("payer-screenshot.png", "Olga"), ("bank-letter.pdf", "Olga")]
    photo.unlink()
    letter.unlink()
    for stored in (desk.store.folder).rglob("*"):  # no plaintext copy beside the store
        assert not stored.is_file() or marker not in stored.read_bytes()
    with pytest.raises(ValidationFailed, match="already attached to the case"):
        attachments.add_attachment(olga, case_id, write(tmp_path, "again.png",
                                                        png(marker=marker)))
    with pytest.raises(ValidationFailed, match="not a photo or a PDF"):
        attachments.add_attachment(olga, case_id, write(tmp_path, "notes.pdf", b"just text"))
    with pytest.raises(ValidationFailed, match="is a program, not a document"):
        attachments.add_attachment(olga, case_id, write(tmp_path, "x.png", b"MZ\x90\x00" * 9))
    big = tmp_path / "huge.pdf"
    with big.open("wb") as f:
        f.truncate(attachments.MAX_BYTES + 1)  # sparse: refused before it is read
    with pytest.raises(ValidationFailed, match="documents can be at most 20 MB"):
        attachments.add_attachment(olga, case_id, big)
    with pytest.raises(PermissionDenied):
        attachments.attachment_file(as_user(desk, Role.CLERK, "cleo"), first)
    assert actions(desk, "compliance_case", case_id).count(
        "compliance_case.view_attachment") == 2


def test_the_queue_and_the_case_list_filter_in_sql(desk: Desk, olga: Desk) -> None:
    cid, other = person(desk), person(desk, last="Other")
    overdue = raise_alert(desk, cid, due=-2)
    low = raise_alert(desk, other, rule="little_trading", severity="low")
    dismissed = raise_alert(desk, other, severity="medium", due=-5)
    alerts.dismiss_alert(olga, dismissed, 1, "Known payer.")

    def keys(**f: Any) -> set[int]:
        listing = views.alert_listing(views.AlertFilter(**f))
        return {listing.row_key(r) for r in views.listing_rows(desk, listing)}

    assert keys() == {overdue, low}  # open by default
    assert keys(status=None) == {overdue, low, dismissed}
    assert keys(severity=Severity.LOW) == {low}
    assert keys(rule="little_trading") == {low}
    assert keys(client_id=other, status=None) == {low, dismissed}
    assert keys(past_due=True, status=None) == {overdue}  # a closed alert is not late
    listing = views.alert_listing(views.AlertFilter())
    row = next(r for r in views.listing_rows(desk, listing) if listing.row_key(r) == overdue)
    assert listing.cell(row, 1) == "High" and listing.cell(row, 2) == "Third party payer"
    assert listing.cell(row, 5).endswith("overdue")
    assert views.alert_rules(desk) == ["little_trading", "third_party_payer"]

    mine = cases.open_case(olga, [overdue], "Mine", assignee_id=olga.actor.id)
    late = cases.open_case(olga, [low], "Late one", due_date=TODAY)
    with desk.store.write() as s:  # its due date passed since
        found = s.get(ComplianceCase, late)
        assert found is not None
        found.due_date = TODAY - timedelta(days=1)

    def case_keys(**f: Any) -> set[int]:
        listing = views.case_listing(views.CaseFilter(**f))
        return {listing.row_key(r) for r in views.listing_rows(desk, listing)}

    assert case_keys() == {mine, late}
    assert case_keys(assignee_id=olga.actor.id) == {mine}
    assert case_keys(past_due=True) == {late}
    assert case_keys(statuses=(CaseStatus.CLOSED,)) == set()
    assert views.listing_rows(desk, views.case_listing(views.CaseFilter()), "late")[0][1] \
        == "Late one"
    assert [p.name for p in views.assignable_users(desk)] == ["Ada Admin", "Olga"]

    # notes and files are compliance's own: others see the case, not what was written
    cases.add_note(olga, mine, "Client's manager must not hear of this.")
    clerk = as_user(desk, Role.CLERK, "cora")
    seen = views.case_card(clerk, mine)
    assert seen.restricted and seen.notes == () and seen.title == "Mine"
    with pytest.raises(PermissionDenied):
        cases.add_note(clerk, mine, "hello")
