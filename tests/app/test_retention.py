"""Record retention: periods per kind with a five-year legal floor, holds on closed
clients, and a purge that removes only what is past its period, records what it
removed by id, and leaves the ledger and the audit chain whole."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from app.audit import verify
from app.crm.search_index import dbapi, refresh
from app.errors import PermissionDenied, ValidationFailed
from app.kyc.records import signed_before
from app.ledger import views
from app.models.audit import AuditEntry
from app.models.compliance import (
    Alert,
    AlertStatus,
    CaseAlert,
    CaseAttachment,
    CaseAttachmentContent,
    CaseNote,
    CaseStatus,
    ComplianceCase,
    Severity,
)
from app.models.crm import (
    Client,
    ClientContact,
    ClientDevice,
    ClientKind,
    ClientStatus,
    ClientTag,
    ContactKind,
    Note,
    Task,
)
from app.models.kyc import (
    DocumentContent,
    DocumentStatus,
    HitStatus,
    KycCase,
    KycCheck,
    KycDocument,
    KycStatus,
    ScreeningHit,
)
from app.models.ledger import JournalEntry, LedgerAccount, LedgerKind, Posting
from app.models.payments import PaymentDirection, PaymentMethod, PaymentRequest, PaymentStatus
from app.models.reconciliation import (
    BreakKind,
    BreakStatus,
    ProviderLine,
    ProviderStatement,
    ReconException,
    ReconRun,
)
from app.models.retention import RetentionPurge
from app.models.sync_state import OutboxCommand, OutboxStatus, SharedRecord, SyncError
from app.models.trading import (
    AccountState,
    AccountStatus,
    Deal,
    DealAction,
    DealEntry,
    TradingAccount,
)
from app.models.users import Role
from app.retention.due import CHUNK, FINDERS
from app.retention.policies import KINDS, years_before
from app.services import ledger, retention, users
from app.services.workspace import Desk

NOW = datetime.now(UTC)
TODAY = NOW.date()
# Every table a client's records live in, with the column naming the client (or the
# parent row that does).
CLIENT_TABLES = {
    "client_contacts": "client_id = :c", "client_tags": "client_id = :c",
    "client_devices": "client_id = :c", "notes": "client_id = :c", "tasks": "client_id = :c",
    "kyc_cases": "client_id = :c",
    "kyc_documents": "case_id IN (SELECT id FROM kyc_cases WHERE client_id = :c)",
    "document_contents": "document_id IN (SELECT d.id FROM kyc_documents d JOIN kyc_cases k"
                         " ON k.id = d.case_id WHERE k.client_id = :c)",
    "kyc_checks": "case_id IN (SELECT id FROM kyc_cases WHERE client_id = :c)",
    "screening_hits": "client_id = :c", "alerts": "client_id = :c",
    "compliance_cases": "client_id = :c",
    "case_notes": "case_id IN (SELECT id FROM compliance_cases WHERE client_id = :c)",
    "case_attachments": "case_id IN (SELECT id FROM compliance_cases WHERE client_id = :c)",
    "case_attachment_contents": "attachment_id IN (SELECT a.id FROM case_attachments a JOIN"
                                " compliance_cases k ON k.id = a.case_id WHERE k.client_id = :c)",
}
# What must stay whatever happens: the financial records and the client row.
KEPT_TABLES = {"clients": "id = :c", "trading_accounts": "client_id = :c",
               "payment_requests": "client_id = :c",
               "deals": "account_id IN (SELECT id FROM trading_accounts WHERE client_id = :c)"}
KIND_TABLES = {
    "client_personal_data": ("client_contacts", "client_tags", "client_devices"),
    "kyc_records": ("kyc_cases", "kyc_documents", "document_contents", "kyc_checks"),
    "notes_tasks": ("notes", "tasks"),
    "screening_hits": ("screening_hits",),
    "alerts_cases": ("alerts", "compliance_cases", "case_notes", "case_attachments",
                     "case_attachment_contents"),
}
_logins = iter(range(700_001, 800_000))


def ago(years: float) -> datetime:
    return NOW - timedelta(days=round(365.25 * years))


def uid() -> str:
    return str(uuid.uuid4())


def make_client(desk: Desk, first: str, last: str, *, closed_years_ago: float | None,
                recorded: bool = True, frozen: bool = False, open_alert: bool = False,
                money: int = 0, pending_payment: bool = False) -> int:
    """A client with a record of every kind; closed that many years ago (None: active)."""
    email = f"{first.lower()}.{last.lower()}@example.org"
    with desk.store.write() as s:
        c = Client(kind=ClientKind.PERSON, first_name=first, last_name=last,
                   display_name=f"{last}, {first}", search_name=f"{last}, {first}".lower(),
                   email=email, phone="+35799123456", country="CY",
                   date_of_birth=date(1980, 5, 17), occupation="Pilot",
                   source_of_funds="Salary", declared_income=9_000_000, frozen=frozen,
                   frozen_reason="confirmed sanctions match" if frozen else "",
                   status=ClientStatus.CLOSED if closed_years_ago is not None
                   else ClientStatus.ACTIVE,
                   closed_reason="Moved abroad" if closed_years_ago is not None else "",
                   external_id=f"gw-{uid()[:8]}", created_at=ago(12), updated_at=ago(12))
        if closed_years_ago is not None:
            if recorded:
                c.closed_at = ago(closed_years_ago)
            c.updated_at = ago(closed_years_ago)
        s.add(c)
        s.flush()
        s.add_all([ClientContact(client_id=c.id, kind=ContactKind.EMAIL, value=f"home.{email}"),
                   ClientTag(client_id=c.id, tag="newsletter"),
                   ClientDevice(client_id=c.id, device=hashlib.sha256(email.encode()).hexdigest()),
                   Note(uid=(note_uid := uid()), client_id=c.id, author_id=desk.actor.id,
                        body=f"{first} called about the swap rates"),
                   Task(uid=uid(), client_id=c.id, title=f"Call {first} back")])
        case = KycCase(uid=uid(), client_id=c.id, status=KycStatus.APPROVED)
        s.add(case)
        s.flush()
        doc = KycDocument(uid=uid(), case_id=case.id, doc_type="passport", number="P1234567",
                          status=DocumentStatus.APPROVED, file_name=f"{last}-passport.pdf",
                          mime_type="application/pdf", sha256="0" * 64, size=9)
        s.add(doc)
        s.add(KycCheck(case_id=case.id, kind="identity", result="pass"))
        s.flush()
        s.add(DocumentContent(document_id=doc.id, data=b"%PDF-scan"))
        s.add(ScreeningHit(uid=uid(), client_id=c.id, list_name="OFAC", list_version="1",
                           entry_ref="E1", matched_name=f"{first} {last}", score=71,
                           status=HitStatus.FALSE_POSITIVE))
        alert = Alert(uid=uid(), rule="structuring", severity=Severity.MEDIUM, client_id=c.id,
                      status=AlertStatus.CLOSED, summary=f"Deposits of {first} {last}")
        ccase = ComplianceCase(uid=uid(), title=f"Review of {last}", client_id=c.id,
                               status=CaseStatus.CLOSED, closed_at=ago(closed_years_ago or 0))
        s.add_all([alert, ccase])
        if open_alert:
            s.add(Alert(uid=uid(), rule="third_party_payer", severity=Severity.HIGH,
                        client_id=c.id, status=AlertStatus.OPEN, summary="Third-party payer"))
        s.flush()
        attachment = CaseAttachment(uid=uid(), case_id=ccase.id, file_name="bank.pdf",
                                    mime_type="application/pdf", sha256="1" * 64, size=5)
        s.add_all([CaseAlert(case_id=ccase.id, alert_id=alert.id), attachment,
                   CaseNote(uid=uid(), case_id=ccase.id, body=f"{first} explained the money")])
        s.flush()
        s.add(CaseAttachmentContent(attachment_id=attachment.id, data=b"bytes"))
        account = TradingAccount(platform="gw", login=next(_logins), client_id=c.id,
                                 group="real", currency="USD", leverage=100,
                                 status=AccountStatus.DISABLED)
        s.add(account)
        s.flush()
        s.add(AccountState(account_id=account.id, balance_minor=money))
        s.add(Deal(platform="gw", ticket=account.login, account_id=account.id,
                   symbol="EURUSD", action=DealAction.SELL, entry=DealEntry.OUT, volume=10,
                   profit_minor=1500, time_ms=int(ago(8).timestamp() * 1000)))
        s.add(PaymentRequest(uid=uid(), client_id=c.id, account_id=account.id,
                             direction=PaymentDirection.WITHDRAWAL, method=PaymentMethod.CARD,
                             provider="Stripe", amount_minor=10_000, currency="USD",
                             payer_name=f"{first} {last}",
                             status=PaymentStatus.PROCESSING if pending_payment
                             else PaymentStatus.COMPLETED))
        s.add(SharedRecord(kind="note", id=note_uid, version=3, deleted=False,
                           data={"client_id": c.external_id, "body": "called"}))
        refresh(dbapi(s), [c.id])
        return c.id


def counts(desk: Desk, client_id: int, tables: dict[str, str] = CLIENT_TABLES) -> dict[str, int]:
    with desk.store.read() as s:
        return {t: s.execute(text(f"SELECT count(*) FROM {t} WHERE {where}"),
                             {"c": client_id}).scalar_one() for t, where in tables.items()}


def as_role(desk: Desk, role: Role, name: str) -> Desk:
    return Desk(desk.store, users.add_user(desk, name, name.title(), role))


def leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in leaves(v)]
    return [value]


# -- what goes and what stays --------------------------------------------------------------


def test_a_client_closed_six_years_ago_is_erased_and_their_records_removed(desk: Desk) -> None:
    cid = make_client(desk, "Maria", "Ioannou", closed_years_ago=6)
    assert all(counts(desk, cid).values())
    result = retention.purge(desk)
    assert counts(desk, cid) == dict.fromkeys(CLIENT_TABLES, 0)
    assert counts(desk, cid, KEPT_TABLES) == dict.fromkeys(KEPT_TABLES, 1)
    with desk.store.read() as s:
        c = s.get(Client, cid)
        assert c is not None
        assert (c.display_name, c.first_name, c.last_name, c.email, c.phone,
                c.date_of_birth, c.occupation, c.declared_income, c.closed_reason) == (
            f"Erased client #{cid}", "", "", "", "", None, "", None, "")
        terms = set(s.scalars(text("SELECT term FROM client_search_terms WHERE client_id = :c"),
                              {"c": cid}))
        login = s.scalar(select(TradingAccount.login).where(TradingAccount.client_id == cid))
        shared = s.execute(select(SharedRecord.deleted, SharedRecord.data)).one()
    assert terms == {str(login)}  # found by login still; never by name, email or passport
    assert tuple(shared) == (True, None)
    removed = {k.kind: k.count for k in result.kinds}
    assert removed["client_personal_data"] == 2  # the client and the extra contact
    assert removed["kyc_records"] == 3 and removed["notes_tasks"] == 2
    assert removed["alerts_cases"] == 4 and removed["screening_hits"] == 1
    assert result.removed == sum(removed.values()) and not result.held
    # No older copy of the removed pages is left in the write-ahead log.
    assert (desk.store.folder / "backdesk.db-wal").stat().st_size == 0


@pytest.mark.parametrize("kept", list(KIND_TABLES))
def test_each_kind_follows_its_own_period(desk: Desk, kept: str) -> None:
    cid = make_client(desk, "Ana", "Lopes", closed_years_ago=6)
    retention.set_policy(desk, kept, 7)
    result = retention.purge(desk)
    left = counts(desk, cid)
    for kind, tables in KIND_TABLES.items():
        for table in tables:
            assert bool(left[table]) == (kind == kept), (kind, table)
    assert next(k for k in result.kinds if k.kind == kept).count == 0


def test_a_client_closed_four_years_ago_keeps_everything_until_their_time(desk: Desk) -> None:
    cid = make_client(desk, "Nikos", "Georgiou", closed_years_ago=4)
    before = counts(desk, cid)
    assert retention.purge(desk).removed == 0
    assert counts(desk, cid) == before
    later = retention.preview_purge(desk, TODAY + timedelta(days=365 * 2))
    assert {k.kind: k.count for k in later.kinds}["kyc_records"] == 3
    # As of two years ago the six-year client had been closed four years: nothing went.
    old = make_client(desk, "Eleni", "Pappa", closed_years_ago=6)
    assert retention.purge(desk, TODAY - timedelta(days=365 * 2)).removed == 0
    assert counts(desk, old)["notes"] == 1


def test_an_open_client_is_never_purged_however_old_the_records(desk: Desk) -> None:
    cid = make_client(desk, "Omar", "Haddad", closed_years_ago=None)
    before = counts(desk, cid)
    with desk.store.write() as s:
        s.execute(text("UPDATE notes SET created_at = '2001-01-01', updated_at = '2001-01-01'"))
    preview = retention.preview_purge(desk, TODAY + timedelta(days=365 * 30))
    assert preview.total == 0
    retention.purge(desk)
    assert counts(desk, cid) == before


def test_held_clients_keep_everything_and_the_reason_is_given(desk: Desk) -> None:
    frozen = make_client(desk, "Ivan", "Petrov", closed_years_ago=6, frozen=True)
    alerted = make_client(desk, "Lena", "Weber", closed_years_ago=6, open_alert=True)
    money = make_client(desk, "Sam", "Cole", closed_years_ago=6, money=12_345)
    paying = make_client(desk, "Rui", "Costa", closed_years_ago=6, pending_payment=True)
    free = make_client(desk, "Tom", "Hale", closed_years_ago=6)
    kept = {cid: counts(desk, cid) for cid in (frozen, alerted, money, paying)}
    preview = retention.preview_purge(desk)
    reasons = {h.id: " ".join(h.reasons) for h in preview.held}
    assert set(reasons) == {frozen, alerted, money, paying}
    assert "frozen by compliance" in reasons[frozen]
    assert "1 open alert (#" in reasons[alerted]
    assert "money left on trading account" in reasons[money] and "123.45 USD" in reasons[money]
    assert "withdrawal #" in reasons[paying] and "processing" in reasons[paying]
    held_kinds = next(h for h in preview.held if h.id == frozen).kinds
    assert set(held_kinds) == set(KIND_TABLES)
    result = retention.purge(desk)
    assert {h.id for h in result.held} == set(kept)
    for cid, before in kept.items():
        assert counts(desk, cid) == before
    assert counts(desk, free) == dict.fromkeys(CLIENT_TABLES, 0)
    with desk.store.read() as s:
        detail = s.scalars(select(RetentionPurge.detail)
                           .where(RetentionPurge.kind == "notes_tasks")).one()
    assert detail["held_clients"] == [[frozen, paying]]


def test_a_change_of_their_records_waiting_for_the_gateway_holds_the_client(
        desk: Desk) -> None:
    """A note (or KYC case, alert, ...) removed while its command waits would still be
    sent, and the next pull would bring it back: the client waits for the sync."""
    waiting = make_client(desk, "Ivan", "Petrov", closed_years_ago=6)
    free = make_client(desk, "Tom", "Hale", closed_years_ago=6)
    with desk.store.write() as s:
        note_uid = s.scalar(select(Note.uid).where(Note.client_id == waiting))
        s.add(OutboxCommand(device_seq=1, idempotency_key=uid(), kind="put-record",
                            payload={"kind": "note", "id": note_uid}, entity="note",
                            entity_ref=note_uid, status=OutboxStatus.PENDING))
    before = counts(desk, waiting)
    preview = retention.preview_purge(desk)
    assert [(h.id, h.reasons) for h in preview.held] == [
        (waiting, ("changes waiting to be sent to the gateway",))]
    result = retention.purge(desk)
    assert [h.id for h in result.held] == [waiting]
    assert counts(desk, waiting) == before
    assert counts(desk, free) == dict.fromkeys(CLIENT_TABLES, 0)


def test_client_money_left_in_the_ledger_on_a_trading_account_holds_the_client(
        desk: Desk) -> None:
    """The platform says the account is empty; the ledger still owes the client 250.00."""
    cid = make_client(desk, "Sam", "Cole", closed_years_ago=6)
    with desk.store.write() as s:
        login = s.scalar(select(TradingAccount.login).where(TradingAccount.client_id == cid))
        owed = LedgerAccount(code=f"trading:gw:{login}:USD", name="Client trading balance",
                             kind=LedgerKind.LIABILITY, currency="USD")
        bank = LedgerAccount(code="bank:test:USD", name="Bank", kind=LedgerKind.ASSET,
                             currency="USD")
        entry = JournalEntry(memo="deposit", source_kind="test", source_ref="1")
        s.add_all([owed, bank, entry])
        s.flush()
        s.add_all([Posting(entry_id=entry.id, ledger_account_id=bank.id, amount_minor=25_000,
                           currency="USD"),
                   Posting(entry_id=entry.id, ledger_account_id=owed.id,
                           amount_minor=-25_000, currency="USD")])
    before = counts(desk, cid)
    held = retention.preview_purge(desk).held
    assert [h.id for h in held] == [cid]
    assert "250.00 USD" in " ".join(held[0].reasons)
    retention.purge(desk)
    assert counts(desk, cid) == before


def test_a_closing_date_not_recorded_is_taken_from_the_last_change_and_said(desk: Desk) -> None:
    cid = make_client(desk, "Zoe", "Adams", closed_years_ago=6, recorded=False)
    assert retention.preview_purge(desk).inferred == (cid,)
    result = retention.purge(desk)
    assert result.inferred == (cid,)
    assert counts(desk, cid)["kyc_cases"] == 0
    with desk.store.read() as s:
        c = s.get(Client, cid)
        assert c is not None and c.closed_at is not None
        assert c.closed_at.date() == ago(6).date()  # fixed: erasing did not restart the clock


def test_a_client_reopened_and_closed_again_on_another_desk_starts_the_clock_again(
        desk: Desk) -> None:
    # Both changes may land in one pull: the desk never sees the client open.
    from sync.mirror import MirrorWriter
    from sync.pull import dbapi as pull_dbapi

    cid = make_client(desk, "Maria", "Ioannou", closed_years_ago=7)
    with desk.store.read() as s:
        ext = s.execute(text("SELECT external_id FROM clients WHERE id = :c"),
                        {"c": cid}).scalar_one()
    with desk.store.write() as s:
        result = MirrorWriter(pull_dbapi(s)).apply([
            {"kind": "client_profile", "id": ext, "version": 2, "deleted": False,
             "data": {"client_id": ext, "status": "closed", "closed_reason": "again"}}])
        assert not result.errors, result.errors
    with desk.store.read() as s:
        c = s.get(Client, cid)
        assert c is not None and c.closed_at is not None
        assert c.closed_at > datetime.now(UTC) - timedelta(hours=1)
    retention.purge(desk)
    assert counts(desk, cid)["kyc_cases"] == 1


# -- the books and the audit chain ----------------------------------------------------------


def test_the_ledger_still_balances_and_the_trial_balance_is_unchanged(desk: Desk) -> None:
    from app.demo.generator import fill

    fill(desk, clients=40, seed=3)
    gone = make_client(desk, "Maria", "Ioannou", closed_years_ago=6)
    with desk.store.write() as s:  # the demo's closed clients ended long ago
        s.execute(text("UPDATE clients SET closed_at = :t WHERE status = 'closed'"),
                  {"t": ago(9).replace(tzinfo=None)})
        # Her last deal lost what the one before won: the ledger owes her nothing, as
        # the platform says (money still owed in the ledger would hold her).
        account = s.scalars(select(TradingAccount).where(TradingAccount.client_id == gone)).one()
        s.add(Deal(platform="gw", ticket=account.login + 500_000, account_id=account.id,
                   symbol="EURUSD", action=DealAction.BUY, entry=DealEntry.OUT, volume=10,
                   profit_minor=-1500, time_ms=int(ago(7).timestamp() * 1000)))
    ledger.post_waiting_deals(desk)
    before = ledger.trial_balance(desk)
    with desk.store.read() as s:
        entries = s.scalar(text("SELECT count(*) || ':' || sum(amount_minor) FROM postings"))
    assert before and all(d == c for d, c in views.totals(before).values())
    result = retention.purge(desk)
    assert result.removed > 0 and counts(desk, gone)["notes"] == 0
    after = ledger.trial_balance(desk)
    assert after == before
    assert all(d == c for d, c in views.totals(after).values())
    with desk.store.read() as s:
        assert s.scalar(text("SELECT count(*) || ':' || sum(amount_minor) FROM postings")) \
            == entries


def test_the_audit_log_still_verifies_and_says_what_each_kind_removed(desk: Desk) -> None:
    make_client(desk, "Maria", "Ioannou", closed_years_ago=6)
    with desk.store.read() as s:
        entries = s.scalar(select(func.count()).select_from(AuditEntry)) or 0
    result = retention.purge(desk)
    with desk.store.read() as s:
        checked = verify(s)
        purges = s.scalars(select(AuditEntry).where(AuditEntry.action == "retention.purge")
                           .order_by(AuditEntry.id)).all()
        total = s.scalar(select(func.count()).select_from(AuditEntry))
    assert checked.ok, checked.message
    assert [e.after["kind"] for e in purges if e.after] == [k.key for k in KINDS]
    assert total == entries + len(KINDS)  # added to, never removed from
    assert sum(e.after["removed"] for e in purges if e.after) == result.removed


def test_retention_purges_hold_ids_and_counts_only(desk: Desk) -> None:
    cid = make_client(desk, "Maria", "Ioannou", closed_years_ago=6)
    result = retention.purge(desk)
    with desk.store.read() as s:
        rows = s.scalars(select(RetentionPurge)).all()
        purge_audit = s.scalars(select(AuditEntry.after)
                                .where(AuditEntry.action == "retention.purge")).all()
    assert {r.kind for r in rows} == {k.key for k in KINDS}
    assert {r.run_uid for r in rows} == {result.run_uid}
    assert {r.cutoff for r in rows} == {years_before(TODAY, 5), years_before(TODAY, 2)}
    personal = next(r for r in rows if r.kind == "client_personal_data")
    assert personal.detail["ids"]["clients"] == [cid]
    for r in rows:
        assert all(isinstance(x, int) for x in leaves(r.detail)), r.detail
    stored = json.dumps([r.detail for r in rows] + list(purge_audit))
    for word in ("Maria", "Ioannou", "example.org", "P1234567", "swap", "Pilot"):
        assert word not in stored


def test_a_second_purge_the_same_day_removes_nothing(desk: Desk) -> None:
    cid = make_client(desk, "Maria", "Ioannou", closed_years_ago=6)
    assert retention.purge(desk).removed > 0
    with desk.store.read() as s:
        version = s.scalar(select(Client.version).where(Client.id == cid))
    again = retention.purge(desk)
    assert again.removed == 0 and all(k.count == 0 for k in again.kinds)
    assert retention.preview_purge(desk).total == 0
    with desk.store.read() as s:
        assert s.scalar(select(Client.version).where(Client.id == cid)) == version


def test_a_purge_stopped_midway_leaves_each_kind_whole(desk: Desk) -> None:
    cid = make_client(desk, "Maria", "Ioannou", closed_years_ago=6)
    with desk.store.write() as s:  # the disk fails while KYC checks are being removed
        s.execute(text("CREATE TRIGGER fail_checks BEFORE DELETE ON kyc_checks"
                       " BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"))
    with pytest.raises(Exception, match="disk I/O error"):
        retention.purge(desk)
    left = counts(desk, cid)
    assert left["client_contacts"] == 0  # the kind before committed, recorded
    assert left["kyc_documents"] == left["document_contents"] == left["kyc_checks"] == 1
    assert left["notes"] == 1  # the kinds after did not start
    with desk.store.write() as s:
        kinds = s.scalars(select(RetentionPurge.kind)).all()
        s.execute(text("DROP TRIGGER fail_checks"))
    assert kinds == ["client_personal_data"]
    retention.purge(desk)
    assert counts(desk, cid) == dict.fromkeys(CLIENT_TABLES, 0)


# -- records with their own clock ------------------------------------------------------------


def test_alerts_and_cases_about_no_client_go_from_their_closing(desk: Desk) -> None:
    with desk.store.write() as s:
        old = Alert(uid=uid(), rule="r", severity=Severity.LOW, status=AlertStatus.CLOSED,
                    summary="old", created_at=ago(7), updated_at=ago(6))
        linked = Alert(uid=uid(), rule="r", severity=Severity.LOW, status=AlertStatus.CLOSED,
                       summary="in an open case", created_at=ago(7), updated_at=ago(6))
        recent = Alert(uid=uid(), rule="r", severity=Severity.LOW, status=AlertStatus.CLOSED,
                       summary="recent", updated_at=ago(1))
        case = ComplianceCase(uid=uid(), title="open", status=CaseStatus.INVESTIGATING)
        s.add_all([old, linked, recent, case])
        s.flush()
        s.add(CaseAlert(case_id=case.id, alert_id=linked.id))
        ids = (old.id, linked.id, recent.id)
    retention.purge(desk)
    with desk.store.read() as s:
        left = set(s.scalars(select(Alert.id)))
    assert left == set(ids[1:])


def test_reconciliation_records_go_from_resolution_and_import(desk: Desk) -> None:
    with desk.store.write() as s:
        s.add_all([ReconRun(id=1, started_at=ago(7), trigger="on_demand"),
                   ReconRun(id=2, started_at=ago(1), trigger="on_demand")])
        s.flush()
        cites_2 = {"statement_lines": [{"statement": 2, "provider": "Stripe"}]}
        for eid, status, last_run, side in ((1, BreakStatus.RESOLVED, 1, None),
                                            (2, BreakStatus.RESOLVED, 2, None),
                                            (3, BreakStatus.OPEN, 1, cites_2)):
            s.add(ReconException(
                id=eid, kind=BreakKind.ORPHAN_PROVIDER, key=f"k{eid}", signature="s",
                summary="x", status=status, first_run_id=1, last_run_id=last_run,
                provider_side=side, created_at=ago(7), updated_at=ago(6),
                resolved_at=ago(6) if status is BreakStatus.RESOLVED else None))
        for sid in (1, 2, 3):
            s.add(ProviderStatement(id=sid, provider="Stripe", file_name="f.csv",
                                    sha256=str(sid) * 64, lines=1,
                                    imported_at=ago(6 if sid < 3 else 1)))
            s.flush()
            s.add(ProviderLine(statement_id=sid, provider="Stripe", provider_ref=f"ref{sid}",
                               direction="deposit", status="completed", amount_minor=100,
                               currency="USD", value_date=date(2020, 1, 1)))
    result = retention.purge(desk)
    with desk.store.read() as s:
        breaks = set(s.scalars(select(ReconException.id)))
        statements = set(s.scalars(select(ProviderStatement.id)))
        lines = set(s.scalars(select(ProviderLine.statement_id)))
    # 2: the newest run still finds it; 3: open. Statement 2: an open break cites it.
    assert breaks == {2, 3} and statements == lines == {2, 3}
    assert next(k for k in result.kinds if k.kind == "reconciliation").rows == {
        "recon_exceptions": 1, "provider_statements": 1}


def test_housekeeping_goes_after_its_own_shorter_period(desk: Desk) -> None:
    with desk.store.write() as s:
        s.add_all([SyncError(at=ago(3), source="pull", message="bad record"),
                   SyncError(at=ago(1), source="pull", message="recent")])
        for seq, (status, entity, at) in enumerate((
                (OutboxStatus.DONE, "client", ago(3)), (OutboxStatus.REJECTED, "payment", ago(3)),
                (OutboxStatus.DONE, "payout", ago(3)), (OutboxStatus.PENDING, "client", ago(3)),
                (OutboxStatus.DONE, "client", ago(1)), (OutboxStatus.DONE, "note", ago(3))), 1):
            s.add(OutboxCommand(device_seq=seq, idempotency_key=uid(), kind="put-record",
                                payload={"email": "a@example.org"}, status=status,
                                entity=entity, created_at=at, sent_at=at))
    retention.purge(desk)
    with desk.store.read() as s:
        errors = s.scalars(select(SyncError.message)).all()
        seqs = s.scalars(select(OutboxCommand.device_seq).order_by(OutboxCommand.device_seq))
        kept = list(seqs)
    assert errors == ["recent"]
    assert kept == [3, 4, 5, 6]  # payout, pending, recent, and the newest (the sequence)


def test_the_last_answered_command_of_a_signed_record_stays(desk: Desk) -> None:
    """Who signed a KYC decision, a document review or an approval on the gateway is read
    from the last command that sent it: removing it would make the next change sign
    with someone else's name, and the gateway refuse it."""
    with desk.store.write() as s:
        for seq, (entity, ref, signed, status) in enumerate((
                ("kyc_document", "DOC-1", {"reviewed_by": "compliance"}, OutboxStatus.DONE),
                ("kyc_case", "CASE-1", {"decided_by": "compliance"}, OutboxStatus.DONE),
                ("approval", "APR-1", {"prepared_by": "compliance"}, OutboxStatus.DONE),
                ("kyc_document", "DOC-1", {"reviewed_by": "compliance"}, OutboxStatus.DONE),
                ("kyc_case", "CASE-1", {"decided_by": "olga"}, OutboxStatus.REJECTED),
                ("note", "NOTE-1", {"author": "compliance"}, OutboxStatus.DONE),
                ("client", "C-1", {}, OutboxStatus.DONE)), 1):
            s.add(OutboxCommand(device_seq=seq, idempotency_key=uid(), kind="put-record",
                                payload={"kind": entity, "id": ref, "data": signed},
                                status=status, entity=entity, entity_ref=ref,
                                created_at=ago(3), sent_at=ago(3)))
    retention.purge(desk)
    with desk.store.read() as s:
        kept = list(s.scalars(select(OutboxCommand.device_seq)
                              .order_by(OutboxCommand.device_seq)))
        signers = [signed_before(s, "kyc_document", "DOC-1", "reviewed_by", desk.actor.id),
                   signed_before(s, "kyc_case", "CASE-1", "decided_by", desk.actor.id),
                   signed_before(s, "approval", "APR-1", "prepared_by", desk.actor.id)]
    assert kept == [2, 3, 4, 7]  # the last of each signed record, and the newest
    assert signers == ["compliance"] * 3


