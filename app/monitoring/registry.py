"""Every monitoring rule, in the order compliance reads them."""

from __future__ import annotations

from app.errors import NotFound
from app.monitoring.dormant import DORMANT
from app.monitoring.farming import FARMING
from app.monitoring.fatf_countries import FATF_COUNTRY
from app.monitoring.in_and_out import LITTLE_TRADING, RAPID_IN_OUT
from app.monitoring.income import ABOVE_INCOME
from app.monitoring.shared_details import SHARED_DETAILS
from app.monitoring.spec import RuleSpec
from app.monitoring.structuring import STRUCTURING
from app.monitoring.third_party import THIRD_PARTY

RULES: dict[str, RuleSpec] = {r.rule: r for r in (
    LITTLE_TRADING, STRUCTURING, RAPID_IN_OUT, THIRD_PARTY, ABOVE_INCOME, SHARED_DETAILS,
    FATF_COUNTRY, DORMANT, FARMING)}


def spec(rule: str) -> RuleSpec:
    found = RULES.get(rule.strip())
    if found is None:
        raise NotFound(f"There is no monitoring rule {rule!r}; the rules are "
                       f"{', '.join(RULES)}.")
    return found
