"""The KYC/AML compliance report as a compliance officer reads it: a small world of
clients in four scripts, KYC cases and documents, screening runs and hits, alerts and
cases written as the services leave them, inside and outside October 2026; the data
checked exactly and the PDF read back with pypdf."""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.errors import PermissionDenied
from app.models.compliance import (
    Alert,
    AlertStatus,
    CaseAlert,
    CaseStatus,
    ComplianceCase,
    Severity,
)
from app.models.crm import Client, ClientStatus, RiskRating
from app.models.kyc import (
    DocumentStatus,
    HitStatus,
    KycCase,
    KycDocument,
    KycStatus,
    ScreeningHit,
    ScreeningRun,
)
from app.models.users import Role
from app.reports.document import Period
from app.services import clients, reports, users
from app.services.report_library import ReportParams, kind
from app.services.workspace import Desk

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
LATIN = "Ångström, Zoë"
CYRILLIC = "Белозёров, Алексей"
GREEK = "Παπαδόπουλος, Νίκος"
ARABIC = "سعيد الهاشمي"


def at(day: int, month: int = 10, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def logical(text: str) -> str:
    """Extracted text with Arabic presentation forms folded back to plain letters."""
    return unicodedata.normalize("NFKC", text)


def pdf_text(data: bytes | Path) -> list[str]:
    import io

    source = io.BytesIO(data) if isinstance(data, bytes) else data
    return [p.extract_text() for p in PdfReader(source).pages]


@dataclass(frozen=True)
class World:
    latin: int
    cyrillic: int
    greek: int
    arabic: int
    lead: int
    olga: int  # a compliance officer's user id
    confirmed_case: int
    open_case: int


def _client(desk: Desk, first: str, last: str, country: str, *, status: ClientStatus,
            rating: RiskRating = RiskRating.LOW, pep: bool = False,
            frozen: bool = False) -> int:
    cid = clients.create_client(desk, clients.ClientData(first_name=first, last_name=last,
                                                         country=country))
    with desk.store.write() as s:
        c = s.get(Client, cid)
        assert c is not None
        c.status, c.risk_rating, c.pep, c.frozen = status, rating, pep, frozen
        if frozen:
            c.frozen_reason = "Confirmed sanctions match"
    return cid


def _case(s: object, client: int, status: KycStatus, decided: datetime | None,
          by: int | None, *, enhanced: bool = False, notes: str = "",
          review: date | None = None) -> int:
    case = KycCase(uid=str(uuid.uuid4()), client_id=client, status=status, enhanced=enhanced,
                   decided_by=by, decided_at=decided, notes=notes, next_review=review,
                   created_at=at(1, 9))
    s.add(case)  # type: ignore[attr-defined]
    s.flush()  # type: ignore[attr-defined]
    return case.id


def _document(s: object, case: int, doc_type: str, expiry: date,
              status: DocumentStatus = DocumentStatus.APPROVED) -> int:
    doc = KycDocument(uid=str(uuid.uuid4()), case_id=case, doc_type=doc_type,
                      requirement="identity", expiry_date=expiry, status=status,
                      file_name=f"{doc_type}.pdf", mime_type="application/pdf",
                      sha256=hashlib.sha256(doc_type.encode()).hexdigest(), size=1000)
    s.add(doc)  # type: ignore[attr-defined]
    s.flush()  # type: ignore[attr-defined]
    return doc.id


def _hit(client: int, name: str, status: HitStatus, raised: datetime,
         reviewed: datetime | None = None, by: int | None = None,
         reason: str = "") -> ScreeningHit:
    return ScreeningHit(uid=str(uuid.uuid4()), client_id=client, list_name="OFAC SDN",
                        list_version="2026-10-01", entry_ref=f"SDN-{abs(hash(name)) % 9999}",
                        matched_name=name, score=91, status=status, reviewed_by=by,
                        reviewed_at=reviewed, review_reason=reason, created_at=raised)


def _alert(rule: str, severity: Severity, client: int, status: AlertStatus, raised: datetime,
           evidence: dict[str, object] | None = None) -> Alert:
    return Alert(uid=str(uuid.uuid4()), rule=rule, severity=severity, client_id=client,
                 status=status, summary=f"{rule} on client #{client}",
                 evidence=evidence or {}, created_at=raised)


def build_world(desk: Desk) -> World:
    """Clients in four scripts and their compliance records, in and around October 2026."""
    olga = users.add_user(desk, "olga", "Olga Comply", Role.COMPLIANCE).id
    latin = _client(desk, "Zoë", "Ångström", "GB", status=ClientStatus.ACTIVE,
                    rating=RiskRating.HIGH)
    cyrillic = _client(desk, "Алексей", "Белозёров", "CY", status=ClientStatus.VERIFIED,
                       rating=RiskRating.MEDIUM, pep=True)
    greek = _client(desk, "Νίκος", "Παπαδόπουλος", "GR", status=ClientStatus.KYC_PENDING)
    arabic = _client(desk, "", "سعيد الهاشمي", "AE", status=ClientStatus.ACTIVE,
                     rating=RiskRating.HIGH, frozen=True)
    lead = _client(desk, "Lee", "Lead", "GB", status=ClientStatus.LEAD)
    with desk.store.write() as s:
        # Decided in October: approved (Latin), rejected (Greek), EDD (Arabic); in
        # September: the Cyrillic client's approval, outside the period.
        c_latin = _case(s, latin, KycStatus.APPROVED, at(3), olga, notes="All documents fine",
                        review=date(2027, 4, 3))
        c_greek = _case(s, greek, KycStatus.REJECTED, at(7), olga,
                        notes="Passport photo does not match the selfie")
        c_arabic = _case(s, arabic, KycStatus.EDD, at(9), olga, enhanced=True,
                         notes="Source of wealth needed")
        c_cyr = _case(s, cyrillic, KycStatus.APPROVED, at(20, 9), olga, notes="September",
                      review=date(2027, 3, 20))
        # Documents: one expiring 15 days after October (listed), one 45 days after
        # (not), one expiring in October, one expired in August and never renewed,
        # and an old passport the newer one replaced (not chased).
        _document(s, c_latin, "passport", date(2026, 11, 15))
        _document(s, c_latin, "driving_licence", date(2026, 7, 1))
        _document(s, c_greek, "passport", date(2026, 12, 15), DocumentStatus.NEW)
        _document(s, c_cyr, "passport", date(2026, 10, 10))
        _document(s, c_arabic, "residence_permit", date(2026, 8, 1))
        s.add_all([
            ScreeningRun(trigger="list_update", started_at=at(2), finished_at=at(2, hour=11),
                         clients=5, hits=3, actor_id=olga,
                         lists={"lists": [{"id": 1, "name": "OFAC SDN",
                                           "version": "2026-10-01"}], "state": "done"}),
            ScreeningRun(trigger="onboarding", started_at=at(12), finished_at=at(12),
                         clients=1, hits=0, lists={"lists": [], "state": "done"}),
            ScreeningRun(trigger="rescreen_september", started_at=at(15, 9), clients=4),
            _hit(arabic, "Saeed AL HASHEMI", HitStatus.TRUE_MATCH, at(2), at(4), olga,
                 "Same date of birth and passport number"),
            _hit(cyrillic, "Aleksei BELOZEROV", HitStatus.FALSE_POSITIVE, at(2), at(5), olga,
                 "Different person: born 1951"),
            _hit(latin, "Zoe ANGSTROM", HitStatus.OPEN, at(2)),
            _hit(greek, "Nikos PAPADOPOULOS", HitStatus.FALSE_POSITIVE, at(20, 9), at(6),
                 olga, "Decided in October"),
            _hit(lead, "Lee LEADER", HitStatus.FALSE_POSITIVE, at(20, 9), at(21, 9), olga,
                 "All in September"),
        ])
        big1 = _alert("large_deposit", Severity.HIGH, arabic, AlertStatus.IN_CASE, at(3))
        big2 = _alert("large_deposit", Severity.HIGH, latin, AlertStatus.OPEN, at(8))
        split = _alert("structuring", Severity.MEDIUM, cyrillic, AlertStatus.CLOSED, at(9),
                       {"_review": {"outcome": "false_positive", "reason": "Salary"}})
        old = _alert("structuring", Severity.MEDIUM, greek, AlertStatus.OPEN, at(25, 9))
        s.add_all([big1, big2, split, old])
        s.flush()
        confirmed = ComplianceCase(
            uid=str(uuid.uuid4()), title="Deposits from a sanctioned bank", client_id=arabic,
            status=CaseStatus.CLOSED, outcome="confirmed_risk",
            outcome_reason="Funds came from a listed bank; withdrawals frozen",
            opened_by=olga, closed_by=olga, created_at=at(4), closed_at=at(18),
            froze_withdrawals=True)
        september = ComplianceCase(
            uid=str(uuid.uuid4()), title="Third-party payer", client_id=cyrillic,
            status=CaseStatus.CLOSED, outcome="false_positive",
            outcome_reason="The payer is the client's own company", opened_by=olga,
            closed_by=olga, created_at=at(28, 9), closed_at=at(2))
        still_open = ComplianceCase(
            uid=str(uuid.uuid4()), title="Rapid in and out", client_id=latin,
            status=CaseStatus.INVESTIGATING, opened_by=olga, created_at=at(22))
        gone = ComplianceCase(
            uid=str(uuid.uuid4()), title="Closed before October", client_id=greek,
            status=CaseStatus.CLOSED, outcome="false_positive", outcome_reason="old",
            opened_by=olga, closed_by=olga, created_at=at(1, 9), closed_at=at(2, 9))
        s.add_all([confirmed, september, still_open, gone])
        s.flush()
        s.add(CaseAlert(case_id=confirmed.id, alert_id=big1.id))
    return World(latin, cyrillic, greek, arabic, lead, olga, confirmed.id, still_open.id)


@pytest.fixture
def world(desk: Desk) -> World:
    return build_world(desk)


def test_the_data_counts_and_lists_what_happened_in_the_period(desk: Desk,
                                                               world: World) -> None:
    r = reports.compliance_report(desk, OCTOBER)
    kyc = dict(r.kyc_statuses)
    assert (kyc["approved"], kyc["rejected"], kyc["EDD"], kyc["open"], kyc["no KYC case"]) == (
        2, 1, 1, 0, 1)
    assert dict(r.client_statuses) == {"lead": 1, "registered": 0, "KYC pending": 1,
                                       "verified": 1, "active": 2, "dormant": 0, "closed": 0}
    assert [(d.client_id, d.status.value, d.enhanced) for d in r.decisions] == [
        (world.latin, "approved", False), (world.greek, "rejected", False),
        (world.arabic, "edd", True)]
    assert [d.decided_by for d in r.decisions] == ["Olga Comply"] * 3
    # High risk or PEP, in name order (Latin, Cyrillic, Arabic): the PEP is only medium
    # risk, the Greek client and the lead are neither.
    assert [(c.client_id, c.rating.value, c.pep, c.frozen, c.kyc) for c in r.risk_clients] == [
        (world.latin, "high", False, False, "approved"),
        (world.cyrillic, "medium", True, False, "approved"),
        (world.arabic, "high", False, True, "EDD")]
    assert r.risk_clients[0].next_review == date(2027, 4, 3)
    assert [(x.trigger, x.clients, x.hits, x.run_by) for x in r.runs] == [
        ("list update", 5, 3, "Olga Comply"), ("onboarding", 1, 0, "automatic")]
    assert r.runs[0].lists == "OFAC SDN 2026-10-01"
    assert [(h.client_id, h.outcome) for h in r.hits] == [
        (world.greek, "false positive"), (world.arabic, "confirmed"),
        (world.cyrillic, "false positive"), (world.latin, "open")]
    assert r.hit_outcomes == [("confirmed", 1), ("false positive", 2), ("open", 1)]
    assert [(g.rule, g.severity.value, g.raised, g.states, g.outcomes) for g in r.alerts] == [
        ("large_deposit", "high", 2, (("open", 1), ("in a case", 1), ("closed", 0)),
         (("confirmed risk", 1),)),
        ("structuring", "medium", 1, (("open", 0), ("in a case", 0), ("closed", 1)),
         (("dismissed as false positive", 1),))]
    assert [c.title for c in r.cases] == ["Third-party payer",
                                          "Deposits from a sanctioned bank",
                                          "Rapid in and out"]
    assert [c.id for c in r.cases_opened()] == [world.confirmed_case, world.open_case]
    assert [(c.outcome, c.reason[:9]) for c in r.cases_closed()] == [
        ("false positive", "The payer"), ("confirmed risk", "Funds cam")]
    assert r.cases[1].alerts == 1 and r.cases[1].client_name == ARABIC
    assert [(d.client_id, d.expiry_date) for d in r.expiring] == [
        (world.latin, date(2026, 11, 15))]
    assert [(d.client_id, d.expiry_date, d.replaced) for d in r.expired] == [
        (world.arabic, date(2026, 8, 1), False), (world.cyrillic, date(2026, 10, 10), False)]


def test_the_pdf_reads_back_with_every_section_and_name(desk: Desk, world: World,
                                                        tmp_path: Path) -> None:
    out = tmp_path / "compliance.pdf"
    pages = kind("compliance").write(desk, ReportParams(period=OCTOBER), out)
    texts = pdf_text(out)
    assert pages == len(texts) >= 1
    text = "\n".join(texts)
    flat = logical(text)
    for expected in ("Test Markets Ltd", "KYC/AML compliance report",
                     "Period: 2026-10-01 to 2026-10-31", "Generated by Ada Admin",
                     f"Page 1 of {pages}", "KYC status overview",
                     "KYC decisions in the period (3)", "High-risk and PEP clients (3)",
                     "Screening runs in the period (2)", "confirmed 1 · false positive 2 · open 1",
                     "Same date of birth and passport number", "Alerts raised in the period (3)",
                     "large deposit", "confirmed risk 1", "dismissed as false positive 1",
                     "Opened in the period: 2 · closed in the period: 2",
                     "Funds came from a listed bank", "2026-11-15", "2026-10-10",
                     "2026-08-01", "Expired (2)", "withdrawals frozen"):
        assert expected in text.replace("\n", " ") or expected in text, expected
    for name in (LATIN, CYRILLIC, GREEK, ARABIC):
        assert name in flat, name
    assert "Closed before October" not in text and "All in September" not in text
    assert "2026-12-15" not in text  # 45 days after the period: not yet expiring
    assert "2026-07-01" not in text  # replaced by a later passport: nobody chases it


def test_an_empty_period_says_so_in_every_section(desk: Desk, tmp_path: Path) -> None:
    out = tmp_path / "empty.pdf"
    kind("compliance").write(desk, ReportParams(period=Period(date(2025, 1, 1),
                                                             date(2025, 1, 31))), out)
    text = " ".join(pdf_text(out)).replace("\n", " ")
    for said in ("No KYC case was decided in the period.",
                 "No client is rated high risk",
                 "No screening ran in the period.", "Monitoring raised no alert",
                 "No case was opened or closed in the period.",
                 "No document held as valid expires in those days."):
        assert said in text, said


def test_a_clerk_may_not_run_it(desk: Desk, world: World, tmp_path: Path) -> None:
    clerk = Desk(desk.store, users.add_user(desk, "cleo", "Cleo Clerk", Role.CLERK))
    with pytest.raises(PermissionDenied, match="run reports"):
        reports.compliance_report(clerk, OCTOBER)
    with pytest.raises(PermissionDenied, match="run reports"):
        kind("compliance").write(clerk, ReportParams(period=OCTOBER), tmp_path / "c.pdf")
    assert not (tmp_path / "c.pdf").exists()
