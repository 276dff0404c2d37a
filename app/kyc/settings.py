"""Risk settings as data: factor points, rating bands, thresholds, high-risk
occupations and sources of funds, review periods. The defaults ship in
resources/risk/risk_settings.json; a compliance officer's changes are kept in the
workspace and audited."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app import audit
from app.errors import ValidationFailed
from app.roles import Permission, require
from app.services.workspace import Desk, get_setting, set_setting
from app.text import fold

RESOURCES = Path(__file__).resolve().parents[2] / "resources" / "risk"

# Each factor the rating knows; settings must give points for every one.
FACTORS = (
    "country_call_for_action", "country_increased_monitoring",
    "document_country_call_for_action", "document_country_increased_monitoring",
    "pep", "sanctions_true_match", "sanctions_open_hit", "occupation", "source_of_funds",
    "questionnaire_incomplete", "deposits_above_income", "deposits_high_for_income",
    "deposits_without_income", "crypto_deposits", "third_party_payers", "many_cards",
)
RATINGS = ("high", "medium", "low")
# Settings rows hold at most this much text each (the column's size).
_SETTING_CHARS = 2000
_KEYS = {"scoring": "kyc.risk.scoring", "occupations": "kyc.risk.occupations",
         "sources": "kyc.risk.sources_of_funds"}


@dataclass(frozen=True)
class RiskSettings:
    points: dict[str, int]
    medium_from: int
    high_from: int
    deposit_window_days: int
    income_ratio_high: Decimal
    income_ratio_medium: Decimal
    deposits_without_income_usd: Decimal
    many_cards: int
    review_months: dict[str, int]
    expiry_warning_days: int
    address_proof_max_age_days: int
    high_risk_occupations: tuple[str, ...] = field(default=())
    high_risk_sources_of_funds: tuple[str, ...] = field(default=())

    def scoring(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("high_risk_occupations", "high_risk_sources_of_funds"):
            out.pop(key)
        for key in ("income_ratio_high", "income_ratio_medium", "deposits_without_income_usd"):
            out[key] = str(out[key])
        return out


def load_resource(name: str) -> dict[str, Any]:
    path = RESOURCES / name
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationFailed(f"The default risk data file {path} is missing from this "
                               "installation. Reinstall Backdesk.") from None
    return data


@cache
def defaults() -> RiskSettings:
    return parse(load_resource("risk_settings.json"))


def _decimal(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed(f"{name} must be a number.", name) from None
    if not number.is_finite() or number < 0:
        raise ValidationFailed(f"{name} must be a number of zero or more.", name)
    return number


def _whole(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(f"{name.replace('_', ' ').capitalize()} must be a whole number "
                               f"from {low} to {high}.", name)
    return value


def _terms(values: Any, name: str) -> tuple[str, ...]:
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise ValidationFailed(f"{name} must be a list of words.", name)
    return tuple(dict.fromkeys(t for t in (fold(v) for v in values) if t))


def parse(raw: dict[str, Any]) -> RiskSettings:
    """Settings from JSON-shaped data, checked; any error names the setting."""
    points = raw.get("points")
    if not isinstance(points, dict) or set(points) != set(FACTORS):
        missing = sorted(set(FACTORS) - set(points or {}))
        raise ValidationFailed("Risk points must be given for every factor"
                               + (f" (missing: {', '.join(missing)})." if missing else "."),
                               "points")
    review = raw.get("review_months")
    if not isinstance(review, dict) or set(review) != set(RATINGS):
        raise ValidationFailed("Review periods must be given for high, medium and low risk.",
                               "review_months")
    s = RiskSettings(
        points={k: _whole(points[k], k, 0, 1000) for k in FACTORS},
        medium_from=_whole(raw.get("medium_from"), "medium_from", 1, 10_000),
        high_from=_whole(raw.get("high_from"), "high_from", 1, 10_000),
        deposit_window_days=_whole(raw.get("deposit_window_days"), "deposit_window_days",
                                   1, 3660),
        income_ratio_high=_decimal(raw.get("income_ratio_high"), "income_ratio_high"),
        income_ratio_medium=_decimal(raw.get("income_ratio_medium"), "income_ratio_medium"),
        deposits_without_income_usd=_decimal(raw.get("deposits_without_income_usd"),
                                             "deposits_without_income_usd"),
        many_cards=_whole(raw.get("many_cards"), "many_cards", 1, 100),
        review_months={k: _whole(review[k], f"review period for {k} risk (months)", 1, 120)
                       for k in RATINGS},
        expiry_warning_days=_whole(raw.get("expiry_warning_days"), "expiry_warning_days",
                                   1, 365),
        address_proof_max_age_days=_whole(raw.get("address_proof_max_age_days"),
                                          "address_proof_max_age_days", 1, 3660),
        high_risk_occupations=_terms(raw.get("high_risk_occupations", []),
                                     "high_risk_occupations"),
        high_risk_sources_of_funds=_terms(raw.get("high_risk_sources_of_funds", []),
                                          "high_risk_sources_of_funds"),
    )
    if s.medium_from >= s.high_from:
        raise ValidationFailed("The score for medium risk must be below the score for high "
                               "risk.", "medium_from")
    if s.income_ratio_medium > s.income_ratio_high:
        raise ValidationFailed("The 'high for income' ratio cannot be above the 'above "
                               "income' ratio.", "income_ratio_medium")
    m = s.review_months
    if not m["high"] <= m["medium"] <= m["low"]:
        raise ValidationFailed("High-risk clients must be reviewed at least as often as "
                               "medium-risk ones, and medium at least as often as low.",
                               "review_months")
    return s


def load(s: Session) -> RiskSettings:
    """The workspace's settings; what it has not changed comes from the defaults."""
    base = defaults()
    raw: dict[str, Any] = {**base.scoring(),
                           "high_risk_occupations": list(base.high_risk_occupations),
                           "high_risk_sources_of_funds": list(base.high_risk_sources_of_funds)}
    if stored := get_setting(s, _KEYS["scoring"]):
        raw.update(json.loads(stored))
    if stored := get_setting(s, _KEYS["occupations"]):
        raw["high_risk_occupations"] = json.loads(stored)
    if stored := get_setting(s, _KEYS["sources"]):
        raw["high_risk_sources_of_funds"] = json.loads(stored)
    return parse(raw)


