"""Partners and their plans: the tree, moves by date, plans, plan changes and
assignments. Each change is audited, shared through the gateway, and, when it
reaches deals already accrued, recalculates them from its date.

History is never rewritten: a move, a plan change or an assignment takes effect
from a date, and not on or before the end of a period already in a payout run.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit
from app.commissions.plans import describe, parse_terms
from app.commissions.recalc import Recalculated, locked_until, recalculate_from
from app.commissions.tree import Tree
from app.crm.search_index import dbapi
from app.errors import NotFound, ValidationFailed
from app.models.crm import Client
from app.models.partners import (
    CommissionPlan,
    Partner,
    PartnerMove,
    PlanAssignment,
    PlanKind,
    PlanVersion,
)
from app.models.trading import TradingAccount
from app.roles import Permission, require
from app.services.outbox import put_record, signer
from app.services.workspace import Desk

_CODE = re.compile(r"^[A-Z0-9-]{2,32}$")


def _partner(s: Session, partner_id: int) -> Partner:
    p = s.get(Partner, partner_id)
    if p is None:
        raise NotFound(f"There is no partner #{partner_id}.")
    return p


def _uid_of(s: Session, partner_id: int | None) -> str | None:
    return None if partner_id is None else _partner(s, partner_id).uid


def _check_date(s: Session, effective_from: date) -> None:
    locked = locked_until(dbapi(s))
    if locked is not None and effective_from <= locked:
        raise ValidationFailed(
            f"Commission up to {locked:%d %b %Y} is in a payout run: choose a date after "
            "it, so paid commission stays as it was paid.", "effective_from")


def _recalc(s: Session, day: date) -> Recalculated:
    return recalculate_from(dbapi(s), day)


def _share_partner(s: Session, desk: Desk, p: Partner) -> None:
    client = s.get(Client, p.client_id) if p.client_id is not None else None
    put_record(s, desk.actor, "partner", p.uid, p.server_version, {
        "name": p.name, "client_id": client.external_id if client else None,
        "parent_id": _uid_of(s, p.parent_id), "referral_code": p.referral_code,
        "currency": p.currency, "active": p.active}, revert=None)


def create_partner(desk: Desk, name: str, referral_code: str, currency: str, *,
                   parent_id: int | None = None, client_id: int | None = None) -> int:
    require(desk.actor, Permission.MANAGE_PARTNERS)
    name, code = name.strip(), referral_code.strip().upper()
    if not name:
        raise ValidationFailed("Give the partner a name.", "name")
    if not _CODE.match(code):
        raise ValidationFailed("A referral code is 2 to 32 letters, digits or dashes.",
                               "referral_code")
    with desk.store.write() as s:
        if s.scalar(select(Partner.id).where(Partner.referral_code == code)) is not None:
            raise ValidationFailed(f"Referral code {code} is already taken.", "referral_code")
        if parent_id is not None:
            _partner(s, parent_id)
        p = Partner(uid=str(uuid.uuid4()), name=name[:200], referral_code=code,
                    currency=currency.upper(), parent_id=parent_id, client_id=client_id,
                    active=True)
        s.add(p)
        s.flush()
        # Clients who signed up with this code before the partner was known here.
        dbapi(s).execute("UPDATE clients SET partner_id = ? WHERE referral_code = ?"
                         " AND partner_id IS NULL", (p.id, code))
        _share_partner(s, desk, p)
        audit.record(s, desk.actor, "partner.create", "partner", p.id,
                     after={"name": p.name, "code": code, "parent": parent_id})
        return p.id


def set_payout_account(desk: Desk, partner_id: int, login: int | None) -> None:
    """The trading account the partner's commission is paid into."""
    require(desk.actor, Permission.MANAGE_PARTNERS)
    with desk.store.write() as s:
        p = _partner(s, partner_id)
        account_id = None
        if login is not None:
            account = s.scalar(select(TradingAccount).where(TradingAccount.login == login))
            if account is None:
                raise NotFound(f"There is no trading account {login}.")
            account_id = account.id
        before = p.payout_account_id
        p.payout_account_id = account_id
        audit.record(s, desk.actor, "partner.payout_account", "partner", p.id,
                     before={"account": before}, after={"account": account_id})


