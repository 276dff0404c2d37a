"""Commission plan rules: what a plan's JSON says, checked, and compiled to integers.

A plan's rules are exact decimal strings, never floats:

    {"per_lot": [{"symbols": "FX", "accounts": "*", "rate": "7.00"},
                 {"symbols": "METALS", "rate": {"USD": "10.00", "EUR": "9.00"}}],
     "spread_share": {"share_bp": 3000,
                      "spread": [{"symbols": "*", "rate": "10.00"}]},
     "revenue_share": {"share_bp": 2500},
     "cpa": {"amount": "200.00", "min_first_deposit": {"USD": "100.00"},
             "min_lots": "1.00", "within_days": 30, "clawback": true},
     "count_on": "out", "min_hold_seconds": 60, "clawback_days": 90}

and its tier shares `{"levels": [2000, 1000, 1000]}` in basis points: the parent of
the client's partner gets 20% of what that partner earned, the next 10% of the
parent's part, and so on; each level keeps the rest, so the levels add up exactly to
the commission the deal generated.

A rate written as a string is in the plan's currency; as a map it is per account
currency. A deal accrues in its trading account's currency, so no exchange rate is
ever guessed: an account whose currency the plan names no rate for earns nothing
under that rule. Amounts are compiled to millionths of the currency's minor unit
(`micro`), where every per-lot rate and share is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fnmatch import fnmatchcase
from typing import Any

from app.errors import ValidationFailed
from app.models.partners import PlanKind
from app.money import exponent

MICRO = 1_000_000  # exact amounts: millionths of the minor unit
COMPONENTS = ("per_lot", "spread_share", "revenue_share", "cpa")
_OPTIONS = ("count_on", "min_hold_seconds", "clawback_days")
MAX_LEVELS = 10


def _refuse(text: str) -> ValidationFailed:
    return ValidationFailed(text, "rules")


def _decimal(value: object, what: str) -> Decimal:
    if not isinstance(value, str):
        raise _refuse(f"{what} must be written as text, like \"7.00\" (never a float).")
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise _refuse(f"{what} is not an amount: {value[:20]!r}.") from None
    if not d.is_finite() or d < 0:
        raise _refuse(f"{what} must be zero or more.")
    return d


def to_micro(amount: Decimal, currency: str, what: str, places: int = 4) -> int:
    """An amount as millionths of the minor unit; refuses more than `places` decimals
    below the minor unit, so lots times rate stays exact."""
    scaled = amount.scaleb(exponent(currency) + 6)
    if scaled != scaled.to_integral_value() or scaled % (10 ** (6 - places)):
        raise _refuse(f"{what} has too many decimal places for {currency}.")
    return int(scaled)


def _bp(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
        raise _refuse(f"{what} is a share in basis points, 0 to 10000 (2500 = 25%).")
    return value


def _whole(value: object, what: str, upto: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= upto:
        raise _refuse(f"{what} must be a whole number from 0 to {upto}.")
    return value


def _amounts(value: object, plan_currency: str, what: str) -> dict[str, Decimal]:
    """A rate: a string in the plan's currency, or a map currency -> string."""
    if not isinstance(value, dict):  # a number says "as text, never a float"
        return {plan_currency: _decimal(value, what)}
    if value:
        out = {}
        for cur, v in value.items():
            if not (isinstance(cur, str) and len(cur) == 3 and cur.isalpha() and cur.isupper()):
                raise _refuse(f"{what}: {str(cur)[:10]!r} is not a currency code.")
            out[cur] = _decimal(v, f"{what} ({cur})")
        return out
    raise _refuse(f"{what} must be an amount or a map of amounts by currency.")


@dataclass(frozen=True, slots=True)
class RateLine:
    symbols: str                    # a symbol group (FX, METALS, ...) or "*"
    accounts: str                   # a pattern over the trading account's group
    amounts: dict[str, Decimal]     # per lot, by account currency

    def matches(self, symbol_group: str, account_group: str) -> bool:
        return ((self.symbols == "*" or self.symbols == symbol_group)
                and fnmatchcase(account_group, self.accounts))


def _rate_lines(value: object, currency: str, what: str) -> tuple[RateLine, ...]:
    if not isinstance(value, list) or not value:
        raise _refuse(f"{what} needs at least one line of symbols and rate.")
    lines = []
    for n, item in enumerate(value, start=1):
        if not isinstance(item, dict) or "rate" not in item:
            raise _refuse(f"{what}, line {n}: each line names its symbols and its rate.")
        extra = set(item) - {"symbols", "accounts", "rate"}
        if extra:
            raise _refuse(f"{what}, line {n}: unknown field {sorted(extra)[0]!r}.")
        symbols, accounts = item.get("symbols", "*"), item.get("accounts", "*")
        if not isinstance(symbols, str) or not isinstance(accounts, str) or not symbols:
            raise _refuse(f"{what}, line {n}: symbols and accounts are names or \"*\".")
        amounts = _amounts(item["rate"], currency, f"{what}, line {n}")
        for cur, amount in amounts.items():
            to_micro(amount, cur, f"{what}, line {n}")
        lines.append(RateLine(symbols.upper(), accounts, amounts))
    return tuple(lines)


@dataclass(frozen=True, slots=True)
class Cpa:
    amounts: dict[str, Decimal]
    min_first_deposit: dict[str, Decimal]
    min_volume: int          # hundredths of a lot
    within_days: int
    clawback: bool