def _store(s: Session, key: str, value: Any, what: str) -> None:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if len(text) > _SETTING_CHARS:
        raise ValidationFailed(f"The {what} is too long to keep ({len(text)} characters, at "
                               f"most {_SETTING_CHARS}). Use shorter or fewer entries.", what)
    set_setting(s, key, text)


# -- services ---------------------------------------------------------------------------------

def get_risk_settings(desk: Desk) -> RiskSettings:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return load(s)


def save_risk_settings(desk: Desk, new: RiskSettings) -> RiskSettings:
    """Check and keep new settings; they apply to the next rating of each client."""
    require(desk.actor, Permission.EDIT_RISK_SETTINGS)
    checked = parse({**new.scoring(), "high_risk_occupations": list(new.high_risk_occupations),
                     "high_risk_sources_of_funds": list(new.high_risk_sources_of_funds)})
    with desk.store.write() as s:
        before = load(s)
        _store(s, _KEYS["scoring"], checked.scoring(), "scoring settings")
        _store(s, _KEYS["occupations"], list(checked.high_risk_occupations),
               "list of high-risk occupations")
        _store(s, _KEYS["sources"], list(checked.high_risk_sources_of_funds),
               "list of high-risk sources of funds")
        old, now = _flat(before), _flat(checked)
        changed = {k for k in now if now[k] != old.get(k)}
        audit.record(s, desk.actor, "kyc.risk_settings", "setting", "kyc.risk",
                     before={k: old[k] for k in changed}, after={k: now[k] for k in changed})
    return checked


def set_review_periods(desk: Desk, *, high: int, medium: int, low: int) -> RiskSettings:
    """Months between periodic reviews by risk rating."""
    require(desk.actor, Permission.EDIT_RISK_SETTINGS)
    with desk.store.read() as s:
        current = load(s)
    return save_risk_settings(desk, replace(current, review_months={
        "high": high, "medium": medium, "low": low}))


def _flat(settings: RiskSettings) -> dict[str, Any]:
    return {**settings.scoring(), "high_risk_occupations": list(settings.high_risk_occupations),
            "high_risk_sources_of_funds": list(settings.high_risk_sources_of_funds)}
