"""The dashboard's figures on a small hand-built book whose every figure is known: two
weeks (Mon 2 Nov to Sun 15 Nov 2026), six clients in three countries, two segments
and two managers; deals, payments and commission inside and just outside the period;
and the filters narrowing each figure to the chosen clients."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.analytics.figures import DashboardFigures, read_figures
from app.analytics.onboarding import median_days, percentile_days
from app.analytics.scope import EVERYONE, ClientFilter, Span
from app.errors import ValidationFailed
from app.models.compliance import Alert, AlertStatus, Severity
from app.models.crm import Client
from app.models.kyc import KycCase, KycStatus
from app.models.partners import CommissionAccrual, CommissionPlan, Partner
from app.models.payments import PaymentDirection, PaymentMethod, PaymentRequest, PaymentStatus
from app.models.trading import Deal, TradingAccount
from app.models.users import Role
from app.queries.dashboard import dashboard, default_span, filter_choices
from app.queries.exceptions import Part, exception_queue
from app.services import clients, users
from app.services.workspace import Desk

SPAN = Span(date(2026, 11, 2), date(2026, 11, 15))
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def at(day: int, hour: int = 10, month: int = 11, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


@dataclass(frozen=True)
class Book:
    ids: dict[str, int]
    managers: dict[str, int]


def _client(desk: Desk, name: str, country: str, segment: str, manager: int | None,
            created: datetime) -> int:
    cid = clients.create_client(desk, clients.ClientData(
        first_name="Ann", last_name=name, country=country, segment=segment,
        manager_id=manager))
    with desk.store.write() as s:
        row = s.get(Client, cid)
        assert row is not None
        row.created_at = created
    return cid


def build_book(desk: Desk) -> Book:
    """The hand-built book (see the module's docstring); every figure below follows."""
    m1 = users.add_user(desk, "mike", "Mike One", Role.MANAGER).id
    m2 = users.add_user(desk, "mary", "Mary Two", Role.MANAGER).id
    c = {
        "A": _client(desk, "Alpha", "GB", "Retail", m1, at(2)),
        "B": _client(desk, "Bravo", "GB", "VIP", m2, at(3, 0)),
        "C": _client(desk, "Charlie", "DE", "Retail", m1, at(10)),
        "D": _client(desk, "Delta", "DE", "VIP", m2, at(11)),
        "E": _client(desk, "Echo", "FR", "Retail", None, at(20, month=10)),
        "F": _client(desk, "Foxtrot", "GB", "Retail", m1, at(12)),
    }
    with desk.store.write() as s:
        for who, status, created, decided in (
                ("A", KycStatus.APPROVED, at(2), at(4)),
                ("B", KycStatus.APPROVED, at(3, 0), at(13, 0)),
                ("C", KycStatus.IN_REVIEW, at(10), None),
                ("E", KycStatus.APPROVED, at(20, month=10), at(21, month=10)),
                ("F", KycStatus.APPROVED, at(12), at(20))):
            s.add(KycCase(uid=str(uuid.uuid4()), client_id=c[who], status=status,
                          decided_at=decided, created_at=created))
        accounts = {}
        for who, login, currency, opened in (("A", 1, "USD", at(5)), ("B", 2, "EUR", at(14)),
                                             ("E", 3, "USD", at(22, month=10))):
            acc = TradingAccount(platform="gw", login=login, client_id=c[who], group="real",
                                 currency=currency, leverage=100, status="active",
                                 opened_at=opened)
            s.add(acc)
            s.flush()
            accounts[who] = acc.id
        deals = {}
        for key, who, action, entry, volume, when in (
                ("a1", "A", "buy", "in", 100, at(3, 10)),
                ("a2", "A", "sell", "out", 100, at(3, 11)),
                ("a3", "A", "buy", "in", 50, at(10)),
                ("b1", "B", "buy", "in", 200, at(8, 23)),  # Sunday night: the first week
                ("b2", "B", "sell", "out", 200, at(10, 1)),
                ("b3", "B", "balance", "none", 0, at(5)),
                ("e1", "E", "sell", "inout", 30, at(15, 23, minute=59, second=59)),
                ("e2", "E", "buy", "in", 10, at(16, 0)),
                ("e3", "E", "buy", "in", 10, at(1, 23, minute=59))):
            d = Deal(platform="gw", ticket=len(deals) + 1, account_id=accounts[who],
                     symbol="EURUSD" if action != "balance" else "", action=action,
                     entry=entry, volume=volume, time_ms=ms(when),
                     reason="DEPOSIT" if action == "balance" else "CLIENT")
            s.add(d)
            s.flush()
            deals[key] = d.id
        for who, direction, amount, currency, status, updated in (
                ("A", "deposit", 100_000, "USD", "completed", at(4)),
                ("A", "withdrawal", 25_000, "USD", "completed", at(12)),
                ("B", "deposit", 50_000, "EUR", "completed", at(14)),
                ("B", "deposit", 30_000, "EUR", "pending", at(10)),
                ("E", "deposit", 7_000, "USD", "completed", at(20)),
                ("E", "deposit", 7_000, "USD", "completed", at(8))):
            s.add(PaymentRequest(uid=str(uuid.uuid4()), client_id=c[who],
                                 direction=PaymentDirection(direction),
                                 method=PaymentMethod.CARD, provider="Stripe",
                                 amount_minor=amount, currency=currency,
                                 status=PaymentStatus(status), created_at=updated,
                                 updated_at=updated))
        plan = CommissionPlan(uid=str(uuid.uuid4()), name="Per lot", kind="per_lot",
                              currency="USD")
        p1 = Partner(uid=str(uuid.uuid4()), name="Top IB", referral_code="TOP",
                     currency="USD")
        s.add_all([plan, p1])
        s.flush()
        p2 = Partner(uid=str(uuid.uuid4()), name="Sub IB", referral_code="SUB",
                     currency="USD", parent_id=p1.id)
        s.add(p2)
        s.flush()
        for deal, partner, who, tier, amount, currency, when in (
                ("a2", p2.id, "A", 0, 700, "USD", at(3, 11)),
                ("a2", p1.id, "A", 1, 140, "USD", at(3, 11)),
                ("b2", p2.id, "B", 0, 1400, "EUR", at(10, 1)),
                ("a3", p1.id, "A", -1, -50, "USD", at(12)),
                ("e2", p2.id, "E", 0, 999, "USD", at(16, 0))):
            s.add(CommissionAccrual(deal_id=deals[deal], partner_id=partner, client_id=c[who],
                                    plan_id=plan.id, tier=tier, rule="per_lot",
                                    exact_micro=amount * 1_000_000, revenue_micro=0,
                                    amount_minor=amount, residue_micro=0, currency=currency,
                                    time_ms=ms(when)))
        s.add(Alert(uid=str(uuid.uuid4()), rule="structuring", severity=Severity.HIGH,
                    client_id=c["D"], status=AlertStatus.OPEN, summary="Split deposits",
                    due_date=date(2026, 11, 24), created_at=at(24)))
    return Book(c, {"M1": m1, "M2": m2})


@pytest.fixture
def book(desk: Desk) -> Book:
    return build_book(desk)


def figures(desk: Desk, filters: ClientFilter = EVERYONE) -> DashboardFigures:
    return read_figures(desk.store, SPAN, filters, NOW)


def test_weeks_of_the_period() -> None:
    assert SPAN.weeks == (date(2026, 11, 2), date(2026, 11, 9))
    assert Span(date(2026, 11, 4), date(2026, 11, 9)).weeks == (date(2026, 11, 2),
                                                                date(2026, 11, 9))
    assert default_span(date(2026, 11, 25)) == Span(date(2026, 8, 31), date(2026, 11, 25))
    with pytest.raises(ValidationFailed):
        Span(date(2026, 11, 9), date(2026, 11, 2))


def test_onboarding_throughput(desk: Desk, book: Book) -> None:
    o = figures(desk).onboarding
    assert o.funnel == (("Leads created", 5), ("KYC started", 4), ("Verified", 2))
    assert o.created == (2, 3) and o.verified == (2, 0)
    assert o.median_days == Decimal("6.0") and o.p90_days == Decimal("10.0")
    assert o.conversion_percent == Decimal("40.0")


def test_percentiles_by_nearest_rank() -> None:
    day = 86_400
    values = [day * n for n in range(1, 11)]  # 1..10 days
    assert median_days(values) == Decimal("5.5")
    assert percentile_days(values, 90) == Decimal("9.0")
    assert median_days([day * 3]) == percentile_days([day * 3], 90) == Decimal("3.0")
    assert median_days([]) is None and percentile_days([], 90) is None


def test_trading_activity_by_segment_and_week(desk: Desk, book: Book) -> None:
    t = figures(desk).trading
    assert [(s.segment, s.deals, s.volume) for s in t.segments] == [
        ("Retail", (2, 2), (100, 30)), ("VIP", (1, 1), (0, 200))]
    assert t.total_deals == 6 and t.total_lots == Decimal("3.30")


def test_money_flow_per_week_and_currency(desk: Desk, book: Book) -> None:
    m = figures(desk).money
    usd, eur = m.currencies
    assert (usd.currency, usd.deposits, usd.withdrawals, usd.net) == (
        "USD", (107_000, 0), (0, 25_000), (107_000, -25_000))
    assert (usd.deposit_count, usd.withdrawal_count, usd.total_net) == (2, 1, 82_000)
    assert (eur.currency, eur.deposits, eur.withdrawals) == ("EUR", (0, 50_000), (0, 0))


def test_partner_commission_by_tier(desk: Desk, book: Book) -> None:
    p = figures(desk).partners
    assert [(x.tier, x.currency, x.amount_minor, x.accruals) for x in p.lines] == [
        (0, "EUR", 1400, 1), (0, "USD", 700, 1), (1, "USD", 140, 1), (-1, "USD", -50, 1)]
    assert p.totals() == {"EUR": 1400, "USD": 790}
    assert p.tiers == (0, 1, -1) and p.amount(0, "USD") == 700


def test_open_exceptions_by_age(desk: Desk, book: Book) -> None:
    e = figures(desk).exceptions
    assert e.by_bucket == (1, 0, 1, 0)  # the alert raised yesterday, the payment of 15 days
    assert dict(zip(e.parts, e.counts, strict=True)) == {
        Part.RECONCILIATION: (0, 0, 0, 0), Part.KYC: (0, 0, 0, 0),
        Part.PAYMENTS: (0, 0, 1, 0), Part.SYNC: (0, 0, 0, 0),
        Part.COMPLIANCE: (1, 0, 0, 0)}
    assert e.total == len(exception_queue(desk, now=NOW))


def test_filters_narrow_every_figure(desk: Desk, book: Book) -> None:
    gb = figures(desk, ClientFilter(country="GB"))
    assert gb.onboarding.leads == 3 and gb.onboarding.verified_total == 2
    assert [(s.segment, s.deals, s.volume) for s in gb.trading.segments] == [
        ("Retail", (2, 1), (100, 0)), ("VIP", (1, 1), (0, 200))]
    assert gb.money.currencies[0].deposits == (100_000, 0)
    assert gb.partners.totals() == {"EUR": 1400, "USD": 790}
    assert gb.exceptions.by_bucket == (0, 0, 1, 0)

    vip = figures(desk, ClientFilter(segment="VIP"))
    assert (vip.onboarding.leads, vip.onboarding.verified_total) == (2, 1)
    assert vip.onboarding.median_days == Decimal("10.0")
    assert [s.segment for s in vip.trading.segments] == ["VIP"]
    assert [f.currency for f in vip.money.currencies] == ["EUR"]
    assert vip.partners.totals() == {"EUR": 1400}
    assert vip.exceptions.by_bucket == (1, 0, 1, 0)

    mine = figures(desk, ClientFilter(manager_id=book.managers["M1"]))
    assert (mine.onboarding.leads, mine.onboarding.verified_total) == (3, 1)
    assert [(s.segment, s.deals) for s in mine.trading.segments] == [("Retail", (2, 1))]
    assert mine.partners.totals() == {"USD": 790}
    assert mine.exceptions.total == 0

    nobody = figures(desk, ClientFilter(country="DE", segment="Retail"))
    assert nobody.trading.total_deals == 0
    assert nobody.money.currencies == () and nobody.partners.lines == ()
    assert nobody.onboarding.funnel[0] == ("Leads created", 1)


def test_dashboard_service_and_filter_choices(desk: Desk, book: Book) -> None:
    whole = dashboard(desk, SPAN.first, SPAN.last)
    assert whole.trading.total_deals == 6 and set(whole.seconds) == {
        "onboarding", "trading", "money", "partners", "exceptions"}
    choices = filter_choices(desk)
    assert choices.countries == ("DE", "FR", "GB")
    assert choices.segments == ("Retail", "VIP")
    assert choices.managers == ((book.managers["M2"], "Mary Two"),
                                (book.managers["M1"], "Mike One"))
    assert choices.manager_name(book.managers["M1"]) == "Mike One"
    quiet = dashboard(desk, date(2020, 1, 6), date(2020, 1, 12))
    assert quiet.onboarding.leads == 0 and quiet.trading.total_deals == 0
    assert quiet.money.currencies == () and quiet.partners.lines == ()


def _index_columns(desk: Desk, name: str) -> list[str]:
    with desk.store.writer.connect() as conn:
        return [r[2] for r in conn.exec_driver_sql(f"PRAGMA index_info({name})")]


def _migrate(desk: Desk, target: str, down: bool = False) -> None:
    from alembic import command
    from alembic.config import Config

    from app.workspace.migrate import SCRIPTS

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    with desk.store.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, target)


def test_migration_0009_widens_the_deal_index_in_place(desk: Desk) -> None:
    build_book(desk)
    wide = ["time_ms", "action", "account_id", "entry", "volume"]
    assert _index_columns(desk, "ix_deals_time") == wide
    _migrate(desk, "0008", down=True)
    assert _index_columns(desk, "ix_deals_time") == ["time_ms"]
    assert _index_columns(desk, "ix_clients_created") == []
    _migrate(desk, "head")
    assert _index_columns(desk, "ix_deals_time") == wide
    assert _index_columns(desk, "ix_commission_accruals_tier")[:2] == ["tier", "currency"]
    # A first sync pull that set the deal index aside builds it itself when it ends.
    _migrate(desk, "0008", down=True)
    with desk.store.writer.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_deals_time")
    _migrate(desk, "head")
    assert _index_columns(desk, "ix_deals_time") == []
    assert figures(desk).trading.total_deals == 6  # still right, only slower