def test_tables_with_no_index_on_the_client_are_read_once_however_many_are_due(
        desk: Desk) -> None:
    """Cases, reconciliation breaks and case links have no index on the client (or the
    alert): read a chunk of ids at a time, a big workspace's table would be read once
    per 500 clients (or alerts), hundreds of times in one purge."""
    n = 3 * CHUNK
    with desk.store.write() as s:
        db = dbapi(s)
        db.executemany(
            "INSERT INTO clients (kind, first_name, last_name, company_name, display_name,"
            " search_name, email, phone, country, status, segment, risk_rating, closed_reason,"
            " version, server_version, profile_version, created_at, updated_at, closed_at)"
            " VALUES ('person', '', '', '', ?, ?, '', '', 'CY', 'closed', '', 'unrated', '',"
            " 1, 0, 0, :t, :t, :t)".replace(":t", "'2015-01-01 00:00:00.000000'"),
            [(f"c{i}", f"c{i}") for i in range(n)])
        clients = [r[0] for r in db.execute("SELECT id FROM clients ORDER BY id")]
        db.executemany(
            "INSERT INTO alerts (uid, rule, severity, client_id, status, summary, evidence,"
            " version, server_version, created_at, updated_at) VALUES (?, 'r', 'low', ?,"
            " 'closed', 's', '{}', 1, 0, '2015-01-01', '2015-01-01')",
            [(uid(), cid) for cid in clients])
    read: dict[str, int] = {}

    class Counting:
        def __init__(self, db: Any) -> None:
            self.db = db

        def execute(self, sql: str, args: Any = ()) -> Any:
            for table in ("compliance_cases", "recon_exceptions", "case_alerts"):
                if sql.startswith("SELECT") and f" FROM {table} " in sql + " ":
                    read[table] = read.get(table, 0) + 1
            return self.db.execute(sql, args)

    with desk.store.read() as s:
        db = Counting(dbapi(s))
        found = FINDERS["alerts_cases"](db, clients, TODAY, True)
        FINDERS["reconciliation"](db, clients, TODAY, True)
    assert len(found.rows["alerts"]) == n
    # Once for the clients' records, once for those about no client (and once for the
    # breaks that keep a provider statement).
    assert read == {"compliance_cases": 2, "case_alerts": 1, "recon_exceptions": 3}


