"""Compliance cases reach the other desks through the real sandbox gateway: a case opened
on one desk arrives on another with its alerts (their key and due date too), and a
closing made there comes back. Pages that bring a case before its alerts link them
once the alerts arrive."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.compliance import cases, decisions, views
from app.models.compliance import Alert, AlertStatus, CaseStatus, Severity
from app.services.gateway import gateway_config, set_gateway
from app.services.workspace import Desk, init_workspace
from sync.engine import SyncEngine
from sync.mirror import MirrorWriter, PageResult
from sync.pull import dbapi
from tests.app.test_cases import raise_alert
from tests.app.test_kyc_support import TODAY
from tests.conftest import PASSWORD
from tests.sync.conftest import Sandbox


class Station:
    """A desk with its own workspace, signed in to the gateway as `user`."""

    def __init__(self, box: Sandbox, folder: Path, user: str) -> None:
        self.desk = init_workspace(folder, password=PASSWORD, broker_name="Sandbox Markets",
                                   base_currency="USD", admin_username="admin",
                                   admin_full_name="Ada Admin")
        set_gateway(self.desk, box.base, user, "sandbox")
        config = gateway_config(self.desk)
        assert config is not None
        self.engine = SyncEngine(self.desk.store, config)

    def sync(self) -> None:
        status = self.engine.once()
        assert status.online, status.message
        assert (status.pending, status.rejected, status.conflicts) == (0, 0, 0), status
        assert self.rows("SELECT kind, record_id, message FROM sync_errors") == []

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self.desk.store.read() as s:
            return [tuple(r) for r in dbapi(s).execute(sql, args)]

    def close(self) -> None:
        self.engine.close()
        self.desk.close()


@pytest.fixture
def stations(sandbox: Sandbox, tmp_path: Path) -> Iterator[tuple[Station, Station]]:
    a = Station(sandbox, tmp_path / "a", "compliance")
    b = Station(sandbox, tmp_path / "b", "manager")
    yield a, b
    a.close()
    b.close()


def case_on(st: Station, uid: str) -> tuple[Any, ...]:
    found = st.rows(
        "SELECT k.title, c.external_id, k.status, k.outcome, k.outcome_reason, u.username,"
        " k.due_date FROM compliance_cases k LEFT JOIN clients c ON c.id = k.client_id"
        " LEFT JOIN users u ON u.id = k.assignee_id WHERE k.uid = ?", uid)
    assert len(found) == 1, f"case {uid} is not on this desk"
    return found[0]


def alerts_on(st: Station, uid: str) -> list[tuple[Any, ...]]:
    return st.rows(
        "SELECT a.uid, a.rule, a.severity, c.external_id, a.status, a.key, a.due_date"
        " FROM case_alerts l JOIN compliance_cases k ON k.id = l.case_id"
        " JOIN alerts a ON a.id = l.alert_id LEFT JOIN clients c ON c.id = a.client_id"
        " WHERE k.uid = ? ORDER BY a.rule", uid)


def test_a_case_opened_on_one_desk_appears_with_its_alerts_and_its_closing_travels(
        stations: tuple[Station, Station]) -> None:
    a, b = stations
    a.sync()
    b.sync()
    (cid, ext), = a.rows("SELECT id, external_id FROM clients WHERE external_id IS NOT NULL"
                         " ORDER BY external_id LIMIT 1")
    first = raise_alert(a.desk, cid, key=f"third_party_payer:{ext}:PAY1", due=3)
    second = raise_alert(a.desk, cid, rule="structuring", severity="medium", due=None,
                         evidence={"deposits": 4, "each_under": "10,000.00 USD"})
    due = TODAY + timedelta(days=7)
    case_id = cases.open_case(a.desk, [first, second], f"Third-party money — {ext}",
                              assignee_id=a.desk.actor.id, due_date=due)
    uid, version = a.rows("SELECT uid, version FROM compliance_cases WHERE id = ?", case_id)[0]
    a.sync()
    # its own copy came back: the version a person edits against did not move
    assert a.rows("SELECT version, server_version FROM compliance_cases WHERE id = ?",
                  case_id) == [(version, 1)]

    b.sync()
    assert case_on(b, uid) == (f"Third-party money — {ext}", ext, "open", "", "", "admin",
                               due.isoformat())
    got = alerts_on(b, uid)
    assert [g[1:] for g in got] == [
        ("structuring", "medium", ext, "in_case", None, None),
        ("third_party_payer", "high", ext, "in_case", f"third_party_payer:{ext}:PAY1",
         (TODAY + timedelta(days=3)).isoformat())]
    remote = b.rows("SELECT id FROM compliance_cases WHERE uid = ?", uid)[0][0]
    card = views.case_card(b.desk, remote)
    struct = next(x for x in card.alerts if x.rule == "structuring")
    assert struct.evidence == (("Deposits", "4"), ("Each under", "10,000.00 USD"))
    assert all(not label.startswith("_") for x in card.alerts for label, _ in x.evidence)

    # desk B works and closes it; desk A sees the closing and its alerts closed
    v = cases.start_investigation(b.desk, remote, card.version)
    decisions.close_case(b.desk, remote, v, "confirmed_risk",
                         "Payments from an unrelated company, no explanation.")
    b.sync()
    a.sync()
    assert case_on(a, uid)[2:5] == ("closed", "confirmed_risk",
                                    "Payments from an unrelated company, no explanation.")
    assert b.rows("SELECT closed_by IS NOT NULL, closed_at IS NOT NULL FROM compliance_cases"
                  " WHERE uid = ?", uid) == [(1, 1)]
    assert a.rows("SELECT closed_by IS NULL, closed_at IS NOT NULL FROM compliance_cases"
                  " WHERE uid = ?", uid) == [(1, 1)]  # who is B's to know; when, roughly
    assert {g[4] for g in alerts_on(a, uid)} == {"closed"}
    card = views.case_card(a.desk, case_id)
    assert card.status is CaseStatus.CLOSED and card.version > version
    assert {x.status for x in card.alerts} == {AlertStatus.CLOSED}

    # and a reopening made on A travels back to B
    decisions.reopen_case(a.desk, case_id, card.version, "New deposits from the same payer.")
    a.sync()
    b.sync()
    assert case_on(b, uid)[2:5] == ("open", "", "")
    assert b.rows("SELECT closed_by, closed_at FROM compliance_cases WHERE uid = ?",
                  uid) == [(None, None)]
    assert {g[4] for g in alerts_on(b, uid)} == {"in_case"}


def rec(kind: str, rid: str, data: dict[str, Any], version: int = 1) -> dict[str, Any]:
    return {"kind": kind, "id": rid, "version": version, "deleted": False, "data": data}


def page(desk: Desk, *changes: dict[str, Any]) -> PageResult:
    with desk.store.write() as s:
        return MirrorWriter(dbapi(s)).apply(list(changes))


def test_a_case_that_arrives_before_its_alerts_links_them_when_they_come(desk: Desk) -> None:
    alert = {"rule": "little_trading", "severity": "critical", "client_id": "C-77",
             "status": "in_case", "summary": "Deposit then withdrawal, little trading",
             "evidence": {"traded_lots": "0.02", "_raised": {"key": "lt:C-77:1",
                                                             "due_date": "2026-02-30"}}}
    case = {"title": "Little trading", "client_id": "C-77", "status": "investigating",
            "outcome": "", "outcome_reason": "", "assignee": "cora", "due_date": None,
            "alert_ids": ["AL-1", "AL-2"]}
    assert not page(desk, rec("compliance_case", "CASE-1", case)).errors
    assert not page(desk, rec("alert", "AL-1", alert)).errors
    assert not page(desk, rec("alert", "AL-2", {**alert, "evidence": {}})).errors
    with desk.store.read() as s:
        db = dbapi(s)
        linked = db.execute(
            "SELECT a.uid, a.severity, a.key, a.due_date, a.evidence FROM case_alerts l"
            " JOIN alerts a ON a.id = l.alert_id JOIN compliance_cases k ON k.id = l.case_id"
            " WHERE k.uid = 'CASE-1' ORDER BY a.uid").fetchall()
        assignee = db.execute("SELECT u.username, u.active FROM compliance_cases k"
                              " JOIN users u ON u.id = k.assignee_id").fetchall()
    # "critical" is this desk's "high"; a day that does not exist is no due date
    assert [tuple(r) for r in linked] == [
        ("AL-1", "high", "lt:C-77:1", None, '{"traded_lots": "0.02"}'),
        ("AL-2", "high", None, None, "{}")]
    assert [tuple(r) for r in assignee] == [("cora", 0)]  # another desk's user, inactive

    # a later copy without AL-2 takes it out; an older copy changes nothing
    assert not page(desk, rec("compliance_case", "CASE-1",
                              {**case, "alert_ids": ["AL-1"]}, version=3)).errors
    assert not page(desk, rec("compliance_case", "CASE-1",
                              {**case, "status": "open"}, version=2)).errors
    with desk.store.read() as s:
        got = dbapi(s).execute("SELECT k.status, count(l.alert_id) FROM compliance_cases k"
                               " LEFT JOIN case_alerts l ON l.case_id = k.id"
                               " GROUP BY k.id").fetchall()
    assert [tuple(r) for r in got] == [("investigating", 1)]

    # within one page: an alert, a case naming one still to come, and that one
    other = {**alert, "evidence": {}}
    assert not page(desk, rec("alert", "AL-9", other),
                    rec("compliance_case", "CASE-2", {**case, "alert_ids": ["AL-3"]}),
                    rec("alert", "AL-3", other)).errors
    with desk.store.read() as s:
        got = dbapi(s).execute("SELECT k.uid, a.uid FROM case_alerts l"
                               " JOIN compliance_cases k ON k.id = l.case_id"
                               " JOIN alerts a ON a.id = l.alert_id ORDER BY 1, 2").fetchall()
    assert [tuple(r) for r in got] == [("CASE-1", "AL-1"), ("CASE-2", "AL-3")]


def test_an_alert_both_desks_raised_stays_one_alert(desk: Desk) -> None:
    """The rules give the same activity the same id on every desk: the copy from the
    gateway updates this desk's own alert instead of adding a second one."""
    with desk.store.write() as s:
        s.add(Alert(uid="AL-SAME", rule="structuring", severity=Severity.MEDIUM,
                    client_id=None, status=AlertStatus.OPEN, summary="Split deposits",
                    evidence={"deposits": 4}, key="structuring:C-5:2026-11"))
    data = {"rule": "structuring", "severity": "medium", "client_id": None,
            "status": "open", "summary": "Split deposits",
            "evidence": {"deposits": 4, "_raised": {"key": "structuring:C-5:2026-11"}}}
    assert not page(desk, rec("alert", "AL-SAME", data)).errors
    assert not page(desk, rec("alert", "AL-SAME", {**data, "status": "in_case"},
                              version=2)).errors
    with desk.store.read() as s:
        got = dbapi(s).execute("SELECT uid, status, key, version, server_version"
                               " FROM alerts").fetchall()
    # the first copy changed nothing (no new version here); the second moved it
    assert [tuple(r) for r in got] == [
        ("AL-SAME", "in_case", "structuring:C-5:2026-11", 2, 2)]


