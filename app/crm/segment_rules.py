"""Segment rules: a small JSON language of conditions on client data, compiled to SQL.

A rule is {"all": [condition, ...]}: a client belongs when every condition holds.
Conditions:
  {"field": "status" | "country" | "kind" | "risk_rating" | "segment" | "tag",
   "in": [values]}
  {"field": "has_partner", "is": true | false}
  {"field": "deposits", "currency": "USD", "op": ">=", "value": "10000", "days": 365}
      completed deposits in that currency (days: only the last N days; optional)
  {"field": "deposit_count", "op": ">=", "value": 1, "days": 90}
  {"field": "volume_lots", "op": ">=", "value": "10", "days": 30}
      lots opened (buy/sell deals entering the market)
  {"field": "client_age_days" | "account_age_days", "op": ">=", "value": 365}
      days since the client record / the client's first trading account
ops: >=, >, <=, <, = . Totals compare over every client, a client with no deposits has
a total of 0 ("deposits = 0" finds them).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, select, true
from sqlalchemy.sql.elements import ColumnElement as SqlExpr

from app.countries import countries
from app.errors import ValidationFailed
from app.models.crm import Client, ClientKind, ClientStatus, ClientTag, RiskRating
from app.models.payments import PaymentDirection, PaymentRequest, PaymentStatus
from app.models.trading import Deal, DealAction, DealEntry, TradingAccount
from app.money import to_minor

Rule = dict[str, Any]
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "=": operator.eq}
_CHOICES: dict[str, frozenset[str]] = {
    "status": frozenset(s.value for s in ClientStatus),
    "kind": frozenset(k.value for k in ClientKind),
    "risk_rating": frozenset(r.value for r in RiskRating),
}
_LIST_FIELDS = ("status", "country", "kind", "risk_rating", "segment", "tag")
_TOTALS = ("deposits", "deposit_count", "volume_lots")
_AGES = ("client_age_days", "account_age_days")
FIELDS = (*_LIST_FIELDS, "has_partner", *_TOTALS, *_AGES)
_LABEL = {"deposits": "Deposits", "deposit_count": "Number of deposits",
          "volume_lots": "Volume (lots)", "client_age_days": "Client age (days)",
          "account_age_days": "Account age (days)"}


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, "rule")


def _number(value: object, what: str, *, whole: bool) -> Decimal:
    if isinstance(value, bool | float):
        raise _refuse(f"{what}: write the number as text or a whole number, e.g. \"100\".")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _refuse(f"{what}: {value!r} is not a number.") from None
    if not number.is_finite() or number < 0 or (whole and number != number.to_integral()):
        raise _refuse(f"{what}: {value!r} must be a {'whole ' if whole else ''}number of "
                      "zero or more.")
    return number


def _fits(value: Decimal, currency: str, what: str) -> None:
    """Refuses unknown currencies and more decimal places than the amount can keep."""
    try:
        to_minor(value, currency)
    except ValidationFailed as exc:
        raise _refuse(f"{what}: {exc.message}") from None


def _condition(cond: object) -> dict[str, Any]:
    if not isinstance(cond, dict) or cond.get("field") not in FIELDS:
        raise _refuse("Each condition needs a field, one of: " + ", ".join(FIELDS) + ".")
    field = str(cond["field"])
    if field in _LIST_FIELDS:
        values = cond.get("in")
        if not isinstance(values, list) or not values or \
                not all(isinstance(v, str) and v.strip() for v in values):
            raise _refuse(f"The {field} condition needs a list of values.")
        clean = [v.strip().upper() if field == "country" else v.strip() for v in values]
        allowed = set(countries()) if field == "country" else _CHOICES.get(field)
        if allowed is not None and (bad := [v for v in clean if v not in allowed]):
            raise _refuse(f"Unknown {field.replace('_', ' ')}: {', '.join(bad)}.")
        return {"field": field, "in": sorted(set(clean))}
    if field == "has_partner":
        if not isinstance(cond.get("is"), bool):
            raise _refuse("The has_partner condition is true or false.")
        return {"field": field, "is": cond["is"]}
    op = cond.get("op")
    if op not in _OPS:
        raise _refuse(f"{_LABEL[field]}: the comparison must be one of {', '.join(_OPS)}.")
    out: dict[str, Any] = {"field": field, "op": op}
    if field == "deposits":
        currency = str(cond.get("currency", "")).strip().upper()
        out["currency"] = currency
        out["value"] = str(_number(cond.get("value"), _LABEL[field], whole=False))
        _fits(Decimal(out["value"]), currency, _LABEL[field])
    else:
        whole = field != "volume_lots"
        value = _number(cond.get("value"), _LABEL[field], whole=whole)
        out["value"] = int(value) if whole else str(value)
        if field == "volume_lots":
            _fits(value, "USD", _LABEL[field])  # lots are kept in hundredths
    if field in _TOTALS and cond.get("days") is not None:
        out["days"] = int(_number(cond["days"], "Days", whole=True))
    return out


def validate_rule(rule: object) -> Rule:
    """The rule in its stored form, or a ValidationFailed naming what is wrong."""
    if not isinstance(rule, dict) or not isinstance(rule.get("all"), list):
        raise _refuse('A segment rule is {"all": [conditions]}.')
    if not rule["all"]:
        raise _refuse("A segment needs at least one condition.")
    return {"all": [_condition(c) for c in rule["all"]]}


def _since(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def _total_is(client_total: Any, op: str, value: Any, source: Any) -> ColumnElement[bool]:
    """`total op value` over all clients, where clients missing from `source` (grouped
    by client_id) have a total of 0."""
    compare = _OPS[op]
    if compare(0, value):  # zero passes: members are those whose total does not fail
        failing = source.having(~compare(client_total, value))
        return Client.id.not_in(failing)
    return Client.id.in_(source.having(compare(client_total, value)))


def _compile_one(c: dict[str, Any], now: datetime) -> ColumnElement[bool]:
    field = c["field"]
    if field in ("status", "country", "kind", "risk_rating", "segment"):
        column: ColumnElement[Any] = getattr(Client, field)
        return column.in_(c["in"])
    if field == "tag":
        return Client.id.in_(select(ClientTag.client_id).where(ClientTag.tag.in_(c["in"])))
    if field == "has_partner":
        return Client.partner_id.is_not(None) if c["is"] else Client.partner_id.is_(None)
    op = c["op"]
    if field in ("deposits", "deposit_count"):
        where = [PaymentRequest.direction == PaymentDirection.DEPOSIT,
                 PaymentRequest.status == PaymentStatus.COMPLETED]
        if field == "deposits":
            where.append(PaymentRequest.currency == c["currency"])
        if "days" in c:
            where.append(PaymentRequest.created_at >= _since(now, c["days"]))
        source = select(PaymentRequest.client_id).where(*where).group_by(
            PaymentRequest.client_id)
        if field == "deposits":
            value = to_minor(Decimal(c["value"]), c["currency"])
            return _total_is(func.sum(PaymentRequest.amount_minor), op, value, source)
        return _total_is(func.count(), op, int(c["value"]), source)
    if field == "volume_lots":
        where = [Deal.action.in_((DealAction.BUY, DealAction.SELL)),
                 Deal.entry.in_((DealEntry.IN, DealEntry.INOUT))]
        if "days" in c:
            where.append(Deal.time_ms >= int(_since(now, c["days"]).timestamp() * 1000))
        traded = (select(TradingAccount.client_id)
                  .join(Deal, Deal.account_id == TradingAccount.id)
                  .where(*where).group_by(TradingAccount.client_id))
        hundredths = int(Decimal(c["value"]).scaleb(2))
        return _total_is(func.sum(Deal.volume), op, hundredths, traded)
    cutoff = _since(now, int(c["value"]))
    # Older than N days means created before now - N days: the comparison turns round.
    turned = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "=": "="}[op]
    if field == "client_age_days":
        if op == "=":
            return func.date(Client.created_at) == cutoff.date().isoformat()
        older: ColumnElement[bool] = _OPS[turned](Client.created_at, cutoff)
        return older
    first_opened = func.min(TradingAccount.opened_at)
    owners = select(TradingAccount.client_id).where(
        TradingAccount.client_id.is_not(None)).group_by(TradingAccount.client_id)
    if op == "=":
        return Client.id.in_(owners.having(func.date(first_opened) ==
                                           cutoff.date().isoformat()))
    bound = literal(cutoff, TradingAccount.opened_at.type)
    return Client.id.in_(owners.having(_OPS[turned](first_opened, bound)))


def compile_rule(rule: Rule, now: datetime | None = None) -> ColumnElement[bool]:
    """The SQL condition on `clients` for a validated rule."""
    now = now or datetime.now(UTC)
    conds: list[SqlExpr[bool]] = [_compile_one(c, now) for c in rule["all"]]
    return and_(true(), *conds)


def describe(rule: Rule) -> str:
    """A rule in words, for lists and tooltips."""
    parts = []
    for c in rule["all"]:
        field = c["field"]
        if field in _LIST_FIELDS:
            parts.append(f"{field.replace('_', ' ')} is {' or '.join(c['in'])}")
        elif field == "has_partner":
            parts.append("introduced by a partner" if c["is"] else "no partner")
        else:
            unit = f" {c['currency']}" if field == "deposits" else ""
            window = f" in the last {c['days']} days" if "days" in c else ""
            parts.append(f"{_LABEL[field].lower()}{window} {c['op']} {c['value']}{unit}")
    return "; ".join(parts)