def set_active(desk: Desk, partner_id: int, active: bool, effective_from: date) -> None:
    """An inactive partner, and those above it, earn nothing from deals after the date."""
    require(desk.actor, Permission.MANAGE_PARTNERS)
    with desk.store.write() as s:
        _check_date(s, effective_from)
        p = _partner(s, partner_id)
        p.active = active
        s.flush()
        _share_partner(s, desk, p)
        audit.record(s, desk.actor, "partner.active", "partner", p.id,
                     after={"active": active, "from": effective_from.isoformat()})
        _recalc(s, effective_from)


def move_partner(desk: Desk, partner_id: int, new_parent_id: int | None,
                 effective_from: date) -> Recalculated:
    """Put a partner (with everything below it) under another upline from a date."""
    require(desk.actor, Permission.MANAGE_PARTNERS)
    with desk.store.write() as s:
        _check_date(s, effective_from)
        p = _partner(s, partner_id)
        tree = Tree.load(dbapi(s))
        tree.check_move(partner_id, new_parent_id, effective_from)
        old = tree.parent_on(partner_id, effective_from)
        if old == new_parent_id:
            raise ValidationFailed("The partner already reports to that upline then.", "parent")
        uid = str(uuid.uuid4())
        move = PartnerMove(uid=uid, partner_id=p.id, old_parent_id=old,
                           new_parent_id=new_parent_id, effective_from=effective_from,
                           actor_id=desk.actor.id)
        s.add(move)
        if effective_from <= date.today():
            p.parent_id = new_parent_id
        s.flush()
        put_record(s, desk.actor, "partner_move", uid, 0, {
            "partner_id": p.uid, "old_parent_id": _uid_of(s, old),
            "new_parent_id": _uid_of(s, new_parent_id),
            "effective_from": effective_from.isoformat(), "moved_by": signer(s, desk.actor)},
            revert=None)
        _share_partner(s, desk, p)
        audit.record(s, desk.actor, "partner.move", "partner", p.id,
                     before={"parent": old},
                     after={"parent": new_parent_id, "from": effective_from.isoformat()})
        return _recalc(s, effective_from)


def create_plan(desk: Desk, name: str, kind: PlanKind | str, currency: str,
                rules: dict[str, Any], tier_shares: dict[str, Any] | None = None,
                effective_from: date = date(1970, 1, 1)) -> int:
    require(desk.actor, Permission.MANAGE_PARTNERS)
    kind, currency = PlanKind(kind), currency.upper()
    terms = parse_terms(kind, currency, rules, tier_shares or {})
    if not name.strip():
        raise ValidationFailed("Give the plan a name.", "name")
    with desk.store.write() as s:
        plan = CommissionPlan(uid=str(uuid.uuid4()), name=name.strip()[:120], kind=kind,
                              currency=currency, rules=rules, tier_shares_bp=tier_shares or {})
        s.add(plan)
        s.flush()
        put_record(s, desk.actor, "commission_plan", plan.uid, 0, {
            "name": plan.name, "kind": kind.value, "currency": currency, "rules": rules,
            "tier_shares_bp": tier_shares or {}}, revert=None)
        _add_version(s, desk, plan, rules, tier_shares or {}, effective_from)
        audit.record(s, desk.actor, "plan.create", "commission_plan", plan.id,
                     after={"name": plan.name, "kind": kind.value, "terms": describe(terms)})
        return plan.id