@dataclass(frozen=True, slots=True)
class Terms:
    """One version of a plan's rules, checked."""

    kind: PlanKind
    currency: str
    per_lot: tuple[RateLine, ...] = ()
    spread: tuple[RateLine, ...] = ()
    spread_share_bp: int = 0
    revenue_share_bp: int = 0
    cpa: Cpa | None = None
    count_on: str = "out"            # which deal of a round turn counts its volume
    min_hold_ms: int = 0
    clawback_days: int = 0
    levels_bp: tuple[int, ...] = ()

    @property
    def counted_entries(self) -> frozenset[str]:
        return frozenset({"out", "inout"} if self.count_on == "out" else {"in", "inout"})


def parse_terms(kind: PlanKind | str, currency: str, rules: dict[str, Any],
                tier_shares: dict[str, Any]) -> Terms:
    """The checked terms; ValidationFailed naming what is wrong, in a clerk's words."""
    kind = PlanKind(kind)
    if not isinstance(rules, dict):
        raise _refuse("The plan's rules must be a set of named parts.")
    unknown = set(rules) - set(COMPONENTS) - set(_OPTIONS)
    if unknown:
        raise _refuse(f"Unknown part of a plan: {sorted(unknown)[0]!r}.")
    present = [c for c in COMPONENTS if c in rules]
    if kind is PlanKind.HYBRID:
        if len(present) < 2:
            raise _refuse("A hybrid plan combines at least two of per lot, spread share, "
                          "revenue share and CPA.")
    elif present != [kind.value]:
        raise _refuse(f"A {kind.value.replace('_', ' ')} plan has exactly that part; "
                      "use a hybrid plan to combine several.")
    t: dict[str, Any] = {"kind": kind, "currency": currency}
    if "per_lot" in rules:
        t["per_lot"] = _rate_lines(rules["per_lot"], currency, "Per lot")
    if "spread_share" in rules:
        s = rules["spread_share"]
        if not isinstance(s, dict) or set(s) != {"share_bp", "spread"}:
            raise _refuse("Spread share names share_bp and the spread per lot.")
        t["spread_share_bp"] = _bp(s["share_bp"], "Spread share")
        t["spread"] = _rate_lines(s["spread"], currency, "Spread")
    if "revenue_share" in rules:
        r = rules["revenue_share"]
        if not isinstance(r, dict) or set(r) != {"share_bp"}:
            raise _refuse("Revenue share names share_bp.")
        t["revenue_share_bp"] = _bp(r["share_bp"], "Revenue share")
    if "cpa" in rules:
        t["cpa"] = _cpa(rules["cpa"], currency)
    count_on = rules.get("count_on", "out")
    if count_on not in ("in", "out"):
        raise _refuse("count_on is \"out\" (a round turn counts when it closes) or \"in\".")
    t["count_on"] = count_on
    hold = _whole(rules.get("min_hold_seconds", 0), "min_hold_seconds", 86_400 * 30)
    if hold and count_on == "in":
        raise _refuse("A position's holding time is known only when it closes: count round "
                      "turns on \"out\" to leave out short positions.")
    t["min_hold_ms"] = hold * 1000
    t["clawback_days"] = _whole(rules.get("clawback_days", 0), "clawback_days", 3660)
    t["levels_bp"] = _levels(tier_shares)
    return Terms(**t)


def _cpa(value: object, currency: str) -> Cpa:
    if not isinstance(value, dict) or "amount" not in value:
        raise _refuse("CPA names the amount paid when a client qualifies.")
    extra = set(value) - {"amount", "min_first_deposit", "min_lots", "within_days", "clawback"}
    if extra:
        raise _refuse(f"CPA: unknown field {sorted(extra)[0]!r}.")
    amounts = _amounts(value["amount"], currency, "CPA amount")
    for cur, amount in amounts.items():
        to_micro(amount, cur, "CPA amount", places=0)
    deposit = _amounts(value.get("min_first_deposit", "0"), currency, "CPA first deposit")
    lots = _decimal(value.get("min_lots", "0"), "CPA minimum lots")
    if lots != lots.quantize(Decimal("0.01")):
        raise _refuse("CPA minimum lots has at most two decimal places.")
    clawback = value.get("clawback", True)
    if not isinstance(clawback, bool):
        raise _refuse("CPA clawback is true or false.")
    return Cpa(amounts, deposit, int(lots * 100),
               _whole(value.get("within_days", 30), "CPA within_days", 3660), clawback)


def _levels(tier_shares: dict[str, Any]) -> tuple[int, ...]:
    if not tier_shares:
        return ()
    if not isinstance(tier_shares, dict) or set(tier_shares) != {"levels"}:
        raise _refuse("Tier shares are {\"levels\": [2000, 1000, ...]} in basis points.")
    levels = tier_shares["levels"]
    if not isinstance(levels, list) or len(levels) > MAX_LEVELS:
        raise _refuse(f"Tier shares are a list of at most {MAX_LEVELS} levels.")
    return tuple(_bp(v, f"Tier {n} share") for n, v in enumerate(levels, start=1))


def describe(t: Terms) -> str:
    """One line a partner manager reads back."""
    parts = []
    for line in t.per_lot:
        parts.append(f"{line.symbols} {_money(line.amounts)}/lot")
    if t.spread:
        parts.append(f"{t.spread_share_bp / 100:g}% of spread")
    if t.revenue_share_bp:
        parts.append(f"{t.revenue_share_bp / 100:g}% of revenue")
    if t.cpa:
        parts.append(f"CPA {_money(t.cpa.amounts)}")
    if t.levels_bp:
        parts.append("tiers " + "/".join(f"{b / 100:g}%" for b in t.levels_bp))
    return "; ".join(parts)


def _money(amounts: dict[str, Decimal]) -> str:
    return ", ".join(f"{a} {c}" for c, a in amounts.items())
