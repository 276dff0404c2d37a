"""Enhanced due diligence and the second signature: high risk, PEP or a FATF-listed
country opens EDD with its own requirements; approving such a case needs a second
person, never the one who prepared it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from app.errors import PermissionDenied, ValidationFailed
from app.kyc import cases, rating, review
from app.kyc.requirements import Requirement
from app.models.compliance import Approval, ApprovalStatus
from app.models.crm import ClientStatus, RiskRating
from app.models.kyc import HitStatus, KycStatus
from app.models.sync_state import OutboxCommand
from app.models.users import Role
from app.services import outbox
from app.services.workspace import Desk
from tests.app.test_kyc_support import (
    as_user,
    attach,
    complete_person_case,
    deposit,
    on_platform,
    person,
    screening_hit,
)


@pytest.fixture
def olga(desk: Desk) -> Desk:
    return as_user(desk, Role.COMPLIANCE, "olga")


@pytest.fixture
def petra(desk: Desk) -> Desk:
    return as_user(desk, Role.COMPLIANCE, "petra")


def edd_case_ready(desk: Desk, olga: Desk, tmp_path: Path, **client: object) -> tuple[int, int]:
    cid = person(desk, **client)
    case_id = complete_person_case(desk, olga, cid, tmp_path)
    review.approve_document(olga, attach(desk, case_id, tmp_path, "source_of_wealth",
                                         "payslip"))
    return cid, case_id


def test_a_pep_opens_edd_with_its_own_requirements(desk: Desk) -> None:
    case_id = cases.open_case(desk, person(desk, pep=True))
    view = cases.get_case(desk, case_id)
    assert view.enhanced and view.status is KycStatus.EDD
    assert "politically exposed person" in view.edd_reason
    assert view.edd_reason.startswith("Enhanced due diligence: high risk rating (score 50)")
    assert [r.requirement for r in view.summary.requirements][-2:] == [
        Requirement.SOURCE_OF_WEALTH, Requirement.SENIOR_APPROVAL]


def test_a_grey_list_country_opens_edd_though_the_rating_is_medium(desk: Desk) -> None:
    case_id = cases.open_case(desk, person(desk, country="KE"))
    view = cases.get_case(desk, case_id)
    assert view.risk is not None and view.risk.rating is RiskRating.MEDIUM
    assert view.enhanced and "Kenya is on FATF's increased-monitoring list" in view.edd_reason


def test_a_high_score_opens_edd_and_a_low_one_does_not(desk: Desk, olga: Desk) -> None:
    low = cases.open_case(desk, person(desk, last="Low"))
    assert not cases.get_case(desk, low).enhanced
    cid = person(desk, last="High", occupation="Casino owner")
    case_id = cases.open_case(desk, cid)
    assert not cases.get_case(desk, case_id).enhanced  # 20 points: medium
    screening_hit(desk, cid, HitStatus.OPEN)
    assert rating.rate_client(olga, cid).rating is RiskRating.HIGH  # 50 points
    view = cases.get_case(desk, case_id)
    assert view.enhanced and view.status is KycStatus.EDD
    assert "high risk rating (score 50)" in view.edd_reason


def test_source_of_wealth_is_needed_before_an_edd_case_can_be_approved(
        desk: Desk, olga: Desk, tmp_path: Path) -> None:
    cid = person(desk, pep=True)
    case_id = complete_person_case(desk, olga, cid, tmp_path)
    with pytest.raises(ValidationFailed, match=r"Still needed: source of wealth \(nothing "
                                               r"attached\)\.$"):
        review.approve_case(olga, case_id)


def test_the_same_person_cannot_prepare_and_sign(desk: Desk, olga: Desk, petra: Desk,
                                                 tmp_path: Path) -> None:
    _, case_id = edd_case_ready(desk, olga, tmp_path, pep=True)
    first = review.approve_case(olga, case_id)
    assert first.awaiting_second_signature and first.status is KycStatus.EDD
    assert "a second person with the right to approve high-risk clients must sign" in \
        first.message
    with desk.store.read() as s:
        approval = s.get(Approval, first.approval_id)
        assert approval is not None
        assert (approval.kind, approval.status, approval.prepared_by) == (
            "kyc_high_risk", ApprovalStatus.PENDING, olga.actor.id)
    view = cases.get_case(desk, case_id)
    assert view.summary.in_review == (Requirement.SENIOR_APPROVAL,)
    assert view.second_signature is not None and view.second_signature.prepared_by == "Olga"
    for attempt in (lambda: review.approve_case(olga, case_id),
                    lambda: review.countersign_case(olga, case_id, True)):
        with pytest.raises(ValidationFailed, match="you cannot also sign it"):
            attempt()
    assert cases.get_case(desk, case_id).status is KycStatus.EDD
    done = review.approve_case(petra, case_id, "Source of wealth verified with employer.")
    assert done.status is KycStatus.APPROVED and done.rating is RiskRating.HIGH
    view = cases.get_case(desk, case_id)
    assert (view.decided_by, view.client_status) == ("Petra", ClientStatus.VERIFIED)
    assert view.second_signature is not None
    assert (view.second_signature.status, view.second_signature.decided_by) == ("approved",
                                                                                "Petra")
    assert view.summary.complete()


def test_the_checker_may_refuse_and_the_maker_asks_again(desk: Desk, olga: Desk, petra: Desk,
                                                         tmp_path: Path) -> None:
    _, case_id = edd_case_ready(desk, olga, tmp_path, pep=True)
    first = review.approve_case(olga, case_id)
    with pytest.raises(ValidationFailed, match="Say why you do not sign"):
        review.countersign_case(petra, case_id, False)
    refused = review.countersign_case(petra, case_id, False, "Wealth letter unsigned.")
    assert refused.status is KycStatus.EDD and not refused.awaiting_second_signature
    view = cases.get_case(desk, case_id)
    assert view.second_signature is not None and view.second_signature.reason == \
        "Wealth letter unsigned."
    again = review.approve_case(olga, case_id)
    assert again.awaiting_second_signature and again.approval_id != first.approval_id
    assert review.countersign_case(petra, case_id, True).status is KycStatus.APPROVED


def test_only_high_risk_approvers_sign(desk: Desk, olga: Desk, tmp_path: Path) -> None:
    finance = as_user(desk, Role.FINANCE, "fred")
    clerk = as_user(desk, Role.CLERK, "chris")
    _, case_id = edd_case_ready(desk, olga, tmp_path, pep=True)
    first = review.approve_case(olga, case_id)
    with pytest.raises(PermissionDenied, match="approve high-risk clients"):
        review.countersign_case(finance, case_id, True)
    # Nor through the generic approvals: the right is checked there too.
    assert first.approval_id is not None
    with pytest.raises(PermissionDenied, match="approve high-risk clients"):
        outbox.decide_approval(clerk, first.approval_id, True)
    assert cases.get_case(desk, case_id).status is KycStatus.EDD


def test_a_client_rated_high_during_review_needs_edd_and_two_signatures(desk: Desk, olga: Desk,
                                                               petra: Desk,
                                                               tmp_path: Path) -> None:
    cid = person(desk, declared_income=100_000)  # 1,000 USD a year
    case_id = complete_person_case(desk, olga, cid, tmp_path)
    deposit(desk, cid, 5_000_000, method="crypto")  # 50,000 USD in crypto
    screening_hit(desk, cid, HitStatus.OPEN)
    review.approve_document(olga, attach(desk, case_id, tmp_path, "source_of_wealth",
                                         "sale_contract"))
    first = review.approve_case(olga, case_id)
    assert first.rating is RiskRating.HIGH and first.awaiting_second_signature
    assert cases.get_case(desk, case_id).enhanced
    assert review.countersign_case(petra, case_id, True).next_review is not None


def test_an_approved_client_rated_high_later_gets_a_new_edd_review(
        desk: Desk, olga: Desk, tmp_path: Path) -> None:
    cid = person(desk)
    case_id = complete_person_case(desk, olga, cid, tmp_path)
    review.approve_case(olga, case_id)
    screening_hit(desk, cid, HitStatus.TRUE_MATCH)
    assert rating.rate_client(olga, cid).rating is RiskRating.HIGH
    rows = cases.client_cases(desk, cid)
    assert [(r.status, r.enhanced) for r in rows] == [(KycStatus.EDD, True),
                                                      (KycStatus.APPROVED, False)]
    assert cases.get_case(desk, case_id).client_status is ClientStatus.VERIFIED


def test_second_signature_travels_as_a_shared_approval(desk: Desk, olga: Desk, petra: Desk,
                                                       tmp_path: Path) -> None:
    cid, case_id = edd_case_ready(desk, olga, tmp_path, pep=True)
    on_platform(desk, cid)
    review.approve_case(olga, case_id)
    review.approve_case(petra, case_id)
    with desk.store.read() as s:
        sent = [r.payload for r in s.scalars(select(OutboxCommand).order_by(
            OutboxCommand.device_seq)) if r.payload.get("kind") == "approval"]
    assert [(p["base_version"], p["data"]["status"], p["data"]["prepared_by"],
             p["data"]["decided_by"]) for p in sent] == [(0, "pending", "olga", None),
                                                         (1, "approved", "olga", "petra")]


def test_edd_found_at_approval_stays_though_the_approval_is_refused(
        desk: Desk, olga: Desk, tmp_path: Path) -> None:
    cid = person(desk)
    case_id = complete_person_case(desk, olga, cid, tmp_path)
    with desk.store.write() as s:  # the client turns out to be a PEP meanwhile
        s.execute(text("UPDATE clients SET pep = 1 WHERE id = :id"), {"id": cid})
    with pytest.raises(ValidationFailed, match="Still needed: source of wealth"):
        review.approve_case(olga, case_id)
    view = cases.get_case(desk, case_id)
    assert view.enhanced and view.status is KycStatus.EDD
    assert view.risk is not None and view.risk.rating is RiskRating.HIGH
