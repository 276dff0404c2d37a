"""Reading partners for the desk: a partner's performance over a period, the tree
with this month's commission, a partner's card and the plans. Reads only; every
change goes through app.services.partners and app.services.commissions."""

from __future__ import annotations

from datetime import date

from app.commissions.book import Book
from app.commissions.performance import (
    PartnerCard,
    Performance,
    PlanRow,
    TreeRow,
    read_card,
    read_performance,
    read_plans,
    read_tree,
)
from app.crm.search_index import dbapi
from app.errors import ValidationFailed
from app.roles import Permission, require
from app.services.workspace import Desk

# A period longer than this is more likely a typing slip than a question.
MAX_DAYS = 3_700


def partner_performance(desk: Desk, partner_id: int, first: date, last: date) -> Performance:
    """Clients, money, volume and commission a partner brought in over server dates
    first..last, with a month-by-month series."""
    require(desk.actor, Permission.VIEW)
    if last < first:
        raise ValidationFailed("The period ends before it starts.", "period")
    if (last - first).days > MAX_DAYS:
        raise ValidationFailed("Choose a period of at most ten years.", "period")
    with desk.store.read() as s:
        db = dbapi(s)
        return read_performance(db, Book.load(db), partner_id, first, last)


def partner_tree(desk: Desk, day: date) -> list[TreeRow]:
    """The tree as on `day`: each partner after its upline, with its level, clients
    referred and commission earned in the month of `day` up to it."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        db = dbapi(s)
        return read_tree(db, Book.load(db), day)


def partner_card(desk: Desk, partner_id: int, day: date) -> PartnerCard:
    """Who a partner is on `day`: its upline, its plans with their terms, and the
    account its commission is paid into."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        db = dbapi(s)
        return read_card(db, Book.load(db), partner_id, day)


def plans(desk: Desk) -> list[PlanRow]:
    """Every commission plan with each version of its terms."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return read_plans(dbapi(s))
