"""The risk rating: every factor with its points and its sentence, the bands as data,
deposits compared with income in exact cents, and the rating kept on case and client."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import PermissionDenied, ValidationFailed
from app.kyc import cases, fatf, rating, settings
from app.kyc.fx import Rate, to_usd_minor
from app.kyc.risk import RiskInputs, assess, matched_term
from app.models.audit import AuditEntry
from app.models.crm import Client, RiskRating
from app.models.kyc import FatfList, HitStatus, KycCase
from app.models.users import Role
from app.services.workspace import Desk
from tests.app.test_kyc_support import as_user, attach, deposit, person, quote, screening_hit

S = settings.defaults()
LISTS = {"IR": FatfList.CALL_FOR_ACTION, "KE": FatfList.INCREASED_MONITORING}
BASE = RiskInputs(country="PT", occupation="teacher", source_of_funds="salary",
                  declared_income_usd=6_000_000)


def factors(inputs: RiskInputs, rates: dict[str, Rate] | None = None) -> dict[str, int]:
    return {f.code: f.points for f in assess(inputs, S, LISTS, rates or {}).factors}


def text_of(inputs: RiskInputs, code: str, rates: dict[str, Rate] | None = None) -> str:
    return next(f.text for f in assess(inputs, S, LISTS, rates or {}).factors if f.code == code)


def test_a_plain_client_is_low_with_nothing_to_explain() -> None:
    result = assess(BASE, S, LISTS, {})
    assert (result.rating, result.score, result.factors, result.edd_reasons) == (
        RiskRating.LOW, 0, (), ())


def test_country_factors_by_fatf_list() -> None:
    black = assess(replace(BASE, country="IR"), S, LISTS, {})
    assert black.rating is RiskRating.HIGH and black.score == 60
    assert black.factors[0].text == "Lives in Iran, Islamic Republic of, on FATF's " \
                                    "call-for-action list."
    grey = assess(replace(BASE, country="KE"), S, LISTS, {})
    assert grey.rating is RiskRating.MEDIUM and factors(replace(BASE, country="KE")) == {
        "country_increased_monitoring": 25}
    assert grey.edd_reasons == ("Kenya is on FATF's increased-monitoring list",)
    doc = replace(BASE, identity_countries=("IR", "PT"))
    assert factors(doc) == {"document_country_call_for_action": 40}
    assert "Identity document issued by Iran" in text_of(doc, "document_country_call_for_action")


def test_pep_and_sanctions_factors() -> None:
    pep = assess(replace(BASE, pep=True), S, LISTS, {})
    assert pep.rating is RiskRating.HIGH and "politically exposed person" in pep.edd_reasons
    assert factors(replace(BASE, true_matches=1)) == {"sanctions_true_match": 100}
    assert factors(replace(BASE, open_hits=2)) == {"sanctions_open_hit": 30}
    assert text_of(replace(BASE, open_hits=2), "sanctions_open_hit") == \
        "2 screening hit(s) not yet reviewed."


def test_occupation_and_source_of_funds_match_whole_words_in_any_case() -> None:
    assert matched_term("Casino Manager", S.high_risk_occupations) == "casino"
    assert matched_term("Casinoville baker", S.high_risk_occupations) is None
    assert matched_term("BUREAU DE CHANGE owner", S.high_risk_occupations) == "bureau de change"
    risky = replace(BASE, occupation="Casino manager", source_of_funds="Lottery winnings")
    assert factors(risky) == {"occupation": 20, "source_of_funds": 20}
    assert assess(risky, S, LISTS, {}).rating is RiskRating.MEDIUM
    assert text_of(risky, "occupation") == ("Occupation 'Casino manager' is on the high-risk "
                                            "list ('casino').")


def test_missing_answers_are_a_factor() -> None:
    blank = RiskInputs(country="PT")
    assert text_of(blank, "questionnaire_incomplete") == \
        "Not declared: occupation, source of funds, yearly income."


def test_deposits_against_declared_income_in_exact_us_cents() -> None:
    income = replace(BASE, declared_income_usd=2_000_000)  # 20,000.00 USD a year
    assert factors(replace(income, deposits={"USD": 999_999})) == {}  # 49.99995%: under half
    assert factors(replace(income, deposits={"USD": 1_000_000})) == {
        "deposits_high_for_income": 15}
    above = replace(income, deposits={"USD": 2_000_000})
    assert factors(above) == {"deposits_above_income": 30}
    assert text_of(above, "deposits_above_income") == (
        "Deposits in the last 365 days of 20,000.00 USD are 100% of the declared yearly "
        "income of 20,000.00 USD.")


def test_other_currencies_convert_at_the_platform_quote_or_are_shown_unscored() -> None:
    eur = Rate("EUR", "EURUSD", Decimal("1.08495"))
    jpy = Rate("JPY", "USDJPY", Decimal("150.00"))
    assert to_usd_minor(1_000_000, "EUR", {"EUR": eur}) == 1_084_950  # 10,000 EUR exactly
    assert to_usd_minor(1, "EUR", {"EUR": eur}) == 1  # 0.0108495 -> 0.01, half to even
    assert to_usd_minor(1_500_000, "JPY", {"JPY": jpy}) == 1_000_000  # 1.5M yen = 10,000 USD
    assert to_usd_minor(500, "USDT", {}) is None
    inputs = replace(BASE, declared_income_usd=2_000_000,
                     deposits={"EUR": 1_000_000, "USDT": 5_000_000_000})
    found = assess(inputs, S, LISTS, {"EUR": eur})
    assert {f.code: f.points for f in found.factors} == {"deposits_unconverted": 0,
                                                        "deposits_high_for_income": 15}
    texts = {f.code: f.text for f in found.factors}
    assert "10,849.50 USD (EUR at EURUSD 1.08495)" in texts["deposits_high_for_income"]
    assert "5,000.000000 USDT could not be compared" in texts["deposits_unconverted"]


def test_deposits_with_no_income_declared() -> None:
    silent = replace(BASE, declared_income_usd=None)
    assert "deposits_without_income" not in factors(replace(silent, deposits={"USD": 999_999}))
    assert factors(replace(silent, deposits={"USD": 1_000_000}))["deposits_without_income"] == 20


def test_payment_method_factors() -> None:
    assert factors(replace(BASE, crypto_deposits=2)) == {"crypto_deposits": 10}
    assert factors(replace(BASE, third_party_payers=("Bob Stone",))) == {
        "third_party_payers": 20}
    assert factors(replace(BASE, cards=2)) == {}
    assert factors(replace(BASE, cards=3)) == {"many_cards": 15}


def test_bands_and_points_are_data() -> None:
    stricter = replace(S, points={**S.points, "crypto_deposits": 60})
    assert assess(replace(BASE, crypto_deposits=1), stricter, LISTS, {}).rating is \
        RiskRating.HIGH
    lower_bar = replace(S, medium_from=5)
    assert assess(replace(BASE, crypto_deposits=1), lower_bar, LISTS, {}).rating is \
        RiskRating.MEDIUM


# -- the service: inputs from the store, results on case and client ---------------------------

def test_rating_reads_the_store_and_explains_itself(desk: Desk, tmp_path: Path) -> None:
    cid = person(desk, declared_income=1_000_000)  # 10,000.00 USD a year
    case_id = cases.open_case(desk, cid)
    assert cases.get_case(desk, case_id).risk is not None
    quote(desk, "EURUSD", "1.08000", "1.09000")
    deposit(desk, cid, 900_000, "EUR")  # 9,000 EUR = 9,765.00 USD at the mid
    deposit(desk, cid, 50_000, "USD", method="crypto")
    deposit(desk, cid, 90_000_000, "USD", status="failed")  # never arrived: not counted
    deposit(desk, cid, 90_000_000, "USD", days_ago=400)  # outside the window
    deposit(desk, cid, 10_000, "USD", payer_name="Lima Ana")  # herself, other order
    deposit(desk, cid, 10_000, "USD", payer_name="Bruno Costa")
    for card in ("4111..1", "4111..2", "5500..3"):
        deposit(desk, cid, 100, "USD", method="card", payer_account=card, status="failed")
    screening_hit(desk, cid, HitStatus.OPEN)
    screening_hit(desk, cid, HitStatus.FALSE_POSITIVE)
    result = rating.rate_client(desk, cid)
    codes = {f.code: f for f in result.factors}
    assert set(codes) == {"deposits_above_income", "crypto_deposits", "third_party_payers",
                          "many_cards", "sanctions_open_hit"}
    assert "of 10,465.00 USD (EUR at EURUSD 1.085) are 105% of the declared yearly income" \
        in codes["deposits_above_income"].text
    assert "Bruno Costa" in codes["third_party_payers"].text
    assert "Lima Ana" not in codes["third_party_payers"].text
    assert result.rating is RiskRating.HIGH and result.score == 30 + 10 + 20 + 15 + 30
    with desk.store.read() as s:
        client = s.get(Client, cid)
        case = s.get(KycCase, case_id)
        assert client is not None and case is not None
        assert client.risk_rating is RiskRating.HIGH and case.rated_at is not None
        assert case.risk_factors["score"] == result.score
        assert {f["code"] for f in case.risk_factors["factors"]} == set(codes)
        last = s.scalars(select(AuditEntry).where(AuditEntry.action == "kyc.rate")
                         .order_by(AuditEntry.id.desc())).first()
        assert last is not None and last.after is not None and last.after["rating"] == "high"
    shown = cases.get_case(desk, case_id).risk
    assert shown is not None and shown.factors == result.factors


def test_deposit_figures_are_exact(desk: Desk) -> None:
    cid = person(desk, declared_income=1_000_000)
    quote(desk, "EURUSD", "1.08000", "1.09000")
    deposit(desk, cid, 600_000, "EUR")
    deposit(desk, cid, 50_000, "USD")
    result = rating.rate_client(desk, cid)
    text = next(f.text for f in result.factors if f.code == "deposits_high_for_income")
    assert text == ("Deposits in the last 365 days of 7,010.00 USD (EUR at EURUSD 1.085) "
                    "are 70% of the declared yearly income of 10,000.00 USD.")


def test_identity_documents_give_a_nationality_factor(desk: Desk, tmp_path: Path) -> None:
    cid = person(desk)
    case_id = cases.open_case(desk, cid)
    attach(desk, case_id, tmp_path, "identity", "passport", issuing_country="MM")
    result = rating.rate_client(desk, cid)
    assert [f.code for f in result.factors] == ["document_country_call_for_action"]
    assert "Myanmar" in result.factors[0].text


def test_fatf_lists_are_seeded_once_and_editable(desk: Desk) -> None:
    officer = as_user(desk, Role.COMPLIANCE, "olga")
    clerk = as_user(desk, Role.CLERK, "chris")
    rows = {r.country: r for r in fatf.list_risk_countries(desk)}
    assert rows["KP"].fatf_list is FatfList.CALL_FOR_ACTION and len(rows) == 23
    assert rows["MC"].fatf_list is FatfList.INCREASED_MONITORING
    assert "as of 2025-10-24" in rows["IR"].note
    with pytest.raises(PermissionDenied, match="edit risk settings"):
        fatf.set_risk_country(clerk, "PT", "increased_monitoring")
    fatf.set_risk_country(officer, "pt", FatfList.INCREASED_MONITORING, "added at plenary")
    fatf.remove_risk_country(officer, "MC")
    with pytest.raises(ValidationFailed, match="is not a country code"):
        fatf.set_risk_country(officer, "ZZ", FatfList.CALL_FOR_ACTION)
    with pytest.raises(ValidationFailed, match="either 'call for action'"):
        fatf.set_risk_country(officer, "FR", "black")
    rows = {r.country: r for r in fatf.list_risk_countries(desk)}
    assert "MC" not in rows and rows["PT"].note == "added at plenary"
    assert rating.rate_client(officer, person(desk)).rating is RiskRating.MEDIUM  # lives in PT
    for code in list(rows):
        fatf.remove_risk_country(officer, code)
    assert fatf.list_risk_countries(desk) == []  # emptied on purpose stays empty


def test_risk_settings_are_edited_by_compliance_only_and_checked(desk: Desk) -> None:
    officer = as_user(desk, Role.COMPLIANCE, "olga")
    clerk = as_user(desk, Role.CLERK, "chris")
    current = settings.get_risk_settings(desk)
    assert current == settings.defaults()
    with pytest.raises(PermissionDenied):
        settings.save_risk_settings(clerk, current)
    with pytest.raises(ValidationFailed, match="medium risk must be below"):
        settings.save_risk_settings(officer, replace(current, medium_from=60))
    with pytest.raises(ValidationFailed, match="Pep must be a whole number from 0 to 1000"):
        settings.save_risk_settings(officer, replace(current, points={**current.points,
                                                                      "pep": -5}))
    cid = person(desk, occupation="Florist")
    assert rating.rate_client(officer, cid).rating is RiskRating.LOW
    changed = settings.save_risk_settings(officer, replace(
        current, high_risk_occupations=(*current.high_risk_occupations, "Florist")))
    assert "florist" in changed.high_risk_occupations
    assert settings.get_risk_settings(desk).high_risk_occupations[-1] == "florist"
    assert [f.code for f in rating.rate_client(officer, cid).factors] == ["occupation"]
    with desk.store.read() as s:
        entry = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "kyc.risk_settings")).one()
        assert entry.after == {"high_risk_occupations": list(changed.high_risk_occupations)}


def test_only_reviewers_rate(desk: Desk) -> None:
    clerk = as_user(desk, Role.CLERK, "chris")
    with pytest.raises(PermissionDenied, match="review KYC"):
        rating.rate_client(clerk, person(desk))
