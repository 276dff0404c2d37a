"""A partner's performance, the tree and the card, read back against figures computed
by hand from a small broker: Master > Alpha > Bravo, one plan at 10.00 a lot with
tier shares 20% / 10%, and Alpha's and Bravo's clients trading in October and
November 2026 (server clock at UTC unless a test moves it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from app.commissions.book import SERVER_OFFSET
from app.commissions.performance import MoneyFlow, Month, from_the_start
from app.crm.search_index import dbapi
from app.errors import NotFound, ValidationFailed
from app.services import partners
from app.services.partner_performance import (
    partner_card,
    partner_performance,
    partner_tree,
    plans,
)
from app.services.workspace import Desk
from tests.app.commission_world import DAY, World, day

RULES = {"per_lot": [{"symbols": "*", "rate": "10.00"}]}
OCT_1, OCT_31, NOV_30 = day(0), day(30), day(60)


@dataclass
class Broker:
    world: World
    master: int
    alpha: int
    bravo: int
    plan: int
    a4: int


def small_broker(desk: Desk) -> Broker:
    w = World(desk)
    master = w.partner("Master")
    alpha = w.partner("Alpha", master)
    bravo = w.partner("Bravo", alpha)
    w.partner("Zed")                          # a second top-level partner, no clients
    plan = partners.create_plan(desk, "Standard", "per_lot", "USD", RULES,
                                {"levels": [2000, 1000]})
    for p in (alpha, bravo):
        partners.assign_plan(desk, plan, p, day(0))
    # Alpha's clients
    a1 = w.client(alpha, registered=0)                    # new in October
    a2 = w.client(alpha, registered=-10)                  # September
    w.client(alpha, registered=5)                         # a3: new, never funded
    a4 = w.client(alpha, registered=40)                   # November
    a5 = w.client(alpha, registered=10, currency="EUR")   # new, funded in euros
    w.deal(a1, "balance", profit=100_000, at=DAY, reason="DEPOSIT")
    w.round_turn(a1, 100, at=2 * DAY)          # 10.00: Alpha 8.00, Master 2.00
    w.deal(a2, "balance", profit=50_000, at=-5 * DAY, reason="DEPOSIT")   # before October
    w.round_turn(a2, 50, at=3 * DAY)           # 5.00: Alpha 4.00, Master 1.00
    w.deal(a2, "balance", profit=-20_000, at=4 * DAY, reason="WITHDRAWAL")
    w.deal(a5, "balance", profit=30_000, at=10 * DAY, reason="DEPOSIT")
    w.deal(a5, "balance", profit=-1_000, at=11 * DAY, reason="")   # a fee: not a withdrawal
    w.deal(a4, "balance", profit=70_000, at=40 * DAY, reason="DEPOSIT")
    w.round_turn(a4, 200, at=41 * DAY)         # November, 20.00: Alpha 16.00, Master 4.00
    # Bravo's client: 10.00 a lot; Alpha takes 20% (2.00) and passes 10% of it (0.20) up
    b1 = w.client(bravo, registered=1)
    w.round_turn(b1, 100, at=2 * DAY)          # Bravo 8.00, Alpha 1.80, Master 0.20
    w.accrue()
    return Broker(w, master, alpha, bravo, plan, a4)


@pytest.fixture
def broker(desk: Desk) -> Broker:
    return small_broker(desk)


def test_a_partners_october_by_hand(desk: Desk, broker: Broker) -> None:
    got = partner_performance(desk, broker.alpha, OCT_1, OCT_31)
    assert (got.clients, got.new_clients) == (5, 3)           # a1, a3, a5 joined in October
    assert (got.funded, got.funded_in_period) == (4, 2)       # a1, a2, a4, a5 / a1, a5
    assert got.active == 2                                    # a1 and a2 traded
    assert got.volume == 150                                  # 1.00 + 0.50 lot, closing deals
    assert got.money == (MoneyFlow("EUR", 30_000, 0),
                         MoneyFlow("USD", 100_000, 20_000))   # the fee is neither
    assert got.money[1].net == 80_000
    # own clients 8.00 + 4.00; Bravo's client 1.80 one level down
    assert got.commission == ((0, "USD", 1200), (1, "USD", 180))
    assert got.commission_total() == (("USD", 1380),)
    assert (got.sub_partners, got.downline) == (1, 1)
    assert got.months == (Month(OCT_1, 3, 150, (("USD", 1380),)),)


def test_the_monthly_series_over_two_months(desk: Desk, broker: Broker) -> None:
    got = partner_performance(desk, broker.alpha, OCT_1, NOV_30)
    assert [m.first_day for m in got.months] == [date(2026, 10, 1), date(2026, 11, 1)]
    assert got.months[1] == Month(date(2026, 11, 1), 1, 200, (("USD", 1600),))
    assert (got.new_clients, got.volume, got.funded_in_period) == (4, 350, 3)
    assert got.commission_total() == (("USD", 2980),)
    top = partner_performance(desk, broker.master, OCT_1, NOV_30)
    # 2.00 + 1.00 + 4.00 from Alpha's clients (tier 1), 0.20 from Bravo's (tier 2)
    assert top.commission == ((1, "USD", 700), (2, "USD", 20))
    assert (top.clients, top.sub_partners, top.downline) == (0, 1, 2)
    assert [m.new_clients for m in top.months] == [0, 0]


def test_the_period_is_in_server_dates(desk: Desk) -> None:
    w = World(desk)
    with desk.store.write() as s:   # the platform's clock runs three hours ahead of UTC
        dbapi(s).execute("INSERT INTO settings (key, value) VALUES (?, '180')",
                         (SERVER_OFFSET,))
    ib = w.partner("Ivan")
    partners.assign_plan(desk, partners.create_plan(desk, "P", "per_lot", "USD", RULES),
                         ib, day(-30))
    late = w.client(ib, registered=30)
    with desk.store.write() as s:   # signed up 31 Oct 22:00 UTC: 1 Nov 01:00 on the server
        dbapi(s).execute("UPDATE clients SET created_at = '2026-10-31 22:00:00.000000'"
                         " WHERE id = (SELECT max(id) FROM clients)")
    w.client(ib, registered=30)     # 31 Oct 00:00 UTC: 03:00 on the server, still October
    # opened 21:50 and closed 22:00 UTC on 31 Oct: closed 1 Nov 01:00 on the server
    w.round_turn(late, 100, at=30 * DAY + 22 * 3_600_000 - 600_000)
    w.accrue()
    october = partner_performance(desk, ib, OCT_1, OCT_31)
    november = partner_performance(desk, ib, date(2026, 11, 1), NOV_30)
    assert (october.new_clients, november.new_clients) == (1, 1)
    assert (october.volume, november.volume) == (0, 100)   # closed 01:00 on 1 Nov, server
    assert november.commission_total() == (("USD", 1000),)
    both = partner_performance(desk, ib, OCT_1, NOV_30)
    assert [(m.new_clients, m.volume, m.commission) for m in both.months] == [
        (1, 0, ()), (1, 100, (("USD", 1000),))]


def test_the_tree_shows_levels_clients_and_this_months_commission(
        desk: Desk, broker: Broker) -> None:
    rows = partner_tree(desk, day(20))
    assert [(r.name, r.level, r.parent_id, r.clients) for r in rows] == [
        ("Master", 0, None, 0), ("Alpha", 1, broker.master, 5),
        ("Bravo", 2, broker.alpha, 1), ("Zed", 0, None, 0)]
    assert [r.code for r in rows] == ["MASTER", "ALPHA", "BRAVO", "ZED"]
    # 1 to 21 October: Master 2.00 + 1.00 + 0.20, Alpha 13.80, Bravo 8.00
    assert [r.commission for r in rows] == [
        (("USD", 320),), (("USD", 1380),), (("USD", 800),), ()]
    assert [r.commission for r in partner_tree(desk, day(45))][:2] == [
        (("USD", 400),), (("USD", 1600),)]
    partners.move_partner(desk, broker.bravo, broker.master, day(25))
    assert [(r.name, r.level) for r in partner_tree(desk, day(20))][2] == ("Bravo", 2)
    moved = partner_tree(desk, day(26))
    assert [(r.name, r.level, r.parent_id) for r in moved][:3] == [
        ("Master", 0, None), ("Alpha", 1, broker.master), ("Bravo", 1, broker.master)]


def test_the_card_says_upline_plans_and_payout_account(desk: Desk, broker: Broker) -> None:
    card = partner_card(desk, broker.bravo, day(20))
    assert (card.name, card.code, card.currency, card.active) == ("Bravo", "BRAVO", "USD",
                                                                  True)
    assert card.upline == ((broker.alpha, "Alpha", "ALPHA"), (broker.master, "Master",
                                                             "MASTER"))
    [line] = card.plans
    assert (line.name, line.group, line.effective_from, line.state) == (
        "Standard", "*", day(0), "in effect")
    assert line.terms == "* 10.00 USD/lot; tiers 20%/10%"
    assert card.payout_login is None
    partners.change_plan(desk, broker.plan, {"per_lot": [{"symbols": "FX", "rate": "12.00"}]},
                         {"levels": [2500]}, day(15))
    other = partners.create_plan(desk, "Gold", "revenue_share", "USD",
                                 {"revenue_share": {"share_bp": 2500}})
    partners.assign_plan(desk, other, broker.bravo, day(28))
    partners.set_payout_account(desk, broker.bravo, broker.world.accounts[broker.a4])
    card = partner_card(desk, broker.bravo, day(20))
    assert [(p.name, p.state, p.terms) for p in card.plans] == [
        ("Gold", "planned", "25% of revenue"),
        ("Standard", "in effect", "FX 12.00 USD/lot; tiers 25%")]
    assert (card.payout_login, card.payout_currency) == (broker.world.accounts[broker.a4],
                                                         "USD")
    assert [(p.name, p.state) for p in partner_card(desk, broker.bravo, day(29)).plans] == [
        ("Gold", "in effect"), ("Standard", "replaced")]


def test_plans_list_their_versions(desk: Desk, broker: Broker) -> None:
    partners.change_plan(desk, broker.plan, {"per_lot": [{"symbols": "*", "rate": "11.00"}]},
                         {"levels": [2000, 1000]}, day(15))
    [plan] = plans(desk)
    assert (plan.name, plan.kind, plan.currency, plan.partners) == ("Standard", "per_lot",
                                                                    "USD", 2)
    assert [(v.effective_from, v.terms, v.created_by) for v in plan.versions] == [
        (date(1970, 1, 1), "* 10.00 USD/lot; tiers 20%/10%", "Ada Admin"),   # no date given
        (day(15), "* 11.00 USD/lot; tiers 20%/10%", "Ada Admin")]
    assert from_the_start(plan.versions[0].effective_from)
    assert not from_the_start(plan.versions[1].effective_from)
    assert plan.on(day(14)) is plan.versions[0] and plan.on(day(15)) is plan.versions[1]
    assert plan.versions[1].rules == {"per_lot": [{"symbols": "*", "rate": "11.00"}]}


def test_refusals_in_words(desk: Desk, broker: Broker) -> None:
    with pytest.raises(ValidationFailed, match="ends before it starts"):
        partner_performance(desk, broker.alpha, OCT_31, OCT_1)
    with pytest.raises(NotFound, match="no partner #999"):
        partner_performance(desk, 999, OCT_1, OCT_31)
    with pytest.raises(NotFound, match="no partner #999"):
        partner_card(desk, 999, OCT_1)
