"""Who may approve a withdrawal, by role and amount, and when a second approver must.

Amounts are compared in US dollars at the platform's rate, so one policy covers
every currency. A withdrawal whose value cannot be converted (no quote) is treated as
large: it needs a second approver and an approver without a limit to fall short of.
The policy lives in the workspace settings (`payments.approval_policy`, JSON in US
dollars) and falls back to the defaults below.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from app.errors import ValidationFailed
from app.models.users import Role
from app.money import format_money, to_minor

SETTING = "payments.approval_policy"


@dataclass(frozen=True)
class ApprovalPolicy:
    # US cents a role may approve; None: no limit. A role not listed may not approve.
    limits: dict[Role, int | None]
    # Above this many US cents, a second finance person must approve as well.
    second_above: int

    def limit_of(self, role: Role) -> int | None:
        return self.limits.get(role, 0)

    def needs_second(self, usd_minor: int | None) -> bool:
        return usd_minor is None or usd_minor > self.second_above

    def refusal(self, role: Role, usd_minor: int | None) -> str | None:
        """Why this role may not approve this amount, or None when it may."""
        if role not in self.limits:
            return f"A {role.label.lower()} does not approve withdrawals."
        limit = self.limit_of(role)
        if limit is None:
            return None
        if usd_minor is None:
            return ("No quote converts this currency to US dollars, so the amount cannot "
                    f"be checked against your limit of {format_money(limit, 'USD')}: a "
                    "manager or an administrator must approve it.")
        if usd_minor > limit:
            return (f"This withdrawal is worth {format_money(usd_minor, 'USD')}, above your "
                    f"approval limit of {format_money(limit, 'USD')}: someone with a higher "
                    "limit must approve it.")
        return None


DEFAULT = ApprovalPolicy(
    limits={Role.FINANCE: 50_000_00, Role.MANAGER: 500_000_00, Role.ADMIN: None},
    second_above=10_000_00,
)


def parse(text: str) -> ApprovalPolicy:
    """The policy from its settings JSON: {"limits": {"finance_officer": "50000",
    "admin": null}, "second_above": "10000"} (US dollars as text)."""
    try:
        raw = json.loads(text)
        limits = {Role(k): None if v is None else to_minor(Decimal(str(v)), "USD")
                  for k, v in raw["limits"].items()}
        second = to_minor(Decimal(str(raw["second_above"])), "USD")
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise ValidationFailed(f"The withdrawal approval policy setting is damaged ({exc}); "
                               "an administrator must set it again.", SETTING) from exc
    return ApprovalPolicy(limits, second)


def dump(policy: ApprovalPolicy) -> str:
    return json.dumps({
        "limits": {r.value: None if v is None else str(Decimal(v).scaleb(-2))
                   for r, v in policy.limits.items()},
        "second_above": str(Decimal(policy.second_above).scaleb(-2))})