# -- periods and who may change them -------------------------------------------------------


def test_a_period_below_the_legal_minimum_is_refused(desk: Desk) -> None:
    with pytest.raises(ValidationFailed, match="at least 5 years after the relationship ends"):
        retention.set_policy(desk, "kyc_records", 4)
    with pytest.raises(ValidationFailed, match="at least 1 year"):
        retention.set_policy(desk, "sync_errors", 0)
    with pytest.raises(ValidationFailed, match="at most 50 years"):
        retention.set_policy(desk, "notes_tasks", 2031)
    with pytest.raises(ValidationFailed, match="no record kind"):
        retention.set_policy(desk, "deals", 10)
    assert {p.kind.key: p.years for p in retention.policies(desk)}["kyc_records"] == 5
    retention.set_policy(desk, "kyc_records", 10)
    retention.set_policy(desk, "sync_errors", 1)
    now = {p.kind.key: (p.years, p.is_default) for p in retention.policies(desk)}
    assert now["kyc_records"] == (10, False) and now["sync_errors"] == (1, False)
    with desk.store.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "retention.policy")
                          .order_by(AuditEntry.id)).first()
    assert entry is not None and (entry.before, entry.after) == ({"years": 5}, {"years": 10})


def test_a_purge_as_of_a_later_day_is_refused(desk: Desk) -> None:
    cid = make_client(desk, "Nikos", "Georgiou", closed_years_ago=4)
    with pytest.raises(ValidationFailed, match="runs as of today"):
        retention.purge(desk, TODAY + timedelta(days=800))
    assert counts(desk, cid)["notes"] == 1


@pytest.mark.parametrize("role", [Role.CLERK, Role.COMPLIANCE, Role.FINANCE, Role.MANAGER])
def test_only_an_administrator_changes_periods_and_purges(desk: Desk, role: Role) -> None:
    cid = make_client(desk, "Maria", "Ioannou", closed_years_ago=6)
    other = as_role(desk, role, "someone")
    assert len(retention.policies(other)) == len(KINDS)  # reading is for everyone
    for attempt in (lambda: retention.set_policy(other, "kyc_records", 8),
                    lambda: retention.preview_purge(other),
                    lambda: retention.purge(other)):
        with pytest.raises(PermissionDenied, match="change workspace settings"):
            attempt()
    assert counts(desk, cid)["notes"] == 1
    assert {p.kind.key: p.years for p in retention.policies(desk)}["kyc_records"] == 5
