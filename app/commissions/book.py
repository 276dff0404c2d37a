"""Everything accrual needs to know about plans and the tree, loaded once per run.

For a deal it answers: which plan applies (the client's partner's assignment for the
account's group, effective on the deal's server date), under which version of its
rules, and who is up the tree that day.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from fnmatch import fnmatchcase
from typing import Any

from app.commissions.plans import RateLine, Terms, parse_terms, to_micro
from app.commissions.symbols import SymbolGroups
from app.commissions.tree import Tree
from app.errors import ValidationFailed

SERVER_OFFSET = "commissions.server_offset_minutes"   # settings key: the platform's clock
SYMBOL_GROUPS = "commissions.symbol_groups"
_EPOCH = date(1970, 1, 1).toordinal()


def day_start_ms(day: date, offset_ms: int) -> int:
    """Platform milliseconds at which a server date begins."""
    return (day.toordinal() - _EPOCH) * 86_400_000 - offset_ms


def setting(db: Any, key: str, default: str) -> str:
    row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else default


@dataclass(frozen=True, slots=True)
class Applied:
    """The plan, rules and uplines that apply to one partner's client on one day."""

    plan_id: int
    terms: Terms
    chain: tuple[int, ...]


@dataclass
class Book:
    tree: Tree
    offset_ms: int
    symbols: SymbolGroups
    # partner -> [(effective_from, pattern, plan_id)], newest first
    assignments: dict[int, list[tuple[date, str, int]]]
    # plan -> ([effective_from ascending], [Terms])
    versions: dict[int, tuple[list[date], list[Terms]]]
    _applied: dict[tuple[int, int, str], Applied | None] = field(default_factory=dict)
    _rates: dict[tuple[int, str], int | None] = field(default_factory=dict)

    @classmethod
    def load(cls, db: Any) -> Book:
        offset = int(setting(db, SERVER_OFFSET, "0"))
        groups = json.loads(setting(db, SYMBOL_GROUPS, "{}"))
        assignments: dict[int, list[tuple[date, str, int]]] = {}
        for plan_id, partner_id, pattern, eff in db.execute(
                "SELECT plan_id, partner_id, client_group, effective_from FROM plan_assignments"):
            assignments.setdefault(partner_id, []).append(
                (date.fromisoformat(str(eff)[:10]), pattern or "*", plan_id))
        for items in assignments.values():
            # Newest first; on the same date a named group wins over "*".
            items.sort(key=lambda a: (a[0], a[1] != "*"), reverse=True)
        plans = {pid: (kind, cur, _json(rules), _json(tiers)) for pid, kind, cur, rules, tiers
                 in db.execute("SELECT id, kind, currency, rules, tier_shares_bp"
                               " FROM commission_plans")}
        found: dict[int, list[tuple[date, Terms]]] = {}
        broken: set[int] = set()
        for plan_id, eff, rules, tiers in db.execute(
                "SELECT plan_id, effective_from, rules, tier_shares_bp"
                " FROM commission_plan_versions ORDER BY plan_id, effective_from"):
            kind, cur, _, _ = plans[plan_id]
            terms = _terms(kind, cur, _json(rules), _json(tiers))
            if terms is None:
                broken.add(plan_id)
            else:
                found.setdefault(plan_id, []).append((date.fromisoformat(str(eff)[:10]), terms))
        for plan_id in broken:  # from its bad version on, or ever: safer to pay nothing
            found.pop(plan_id, None)
        for plan_id, (kind, cur, rules, tiers) in plans.items():
            if plan_id not in found and plan_id not in broken:
                # A plan from before versions: its rules always applied.
                terms = _terms(kind, cur, rules, tiers)
                if terms is not None:
                    found[plan_id] = [(date.min, terms)]
        versions = {p: ([d for d, _ in vs], [t for _, t in vs]) for p, vs in found.items()}
        return cls(Tree.load(db), offset * 60_000, SymbolGroups(groups), assignments, versions)

    def day_number(self, ms: int) -> int:
        """The deal's server date, as days since 1970: the cut-off is the platform's."""
        return (ms + self.offset_ms) // 86_400_000

    def day(self, ms: int) -> date:
        return date.fromordinal(_EPOCH + self.day_number(ms))

    def ms_range(self, first: date, last: date) -> tuple[int, int]:
        """[from, to) in platform milliseconds for server dates first..last."""
        return (day_start_ms(first, self.offset_ms),
                day_start_ms(last + timedelta(days=1), self.offset_ms))

    def applied(self, partner_id: int, day_number: int, account_group: str) -> Applied | None:
        key = (partner_id, day_number, account_group)
        try:
            return self._applied[key]
        except KeyError:
            pass
        day = date.fromordinal(_EPOCH + day_number)
        found = None
        for eff, pattern, plan_id in self.assignments.get(partner_id, ()):
            if eff <= day and (pattern == "*" or fnmatchcase(account_group, pattern)):
                days, terms = self.versions.get(plan_id, ([], []))
                i = bisect.bisect_right(days, day)
                if i:
                    found = Applied(plan_id, terms[i - 1], tuple(self.tree.chain(partner_id, day)))
                break
        self._applied[key] = found
        return found

    def rate(self, line: RateLine, currency: str) -> int | None:
        """A rate line's amount per lot in micro units of an account currency."""
        key = (id(line), currency)
        try:
            return self._rates[key]
        except KeyError:
            amount = line.amounts.get(currency)
            found = None if amount is None else to_micro(amount, currency, "rate")
            self._rates[key] = found
            return found


def _terms(kind: str, currency: str, rules: Any, tiers: Any) -> Terms | None:
    """A stored plan's terms; None for terms that no longer pass the checks (written by
    an older version): such a plan earns nothing until it is changed, instead of stopping
    accrual for every partner."""
    try:
        return parse_terms(kind, currency, rules, tiers)
    except ValidationFailed:
        return None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