def _add_version(s: Session, desk: Desk, plan: CommissionPlan, rules: dict[str, Any],
                 tiers: dict[str, Any], effective_from: date) -> PlanVersion:
    v = PlanVersion(uid=str(uuid.uuid4()), plan_id=plan.id, effective_from=effective_from,
                    rules=rules, tier_shares_bp=tiers, created_by=desk.actor.id)
    s.add(v)
    s.flush()
    put_record(s, desk.actor, "plan_version", v.uid, 0, {
        "plan_id": plan.uid, "effective_from": effective_from.isoformat(), "rules": rules,
        "tier_shares_bp": tiers, "created_by": signer(s, desk.actor)}, revert=None)
    return v


def change_plan(desk: Desk, plan_id: int, rules: dict[str, Any],
                tier_shares: dict[str, Any] | None, effective_from: date) -> Recalculated:
    """New terms from a date; deals before it keep the terms they were accrued under."""
    require(desk.actor, Permission.MANAGE_PARTNERS)
    with desk.store.write() as s:
        plan = s.get(CommissionPlan, plan_id)
        if plan is None:
            raise NotFound(f"There is no plan #{plan_id}.")
        terms = parse_terms(plan.kind, plan.currency, rules, tier_shares or {})
        _check_date(s, effective_from)
        same_day = s.scalar(select(func.count()).select_from(PlanVersion).where(
            PlanVersion.plan_id == plan_id, PlanVersion.effective_from == effective_from))
        if same_day:
            raise ValidationFailed(f"The plan already changes on {effective_from:%d %b %Y}; "
                                   "choose another date.", "effective_from")
        _add_version(s, desk, plan, rules, tier_shares or {}, effective_from)
        latest = s.scalar(select(func.max(PlanVersion.effective_from)).where(
            PlanVersion.plan_id == plan_id))
        if latest == effective_from:  # the plan record shows its newest terms
            plan.rules, plan.tier_shares_bp = rules, tier_shares or {}
            s.flush()
            put_record(s, desk.actor, "commission_plan", plan.uid, plan.server_version, {
                "name": plan.name, "kind": plan.kind.value, "currency": plan.currency,
                "rules": rules, "tier_shares_bp": tier_shares or {}}, revert=None)
        audit.record(s, desk.actor, "plan.change", "commission_plan", plan.id,
                     after={"from": effective_from.isoformat(), "terms": describe(terms)})
        return _recalc(s, effective_from)


def assign_plan(desk: Desk, plan_id: int, partner_id: int, effective_from: date,
                client_group: str = "*") -> Recalculated:
    """The plan a partner's clients earn under, for accounts in `client_group` (a
    pattern over the platform group, "*" for all), from a date."""
    require(desk.actor, Permission.MANAGE_PARTNERS)
    group = client_group.strip() or "*"
    with desk.store.write() as s:
        plan = s.get(CommissionPlan, plan_id)
        if plan is None:
            raise NotFound(f"There is no plan #{plan_id}.")
        p = _partner(s, partner_id)
        _check_date(s, effective_from)
        uid = str(uuid.uuid4())
        a = PlanAssignment(uid=uid, plan_id=plan_id, partner_id=partner_id,
                           client_group=group[:64], effective_from=effective_from)
        s.add(a)
        s.flush()
        put_record(s, desk.actor, "plan_assignment", uid, 0, {
            "plan_id": plan.uid, "partner_id": p.uid, "client_group": a.client_group,
            "effective_from": effective_from.isoformat()}, revert=None)
        audit.record(s, desk.actor, "plan.assign", "partner", p.id,
                     after={"plan": plan.name, "group": group,
                            "from": effective_from.isoformat()})
        return _recalc(s, effective_from)


def link_client(desk: Desk, client_id: int, partner_id: int | None) -> None:
    """Who introduced a client; the link counts for deals recorded from now on."""
    require(desk.actor, Permission.MANAGE_PARTNERS)
    with desk.store.write() as s:
        client = s.get(Client, client_id)
        if client is None:
            raise NotFound("This client no longer exists.")
        if partner_id is not None:
            _partner(s, partner_id)
        before = client.partner_id
        client.partner_id = partner_id
        audit.record(s, desk.actor, "client.partner", "client", client_id,
                     before={"partner": before}, after={"partner": partner_id})
