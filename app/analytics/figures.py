"""All the dashboard's figures for a period and a choice of clients, read in one
snapshot, with the time each took (bench/dashboard.py prints them)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.analytics.exception_ages import ExceptionAges, read_exception_ages
from app.analytics.money_flow import MoneyFlow, read_money_flow
from app.analytics.onboarding import Onboarding, read_onboarding
from app.analytics.partner_tiers import PartnerTiers, read_partner_tiers
from app.analytics.scope import EVERYONE, ClientFilter, Span
from app.analytics.trading import TradingActivity, read_trading
from app.crm.search_index import dbapi
from app.models.users import User
from app.workspace.store import Store

T = TypeVar("T")


@dataclass(frozen=True)
class DashboardFigures:
    span: Span
    filters: ClientFilter
    onboarding: Onboarding
    trading: TradingActivity
    money: MoneyFlow
    partners: PartnerTiers
    exceptions: ExceptionAges
    seconds: dict[str, float] = field(default_factory=dict, compare=False)


def read_figures(store: Store, span: Span, filters: ClientFilter = EVERYONE,
                 now: datetime | None = None) -> DashboardFigures:
    """Every figure. Trading activity, the heaviest (a probe per deal), runs on a second
    read connection in a helper thread while this one reads the rest: SQLite lets go
    of the GIL while it steps, so on two cores the refresh takes about as long as its
    longer half. Each half is one consistent snapshot; a sync committing between the
    two starts can only show in one of them."""
    seconds: dict[str, float] = {}

    def timed(name: str, read: Callable[[], T]) -> T:
        start = time.perf_counter()
        try:
            return read()
        finally:
            seconds[name] = time.perf_counter() - start

    def trading() -> TradingActivity:
        with store.read() as s:
            db = dbapi(s)
            return timed("trading", lambda: read_trading(db, span, filters))

    with ThreadPoolExecutor(1, thread_name_prefix="backdesk-figures") as lane:
        activity = lane.submit(trading)
        with store.read() as s:
            db = dbapi(s)
            onboarding = timed("onboarding", lambda: read_onboarding(db, span, filters))
            money = timed("money", lambda: read_money_flow(db, span, filters))
            partners = timed("partners", lambda: read_partner_tiers(db, span, filters))
            exceptions = timed("exceptions", lambda: read_exception_ages(s, filters, now))
        return DashboardFigures(span, filters, onboarding, activity.result(), money,
                                partners, exceptions, seconds)


@dataclass(frozen=True)
class FilterChoices:
    """What the filter bar offers: the countries, segments and managers clients have."""

    countries: tuple[str, ...]
    segments: tuple[str, ...]
    managers: tuple[tuple[int, str], ...]   # (user id, full name)

    def manager_name(self, user_id: int | None) -> str:
        return dict(self.managers).get(user_id or 0, "")


def _distinct(db: Any, column: str) -> list[Any]:
    # A skip scan: one index seek per distinct value instead of reading every client.
    return [v for (v,) in db.execute(
        f"WITH RECURSIVE v(x) AS (SELECT min({column}) FROM clients"
        f" UNION ALL SELECT (SELECT min({column}) FROM clients WHERE {column} > v.x)"
        " FROM v WHERE v.x IS NOT NULL) SELECT x FROM v WHERE x IS NOT NULL")]


def read_filter_choices(s: Session) -> FilterChoices:
    db = dbapi(s)
    countries = _distinct(db, "country")
    managers = _distinct(db, "manager_id")
    segments = [str(x) for (x,) in db.execute(
        "SELECT DISTINCT segment FROM clients ORDER BY 1")]
    names = dict(s.execute(select(User.id, User.full_name).where(User.id.in_(managers))).all())
    return FilterChoices(tuple(countries), tuple(segments),
                         tuple(sorted(((m, names.get(m, f"user #{m}")) for m in managers),
                                      key=lambda m: m[1])))
