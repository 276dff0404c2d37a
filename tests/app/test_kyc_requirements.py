"""What each kind of client must prove, which documents prove it, and how a case's
summary reads: met, waiting for review, rejected, expired, missing."""

from __future__ import annotations

from datetime import date

from app.kyc.requirements import (
    DOC_TYPES,
    DocumentFacts,
    Requirement,
    State,
    doc_types_for,
    requirement_of,
    requirements_for,
    summarise,
)
from app.models.crm import ClientKind
from app.models.kyc import DocumentStatus

R = Requirement
TODAY = date(2025, 6, 1)


def doc(i: int, req: str, status: DocumentStatus, expiry: date | None = None,
        doc_type: str = "", reason: str = "") -> DocumentFacts:
    types = {"identity": "passport", "proof_of_address": "utility_bill", "selfie": "selfie",
             "source_of_wealth": "payslip", "incorporation": "certificate_of_incorporation",
             "directors": "register_of_directors", "ubo": "ubo_declaration"}
    return DocumentFacts(i, req, doc_type or types[req], status, expiry, reason)


def test_individuals_and_companies_have_their_own_requirements() -> None:
    assert requirements_for(ClientKind.PERSON, False) == (R.IDENTITY, R.PROOF_OF_ADDRESS,
                                                          R.SELFIE)
    assert requirements_for(ClientKind.COMPANY, False) == (R.INCORPORATION, R.DIRECTORS, R.UBO)
    assert requirements_for(ClientKind.PERSON, True)[-2:] == (R.SOURCE_OF_WEALTH,
                                                             R.SENIOR_APPROVAL)
    assert R.SOURCE_OF_WEALTH in requirements_for(ClientKind.COMPANY, True)


def test_document_types_prove_their_requirements() -> None:
    assert set(doc_types_for(R.IDENTITY)) == {"passport", "national_id", "driving_licence",
                                              "residence_permit"}
    assert {"utility_bill", "bank_statement"} <= set(doc_types_for(R.PROOF_OF_ADDRESS))
    assert "bank_statement" in doc_types_for(R.SOURCE_OF_WEALTH)
    assert "utility_bill" not in doc_types_for(R.IDENTITY)
    assert DOC_TYPES["passport"].needs_expiry and DOC_TYPES["passport"].needs_number
    assert DOC_TYPES["utility_bill"].needs_issue_date


def test_documents_without_a_recorded_requirement_are_placed_by_type() -> None:
    assert requirement_of("", "passport") is R.IDENTITY
    assert requirement_of("", "proof_of_address") is R.PROOF_OF_ADDRESS  # demo data
    assert requirement_of("source_of_wealth", "bank_statement") is R.SOURCE_OF_WEALTH
    assert requirement_of("", "bank_statement") is R.PROOF_OF_ADDRESS
    assert requirement_of("", "holiday_photo") is None


def test_summary_says_what_is_met_waiting_rejected_expired_and_missing() -> None:
    summary = summarise(ClientKind.PERSON, False, [
        doc(1, "identity", DocumentStatus.APPROVED, date(2030, 1, 1)),
        doc(2, "proof_of_address", DocumentStatus.REJECTED, reason="older than 3 months"),
    ], TODAY)
    assert summary.met == (R.IDENTITY,)
    assert summary.rejected == (R.PROOF_OF_ADDRESS,)
    assert summary.missing == (R.SELFIE,)
    assert not summary.complete()
    assert summary.still_needed() == ("proof of address (rejected: older than 3 months); "
                                      "selfie (nothing attached)")
    waiting = summarise(ClientKind.PERSON, False, [doc(3, "selfie", DocumentStatus.NEW)], TODAY)
    assert waiting.in_review == (R.SELFIE,)


def test_expiry_is_read_from_the_date_even_before_the_sweep_marks_it() -> None:
    lapsed = summarise(ClientKind.PERSON, False, [
        doc(1, "identity", DocumentStatus.APPROVED, date(2025, 5, 31))], TODAY)
    assert lapsed.expired == (R.IDENTITY,)
    assert "passport expired on 2025-05-31" in lapsed.still_needed()
    last_day = summarise(ClientKind.PERSON, False, [
        doc(1, "identity", DocumentStatus.APPROVED, TODAY)], TODAY)
    assert last_day.met == (R.IDENTITY,)  # good through its expiry date
    swept = summarise(ClientKind.PERSON, False, [
        doc(1, "identity", DocumentStatus.EXPIRED, date(2030, 1, 1))], TODAY)
    assert swept.expired == (R.IDENTITY,)


def test_a_fresh_approved_document_outweighs_an_expired_or_rejected_one() -> None:
    summary = summarise(ClientKind.PERSON, False, [
        doc(1, "identity", DocumentStatus.EXPIRED, date(2024, 1, 1)),
        doc(2, "identity", DocumentStatus.REJECTED, reason="blurred"),
        doc(3, "identity", DocumentStatus.APPROVED, date(2031, 1, 1)),
    ], TODAY)
    assert summary.requirements[0].state is State.MET
    assert summary.requirements[0].document_ids == (1, 2, 3)


def test_enhanced_cases_need_source_of_wealth_and_a_second_signature() -> None:
    docs = [doc(1, "identity", DocumentStatus.APPROVED, date(2030, 1, 1)),
            doc(2, "proof_of_address", DocumentStatus.APPROVED),
            doc(3, "selfie", DocumentStatus.APPROVED)]
    assert summarise(ClientKind.PERSON, False, docs, TODAY).complete()
    enhanced = summarise(ClientKind.PERSON, True, docs, TODAY)
    assert enhanced.missing == (R.SOURCE_OF_WEALTH, R.SENIOR_APPROVAL)
    docs.append(doc(4, "source_of_wealth", DocumentStatus.APPROVED))
    pending = summarise(ClientKind.PERSON, True, docs, TODAY, "pending")
    assert pending.complete(ignoring=[R.SENIOR_APPROVAL]) and not pending.complete()
    assert pending.in_review == (R.SENIOR_APPROVAL,)
    assert summarise(ClientKind.PERSON, True, docs, TODAY, "approved").complete()


def test_company_case_summary() -> None:
    summary = summarise(ClientKind.COMPANY, False, [
        doc(1, "incorporation", DocumentStatus.APPROVED),
        doc(2, "directors", DocumentStatus.NEW)], TODAY)
    assert summary.met == (R.INCORPORATION,)
    assert summary.in_review == (R.DIRECTORS,)
    assert summary.missing == (R.UBO,)
    assert "ultimate beneficial owners (nothing attached)" in summary.still_needed()
