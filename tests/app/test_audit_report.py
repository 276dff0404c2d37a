"""Audit-trail extracts: for a period, and for one client and the records that belong
to it (KYC case and documents through the KYC services; payments, trading accounts,
alerts and compliance cases under the entity names their services write). A log
edited or cut after the fact must be reported at the top of the extract, naming the
entry that breaks the chain."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app import audit
from app.errors import NotFound, ValidationFailed
from app.kyc import cases
from app.models.audit import AuditEntry
from app.models.compliance import Alert, AlertStatus, CaseStatus, ComplianceCase, Severity
from app.models.payments import PaymentRequest
from app.models.trading import TradingAccount
from app.reports.audit_data import change_summary
from app.reports.document import Period
from app.services import clients, reports
from app.services.report_library import ReportParams, kind
from app.services.workspace import Desk
from tests.app.test_compliance_report import CYRILLIC, logical, pdf_text
from tests.app.test_kyc_support import attach

TODAY = datetime.now(UTC).date()
ALL_TIME = Period(TODAY - timedelta(days=3), TODAY + timedelta(days=1))


@dataclass(frozen=True)
class Trail:
    client: int
    other: int
    case: int
    document: int
    payment: int
    login: int
    alert: int
    compliance_case: int


def _make_trail(desk: Desk, folder: Path) -> Trail:
    cid = clients.create_client(desk, clients.ClientData(
        first_name="Алексей", last_name="Белозёров", country="CY", email="a@example.com"))
    other = clients.create_client(desk, clients.ClientData(first_name="Olga",
                                                           last_name="Outsider", country="GB"))
    data, version, _ = clients.get_client(desk, cid)
    clients.update_client(desk, cid, clients.ClientData(**{**data.__dict__,
                                                          "phone": "+35799123456"}), version)
    case = cases.open_case(desk, cid)
    document = attach(desk, case, folder, "identity", "passport")
    cases.open_case(desk, other)  # another client's case: not in this client's extract
    with desk.store.write() as s:
        s.add(TradingAccount(platform="gw", login=900123, client_id=cid, group="real",
                             currency="USD", leverage=30, status="active"))
        payment = PaymentRequest(uid=str(uuid.uuid4()), client_id=cid, direction="withdrawal",
                                 method="bank_wire", provider="Bank", amount_minor=50_000,
                                 currency="USD", status="pending_approval",
                                 external_id="GW-PAY-77")
        alert = Alert(uid=str(uuid.uuid4()), rule="large_withdrawal", severity=Severity.HIGH,
                      client_id=cid, status=AlertStatus.OPEN, summary="Large withdrawal")
        comp = ComplianceCase(uid=str(uuid.uuid4()), title="Withdrawal review", client_id=cid,
                              status=CaseStatus.OPEN)
        s.add_all([payment, alert, comp])
        s.flush()
        # The entity names and ids the payment, outbox, monitoring and case services
        # write (see their calls of app.audit.record).
        audit.record(s, desk.actor, "payment.first_approval", "payment", payment.id,
                     after={"status": "pending_approval"})
        audit.record(s, desk.actor, "approval.prepare", "payment", "GW-PAY-77",
                     after={"kind": "withdrawal"})
        audit.record(s, desk.actor, "outbox.balance_operation", "account", 900123,
                     after={"operation": "credit", "amount": "10.00"})
        audit.record(s, desk.actor, "alert.dismiss", "alert", alert.id,
                     before={"status": "open"}, after={"status": "closed"})
        audit.record(s, desk.actor, "compliance_case.open", "compliance_case", comp.id,
                     after={"status": "open"})
        audit.record(s, desk.actor, "payment.approve", "payment", 999_999,
                     after={"status": "approved"})  # someone else's payment
        ids = (payment.id, alert.id, comp.id)
    return Trail(cid, other, case, document, ids[0], 900123, ids[1], ids[2])


@pytest.fixture
def trail(desk: Desk, tmp_path: Path) -> Trail:
    return _make_trail(desk, tmp_path)


def _tamper(desk: Desk, sql: str, **params: object) -> None:
    """Edit the file by hand, as someone with the key and a SQL shell could."""
    with desk.store.writer.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_entries_no_update")
        conn.exec_driver_sql("DROP TRIGGER audit_entries_no_delete")
        conn.execute(text(sql), params)


def _entries(desk: Desk) -> list[AuditEntry]:
    with desk.store.read() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_a_clients_extract_holds_its_records_and_nothing_else(desk: Desk,
                                                              trail: Trail) -> None:
    extract = reports.audit_extract(desk, None, trail.client)
    got = [(x.action, x.entity, x.entity_id) for x in extract.lines]
    assert ("client.create", "client", str(trail.client)) in got
    assert ("client.update", "client", str(trail.client)) in got
    assert ("kyc_case.open", "kyc_case", str(trail.case)) in got
    assert ("kyc_document.attach", "kyc_document", str(trail.document)) in got
    for expected in (("payment.first_approval", "payment", str(trail.payment)),
                     ("approval.prepare", "payment", "GW-PAY-77"),
                     ("outbox.balance_operation", "account", str(trail.login)),
                     ("alert.dismiss", "alert", str(trail.alert)),
                     ("compliance_case.open", "compliance_case", str(trail.compliance_case))):
        assert expected in got, expected
    assert all(x.entity_id != str(trail.other) for x in extract.lines if x.entity == "client")
    assert ("payment.approve", "payment", "999999") not in got
    assert [x.id for x in extract.lines] == sorted(x.id for x in extract.lines)
    assert extract.chain.ok and extract.broken_id is None
    assert dict(extract.related) == {"KYC case": 1, "KYC document": 1, "payment": 1,
                                     "trading account": 1, "alert": 1, "compliance case": 1}
    # With no period given, the extract runs from the client's first entry to today.
    assert extract.period.date_to == TODAY and extract.period.date_from <= TODAY
    update = next(x for x in extract.lines if x.action == "client.update")
    assert "phone:" in update.change and "→" in update.change
    assert update.who == "Ada Admin\n(admin)"
    with desk.store.read() as s:
        own = s.scalar(select(AuditEntry.hash).where(AuditEntry.id == update.id))
    assert own is not None and update.hash_prefix == own[:12]


def test_the_pdf_states_the_chain_verified_and_lists_the_entries(desk: Desk, trail: Trail,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "trail.pdf"
    pages = kind("audit").write(desk, ReportParams(client_id=trail.client), out)
    texts = pdf_text(out)
    assert pages == len(texts)
    text = "\n".join(texts)
    flat = text.replace("\n", " ")
    assert "Audit-trail extract" in text and "Test Markets Ltd" in text
    assert f"Page 1 of {pages}" in text
    assert CYRILLIC in logical(text) and f"client #{trail.client}" in text
    assert "Hash chain verified when this extract was generated" in flat
    assert "did NOT verify" not in flat
    for action in ("client.create", "kyc_case.open", "kyc_document.attach", "approval.prepare",
                   "alert.dismiss", "compliance_case.open", "outbox.balance_operation"):
        assert action in text, action
    # The statement comes before the first entry.
    assert flat.index("Hash chain verified") < flat.index("client.create")
    # Saved extracts are audited with the client's number only, never their name.
    with desk.store.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "report.audit_trail")
                          ).one()
    assert (entry.entity, entry.entity_id) == ("client", str(trail.client))
    assert entry.after is not None and entry.after["chain_ok"] is True
    assert "Белозёров" not in json.dumps(entry.after, ensure_ascii=False)


def test_an_edited_entry_is_reported_by_number(desk: Desk, trail: Trail,
                                               tmp_path: Path) -> None:
    target = next(e for e in _entries(desk) if e.action == "kyc_case.open"
                  and e.entity_id == str(trail.case))
    _tamper(desk, "UPDATE audit_entries SET after = :a WHERE id = :id",
            a=json.dumps({"status": "approved"}), id=target.id)
    extract = reports.audit_extract(desk, None, trail.client)
    assert not extract.chain.ok and extract.broken_id == target.id
    out = tmp_path / "tampered.pdf"
    kind("audit").write(desk, ReportParams(client_id=trail.client), out)
    flat = " ".join(pdf_text(out)).replace("\n", " ")
    assert "The hash chain did NOT verify when this extract was generated" in flat
    assert f"The audit log was edited: entry #{target.id}" in flat
    assert f"Verification stopped at entry #{target.id}." in flat
    assert f"✖ #{target.id}" in flat  # the row itself is marked
    assert "Hash chain verified" not in flat


def test_deleted_entries_are_reported_in_a_period_extract(desk: Desk, trail: Trail) -> None:
    entries = _entries(desk)
    gone = entries[3].id
    _tamper(desk, "DELETE FROM audit_entries WHERE id = :id", id=gone)
    data = kind("audit").preview(desk, ReportParams(period=ALL_TIME))
    flat = " ".join(pdf_text(data)).replace("\n", " ")
    assert f"Entries #{gone} to #{gone} are missing" in flat
    assert f"Verification stopped at entry #{gone}." in flat
    assert f"#{gone + 1}" in flat and f"#{entries[-1].id}" in flat


def test_a_period_extract_holds_every_entry_of_the_period(desk: Desk, trail: Trail) -> None:
    everything = _entries(desk)
    extract = reports.audit_extract(desk, ALL_TIME)
    assert [x.id for x in extract.lines] == [e.id for e in everything]
    assert extract.chain.checked == len(everything)
    before = reports.audit_extract(desk, Period(date(2020, 1, 1), date(2020, 1, 31)))
    assert before.lines == () and before.chain.ok
    pages = pdf_text(kind("audit").preview(desk, ReportParams(
        period=Period(date(2020, 1, 1), date(2020, 1, 31)))))
    assert "No audit entry falls in the period." in " ".join(pages)


def test_change_summary_shows_what_changed() -> None:
    assert change_summary({"status": "open", "kind": "x"}, {"status": "closed", "kind": "x"}) \
        == "status: open → closed"
    assert change_summary(None, {"file": "a.pdf", "pages": 2}) == "file: a.pdf\npages: 2"
    assert change_summary({"tags": ["vip"]}, {}) == 'tags: ["vip"] → (removed)'
    assert change_summary(None, None) == "—"
    assert change_summary(None, {"email": "", "dob": None, "kind": "person"}) == "kind: person"
    assert change_summary({"phone": ""}, {"phone": "+357"}) == "phone: (empty) → +357"
    long = change_summary(None, {"note": "x" * 500})
    assert long.endswith("…") and len(long) <= 90


def test_bad_requests_are_clear(desk: Desk) -> None:
    with pytest.raises(ValidationFailed, match="Choose a period, a client, or both"):
        reports.audit_extract(desk, None, None)
    with pytest.raises(NotFound, match="no client #4242"):
        reports.audit_extract(desk, None, 4242)