def test_a_case_deleted_on_the_gateway_but_kept_for_its_notes_keeps_its_alerts(
        desk: Desk) -> None:
    """This desk's notes keep the case; its alerts stay in it, not `in_case` in no case
    (where no queue shows them and nothing can take them out)."""
    alert: dict[str, Any] = {"rule": "structuring", "severity": "medium", "client_id": None,
                             "status": "in_case", "summary": "Split deposits", "evidence": {}}
    case = {"title": "Split deposits", "client_id": None, "status": "investigating",
            "outcome": "", "outcome_reason": "", "assignee": None, "due_date": None,
            "alert_ids": ["AL-1"]}
    assert not page(desk, rec("alert", "AL-1", alert), rec("compliance_case", "CASE-1", case)
                    ).errors
    with desk.store.read() as s:
        case_id = dbapi(s).execute("SELECT id FROM compliance_cases").fetchone()[0]
    cases.add_note(desk, case_id, "Asked the bank for the payer's details.")
    tombstone = {"kind": "compliance_case", "id": "CASE-1", "version": 2, "deleted": True,
                 "data": None}
    assert not page(desk, tombstone).errors
    card = views.case_card(desk, case_id)
    assert [a.status for a in card.alerts] == [AlertStatus.IN_CASE]
    assert [n.body for n in card.notes] == ["Asked the bank for the payer's details."]


