"""The risk rating: each factor adds points with a sentence saying why; the total
gives low, medium or high. Pure rules on plain data, so every case can be explained
and tested without a database."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.countries import countries
from app.kyc.fx import Rate, to_usd_minor
from app.kyc.settings import RiskSettings
from app.models.crm import RiskRating
from app.models.kyc import FatfList
from app.money import format_money, to_minor
from app.text import fold


@dataclass(frozen=True)
class RiskInputs:
    country: str
    pep: bool = False
    occupation: str = ""
    source_of_funds: str = ""
    declared_income_usd: int | None = None  # US cents a year
    identity_countries: tuple[str, ...] = ()  # issuers of the client's identity documents
    open_hits: int = 0
    true_matches: int = 0
    deposits: dict[str, int] = field(default_factory=dict)  # completed, minor units
    crypto_deposits: int = 0
    third_party_payers: tuple[str, ...] = ()
    cards: int = 0


@dataclass(frozen=True)
class RiskFactor:
    code: str
    points: int
    text: str


@dataclass(frozen=True)
class RiskAssessment:
    rating: RiskRating
    score: int
    factors: tuple[RiskFactor, ...]
    edd_reasons: tuple[str, ...]  # why enhanced due diligence applies; empty if it does not

    def to_json(self) -> dict[str, Any]:
        return {"rating": self.rating.value, "score": self.score,
                "factors": [{"code": f.code, "points": f.points, "text": f.text}
                            for f in self.factors],
                "edd_reasons": list(self.edd_reasons)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RiskAssessment | None:
        if not data.get("rating"):
            return None
        return cls(RiskRating(data["rating"]), int(data["score"]),
                   tuple(RiskFactor(f["code"], int(f["points"]), f["text"])
                         for f in data.get("factors", [])),
                   tuple(data.get("edd_reasons", [])))


Add = Callable[[str, str], None]

_LIST_NAMES = {FatfList.CALL_FOR_ACTION: "FATF's call-for-action list",
               FatfList.INCREASED_MONITORING: "FATF's increased-monitoring list"}


def _words(text: str) -> str:
    return " " + " ".join(re.sub(r"[^\w]+", " ", fold(text)).split()) + " "


def matched_term(text: str, terms: tuple[str, ...]) -> str | None:
    """The listed term found in `text` as whole words, ignoring case and accents."""
    padded = _words(text)
    for term in terms:
        if term and _words(term) in padded:
            return term
    return None


def _name(code: str) -> str:
    return countries().get(code, code)


def assess(inputs: RiskInputs, settings: RiskSettings, fatf: dict[str, FatfList],
           rates: dict[str, Rate]) -> RiskAssessment:
    pts = settings.points
    factors: list[RiskFactor] = []

    def add(code: str, text: str) -> None:
        factors.append(RiskFactor(code, pts[code], text))

    edd: list[str] = []
    on_list = fatf.get(inputs.country)
    if on_list is not None:
        add(f"country_{on_list.value}",
            f"Lives in {_name(inputs.country)}, on {_LIST_NAMES[on_list]}.")
        edd.append(f"{_name(inputs.country)} is on {_LIST_NAMES[on_list]}")
    for code in dict.fromkeys(inputs.identity_countries):
        doc_list = fatf.get(code)
        if code != inputs.country and doc_list is not None:
            add(f"document_country_{doc_list.value}",
                f"Identity document issued by {_name(code)}, on {_LIST_NAMES[doc_list]}.")
            edd.append(f"identity document from {_name(code)}, on {_LIST_NAMES[doc_list]}")
    if inputs.pep:
        add("pep", "Politically exposed person.")
        edd.append("politically exposed person")
    if inputs.true_matches:
        add("sanctions_true_match", f"Confirmed sanctions match ({inputs.true_matches}).")
    if inputs.open_hits:
        add("sanctions_open_hit", f"{inputs.open_hits} screening hit(s) not yet reviewed.")
    _questionnaire(inputs, settings, add)
    _deposits(inputs, settings, rates, add, factors)
    _payment_methods(inputs, settings, add)

    score = sum(f.points for f in factors)
    if score >= settings.high_from:
        rating = RiskRating.HIGH
        edd.insert(0, f"high risk rating (score {score})")
    elif score >= settings.medium_from:
        rating = RiskRating.MEDIUM
    else:
        rating = RiskRating.LOW
    return RiskAssessment(rating, score, tuple(factors), tuple(edd))


def _questionnaire(inputs: RiskInputs, settings: RiskSettings, add: Add) -> None:
    if term := matched_term(inputs.occupation, settings.high_risk_occupations):
        add("occupation", f"Occupation '{inputs.occupation}' is on the high-risk list "
                          f"('{term}').")
    if term := matched_term(inputs.source_of_funds, settings.high_risk_sources_of_funds):
        add("source_of_funds", f"Source of funds '{inputs.source_of_funds}' is on the "
                               f"high-risk list ('{term}').")
    unanswered = [label for label, value in (
        ("occupation", inputs.occupation.strip()),
        ("source of funds", inputs.source_of_funds.strip()),
        ("yearly income", inputs.declared_income_usd)) if value in ("", None)]
    if unanswered:
        add("questionnaire_incomplete", f"Not declared: {', '.join(unanswered)}.")


def _deposits(inputs: RiskInputs, settings: RiskSettings, rates: dict[str, Rate], add: Add,
              factors: list[RiskFactor]) -> None:
    if not inputs.deposits:
        return
    usd, used, unconverted = 0, [], []
    for currency, minor in sorted(inputs.deposits.items()):
        cents = to_usd_minor(minor, currency, rates)
        if cents is None:
            unconverted.append(format_money(minor, currency))
            continue
        usd += cents
        if currency != "USD":
            used.append(f"{currency} at {rates[currency].describe()}")
    window = f"in the last {settings.deposit_window_days} days"
    total = format_money(usd, "USD") + (f" ({'; '.join(used)})" if used else "")
    if unconverted:
        # Not scored: without a rate any figure would be a guess. The reviewer sees it.
        factors.append(RiskFactor("deposits_unconverted", 0, (
            f"Deposits {window} of {', '.join(unconverted)} could not be compared with the "
            "declared income: the platform has no USD quote for that currency. Compare "
            "them by hand.")))
    income = inputs.declared_income_usd
    if income is None or income <= 0:
        floor = to_minor(settings.deposits_without_income_usd, "USD")
        if usd >= floor:
            add("deposits_without_income", f"Deposits {window} of {total} with no yearly "
                                           "income declared.")
        return
    ratio = Decimal(usd) / Decimal(income)
    share = f"{(ratio * 100).quantize(Decimal(1))}% of the declared yearly income of " \
            f"{format_money(income, 'USD')}"
    if ratio >= settings.income_ratio_high:
        add("deposits_above_income", f"Deposits {window} of {total} are {share}.")
    elif ratio >= settings.income_ratio_medium:
        add("deposits_high_for_income", f"Deposits {window} of {total} are {share}.")


def _payment_methods(inputs: RiskInputs, settings: RiskSettings, add: Add) -> None:
    if inputs.crypto_deposits:
        add("crypto_deposits", f"{inputs.crypto_deposits} deposit(s) in crypto.")
    if inputs.third_party_payers:
        names = ", ".join(inputs.third_party_payers[:3])
        more = len(inputs.third_party_payers) - 3
        add("third_party_payers", f"Paid in by someone else: {names}"
                                  + (f" and {more} more." if more > 0 else "."))
    if inputs.cards >= settings.many_cards:
        add("many_cards", f"Deposits from {inputs.cards} different cards (the limit for this "
                          f"factor is {settings.many_cards}).")