def test_a_closing_made_elsewhere_is_not_signed_by_whoever_closed_it_here(
        desk: Desk) -> None:
    """Closed here, then reopened and closed again on another desk between two pulls:
    the closing that stands is not this desk's user's."""
    alert_id = raise_alert(desk, None)
    case_id = cases.open_case(desk, [alert_id], "Third-party payer")
    v = views.case_card(desk, case_id).version
    decisions.close_case(desk, case_id, v, "false_positive", "The payer is her employer.")
    with desk.store.write() as s:  # sent and answered
        db = dbapi(s)
        db.execute("UPDATE outbox SET status = 'done'")
        uid, alert_uid = db.execute("SELECT k.uid, a.uid FROM compliance_cases k, alerts a"
                                    ).fetchone()
    mine = {"title": "Third-party payer", "client_id": None, "status": "closed",
            "outcome": "false_positive", "outcome_reason": "The payer is her employer.",
            "assignee": None, "due_date": None, "alert_ids": [alert_uid]}
    assert not page(desk, rec("compliance_case", uid, mine, version=2)).errors
    card = views.case_card(desk, case_id)
    assert (card.closed_by, card.version) == ("Ada Admin", v + 1)  # its own copy came back
    assert not page(desk, rec("compliance_case", uid, {
        **mine, "outcome": "confirmed_risk",
        "outcome_reason": "The employer letter was forged."}, version=4)).errors
    card = views.case_card(desk, case_id)
    assert (card.outcome, card.closed_by) == ("confirmed_risk", "")
    assert card.closed_at is not None
