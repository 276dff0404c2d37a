"""Commissions computed by hand: every plan type, the rules brokers ask for, a 4-level
tree, moves and plan changes by date, recalculation, and the payout run with four
eyes. Figures in the comments are the hand computation the test checks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.commissions.payouts import settle_sent
from app.commissions.plans import MICRO, parse_terms
from app.commissions.split import cascade, round_with_carry
from app.commissions.tree import Move, Tree
from app.crm.search_index import dbapi
from app.errors import PermissionDenied, ValidationFailed
from app.models.users import Role
from app.services import commissions, partners, users
from app.services.workspace import Desk
from tests.app.commission_world import DAY, PER_LOT, World, day

MIN = 60_000


@pytest.fixture
def world(desk: Desk) -> World:
    return World(desk)


def plan(w: World, partner: int, rules: dict[str, Any], tiers: list[int] | None = None,
         kind: str = "per_lot", group: str = "*") -> int:
    pid = partners.create_plan(w.desk, f"{kind} plan", kind, "USD", rules,
                               {"levels": tiers} if tiers else {})
    partners.assign_plan(w.desk, pid, partner, day(0), group)
    return pid


# -- per lot -----------------------------------------------------------------------------------

def test_per_lot_by_symbol_group_and_account_type_counted_once_per_round_turn(
        world: World) -> None:
    ib = world.partner("Ivan")
    plan(world, ib, PER_LOT)
    retail, pro = world.client(ib), world.client(ib, group="pro-raw")
    opened, closed = world.round_turn(retail, 50)             # 0.50 lot x 7.00 = 3.50
    _, gold = world.round_turn(retail, 33, symbol="XAUUSD")   # 0.33 lot x 10.00 = 3.30
    _, index = world.round_turn(retail, 100, symbol="US30")   # no INDICES line: nothing
    _, pro_fx = world.round_turn(pro, 100)                    # pro-* line first: 5.00
    world.accrue()
    got = world.accruals()
    assert (opened, ib) not in got  # the round turn counts on its closing deal
    assert got[(closed, ib)][:3] == (350, 0, "lot:FX")
    assert got[(gold, ib)][0] == 330
    assert (index, ib) not in got
    assert got[(pro_fx, ib)][0] == 500
    assert world.earned(ib) == 350 + 330 + 500
    assert world.payable(ib) == 1180  # the ledger booked exactly what was accrued


def test_counting_on_the_opening_deal_and_leaving_out_short_positions(world: World) -> None:
    on_in, on_out = world.partner("Inna"), world.partner("Oleg")
    plan(world, on_in, {"per_lot": [{"symbols": "*", "rate": "7.00"}], "count_on": "in"})
    plan(world, on_out, {"per_lot": [{"symbols": "*", "rate": "7.00"}],
                         "min_hold_seconds": 60})
    a, b = world.client(on_in), world.client(on_out)
    opened, closed = world.round_turn(a, 100)
    _, quick = world.round_turn(b, 100, held_ms=30_000, at=1000)     # 30 s < 60 s
    _, slow = world.round_turn(b, 100, held_ms=120_000, at=2000)     # 2 min: counts
    world.accrue()
    got = world.accruals()
    assert got[(opened, on_in)][0] == 700 and (closed, on_in) not in got
    assert (quick, on_out) not in got and got[(slow, on_out)][0] == 700
    with pytest.raises(ValidationFailed, match="known only when it closes"):
        parse_terms("per_lot", "USD", {"per_lot": [{"rate": "1"}], "count_on": "in",
                                       "min_hold_seconds": 5}, {})


def test_rounding_carries_the_residue_instead_of_losing_it(world: World) -> None:
    ib = world.partner("Rita")
    plan(world, ib, {"per_lot": [{"symbols": "*", "rate": "1.005"}]})
    acc = world.client(ib)
    closes = [world.round_turn(acc, 100, at=n * MIN)[1] for n in range(3)]
    world.accrue()
    got = world.accruals()
    # 100.5 cents each: 100 (carry .5), 101 (carry 0), 100 (carry .5), half to even
    assert [got[(d, ib)][0] for d in closes] == [100, 101, 100]
    assert [got[(d, ib)][4] for d in closes] == [MICRO // 2, 0, MICRO // 2]
    assert sum(got[(d, ib)][3] for d in closes) == 301_500_000  # nothing lost: 301 + .5


# -- spread, revenue, CPA, hybrid --------------------------------------------------------------

def test_spread_share(world: World) -> None:
    ib = world.partner("Sam")
    plan(world, ib, {"spread_share": {"share_bp": 3000, "spread": [
        {"symbols": "FX", "rate": "10.00"}]}}, kind="spread_share")
    acc = world.client(ib)
    _, closed = world.round_turn(acc, 5)   # 10.00 x 0.05 lot x 30% = 0.15
    _, small = world.round_turn(acc, 1)    # 10.00 x 0.01 x 30% = 0.03
    world.accrue()
    got = world.accruals()
    assert got[(closed, ib)][0] == 15 and got[(small, ib)][0] == 3


def test_revenue_share_is_net_of_bonuses_and_chargebacks(world: World) -> None:
    ib = world.partner("Vera")
    plan(world, ib, {"revenue_share": {"share_bp": 2500}}, kind="revenue_share")
    acc = world.client(ib)
    # the client loses 80.00 and pays 3.00 commission: revenue 83.00, 25% = 20.75
    _, closed = world.round_turn(acc, 100, profit=-8000, commission=-300)
    bonus = world.deal(acc, "bonus", profit=5000, at=DAY)                   # -12.50
    chargeback = world.deal(acc, "charge", profit=-10_000, at=2 * DAY,
                            reason="CHARGEBACK")                            # -25.00
    world.accrue()
    got = world.accruals()
    assert got[(closed, ib)][0] == 2075
    assert got[(bonus, ib)][0] == -1250
    assert got[(chargeback, ib)][0] == -2500
    assert world.earned(ib) == 2075 - 1250 - 2500
    assert world.payable(ib) == -1675  # the partner owes it back until it trades again


def test_cpa_is_paid_once_when_the_client_qualifies_and_clawed_back(world: World) -> None:
    ib = world.partner("Carl")
    plan(world, ib, {"cpa": {"amount": "200.00", "min_first_deposit": {"USD": "100.00"},
                             "min_lots": "1.00", "within_days": 30}}, kind="cpa")
    acc = world.client(ib, registered=0)
    late = world.client(ib, registered=0)
    world.deal(acc, "balance", profit=15_000, at=DAY, reason="DEPOSIT")
    _, first = world.round_turn(acc, 60, at=2 * DAY)     # 0.60 lot: not yet
    _, second = world.round_turn(acc, 50, at=3 * DAY)    # 1.10 lots: qualifies here
    _, third = world.round_turn(acc, 100, at=4 * DAY)    # paid once only
    world.deal(late, "balance", profit=50_000, at=DAY, reason="DEPOSIT")
    world.round_turn(late, 200, at=40 * DAY)             # volume after 30 days: no CPA
    chargeback = world.deal(acc, "charge", profit=-15_000, at=10 * DAY, reason="CHARGEBACK")
    world.accrue()
    got = world.accruals()
    assert (first, ib) not in got and (third, ib) not in got
    assert got[(second, ib)][:3] == (20_000, 0, "cpa")
    assert got[(chargeback, ib)][0] == -20_000
    assert world.earned(ib) == 0


def test_hybrid_per_lot_and_revenue_share(world: World) -> None:
    ib = world.partner("Hana")
    plan(world, ib, {"per_lot": [{"symbols": "FX", "rate": "5.00"}],
                     "revenue_share": {"share_bp": 1000}}, kind="hybrid")
    acc = world.client(ib)
    # 0.20 lot x 5.00 = 1.00, plus 10% of the client's 12.34 loss = 1.234: 2.234 -> 2.23
    _, closed = world.round_turn(acc, 20, profit=-1234)
    world.accrue()
    amount, tier, rule, exact, _ = world.accruals()[(closed, ib)]
    assert (amount, tier, rule, exact) == (223, 0, "lot:FX+revenue", 223_400_000)
    with pytest.raises(ValidationFailed, match="hybrid"):
        parse_terms("per_lot", "USD", {"per_lot": [{"rate": "1"}],
                                       "revenue_share": {"share_bp": 5}}, {})


def test_a_rate_without_the_account_currency_earns_nothing(world: World) -> None:
    ib = world.partner("Eva")
    plan(world, ib, PER_LOT)
    eur = world.client(ib, currency="EUR")
    _, fx = world.round_turn(eur, 100)                     # FX lines are in USD only
    _, gold = world.round_turn(eur, 100, symbol="XAUUSD")  # METALS names EUR: 9.00
    world.accrue()
    got = world.accruals()
    assert (fx, ib) not in got
    assert got[(gold, ib)][0] == 900
    with world.desk.store.read() as s:
        assert dbapi(s).execute("SELECT currency FROM commission_accruals").fetchone() == (
            "EUR",)


# -- the tree ------------------------------------------------------------------------------------

def four_levels(w: World) -> tuple[int, int, int, int]:
    master = w.partner("Master")
    a = w.partner("Alpha", master)
    b = w.partner("Bravo", a)
    c = w.partner("Charlie", b)
    return master, a, b, c


def test_a_four_level_tree_shares_exactly_what_the_deal_generated(world: World) -> None:
    master, a, b, c = four_levels(world)
    plan(world, c, {"per_lot": [{"symbols": "*", "rate": "7.00"}]}, tiers=[2000, 1000, 1000])
    acc = world.client(c)
    _, one = world.round_turn(acc, 100)
    _, two = world.round_turn(acc, 100, at=MIN)
    world.accrue()
    got = world.accruals()
    # 7.00: Bravo takes 20% of Charlie's 7.00 = 1.40, Alpha 10% of that = 0.14, Master 10%
    # of Alpha's = 0.014. Charlie 5.60, Bravo 1.26, Alpha 0.126, Master 0.014 (exact).
    exact = {p: got[(one, p)][3] for p in (c, b, a, master)}
    assert exact == {c: 560 * MICRO, b: 126 * MICRO, a: 12_600_000, master: 1_400_000}
    assert [got[(one, p)][1] for p in (c, b, a, master)] == [0, 1, 2, 3]
    # cents: Alpha 12.6 -> 13 (carries -0.4), Master 1.4 -> 1 (carries 0.4); then
    # Alpha 12.2 -> 12, Master 1.8 -> 2. Each deal's parts add up to 700.
    assert [got[(one, p)][0] for p in (c, b, a, master)] == [560, 126, 13, 1]
    assert [got[(two, p)][0] for p in (c, b, a, master)] == [560, 126, 12, 2]
    assert sum(world.payable(p) for p in (c, b, a, master)) == 1400


def test_moves_take_effect_from_their_date_and_loops_are_refused(world: World) -> None:
    master, a, b, c = four_levels(world)
    plan(world, b, {"per_lot": [{"symbols": "*", "rate": "10.00"}]}, tiers=[5000, 5000])
    acc = world.client(b)
    _, before = world.round_turn(acc, 100, at=DAY)
    _, after = world.round_turn(acc, 100, at=5 * DAY)
    world.accrue()
    assert world.accruals()[(after, a)][0] == 250  # 10.00: Bravo 5.00, Alpha 2.50, Master 2.50
    partners.move_partner(world.desk, b, master, day(3))  # Bravo reports to Master
    got = world.accruals()
    # before the move: Bravo 5.00, Alpha 2.50, Master 2.50; after: Bravo 5.00, Master 5.00
    assert [got.get((before, p), (0,))[0] for p in (b, a, master)] == [500, 250, 250]
    assert [got.get((after, p), (0,))[0] for p in (b, a, master)] == [500, 0, 500]
    with pytest.raises(ValidationFailed, match="loop"):
        partners.move_partner(world.desk, master, c, day(4))
    with pytest.raises(ValidationFailed, match="own upline"):
        partners.move_partner(world.desk, a, a, day(4))


def test_the_tree_on_a_date_follows_the_moves() -> None:
    t = Tree({1: None, 2: 1, 3: 2}, {1: True, 2: True, 3: True})
    t.add_moves([Move(3, 2, 1, day(10))])
    assert t.chain(3, day(9)) == [3, 2, 1] and t.chain(3, day(10)) == [3, 1]
    with pytest.raises(ValidationFailed, match="loop"):
        t.check_move(1, 3, day(12))          # 3 is below 1 on that date
    t.check_move(2, 3, day(12))              # after the move 3 is no longer below 2


def test_a_plan_change_from_a_date_leaves_earlier_deals_alone(world: World) -> None:
    ib = world.partner("Pia")
    pid = plan(world, ib, {"per_lot": [{"symbols": "*", "rate": "7.00"}]})
    acc = world.client(ib)
    _, early = world.round_turn(acc, 100, at=DAY)
    _, late = world.round_turn(acc, 100, at=6 * DAY)
    world.accrue()
    partners.change_plan(world.desk, pid, {"per_lot": [{"symbols": "*", "rate": "8.00"}]},
                         None, day(5))
    got = world.accruals()
    assert got[(early, ib)][0] == 700 and got[(late, ib)][0] == 800
    assert world.payable(ib) == 1500   # the recalculation booked the 1.00 difference


def test_recalculating_gives_identical_accruals_and_books_nothing(world: World) -> None:
    *_, c = four_levels(world)
    plan(world, c, {"per_lot": [{"symbols": "*", "rate": "1.2345"}],
                    "revenue_share": {"share_bp": 777}}, tiers=[3333, 2500, 1111],
         kind="hybrid")
    acc = world.client(c)
    for n in range(40):
        world.round_turn(acc, 1 + n * 7 % 90, at=n * MIN, profit=(n * 7919) % 5000 - 2500)
    world.accrue()
    first = world.accruals()
    with world.desk.store.read() as s:
        entries = dbapi(s).execute("SELECT count(*) FROM journal_entries").fetchone()
    done = commissions.recalculate(world.desk, day(0))
    assert done.accruals_before == done.accruals_after == len(first) and not done.changed
    assert world.accruals() == first
    with world.desk.store.read() as s:
        assert dbapi(s).execute("SELECT count(*) FROM journal_entries").fetchone() == entries


def test_accrual_is_idempotent(world: World) -> None:
    ib = world.partner("Ida")
    plan(world, ib, PER_LOT)
    acc = world.client(ib)
    world.round_turn(acc, 100)
    assert world.accrue() == 1
    assert world.accrue() == 0
    with world.desk.store.write() as s:   # a replayed page: the mark moved back
        dbapi(s).execute("UPDATE settings SET value = '0' WHERE key = ?",
                         ("commissions.deals_accrued",))
    with pytest.raises(Exception, match="UNIQUE"):
        world.accrue()
    assert world.earned(ib) == 700 and world.payable(ib) == 700


# -- payouts -------------------------------------------------------------------------------------

def _people(desk: Desk) -> dict[str, Desk]:
    made = {"fin1": Role.FINANCE, "fin2": Role.FINANCE, "clerk": Role.CLERK}
    return {n: Desk(desk.store, users.add_user(desk, n, n.title(), r)) for n, r in made.items()}


def test_payout_run_four_eyes_rejection_and_payment(world: World) -> None:
    ib, other = world.partner("Paul"), world.partner("Olga")
    plan(world, ib, PER_LOT)
    plan(world, other, {"revenue_share": {"share_bp": 5000}}, kind="revenue_share")
    acc, lucky = world.client(ib), world.client(other)
    world.round_turn(acc, 300, at=DAY)                    # 21.00
    world.round_turn(lucky, 100, at=DAY, profit=10_000)   # client won: Olga -50.00
    world.round_turn(acc, 100, at=40 * DAY)               # after the period: not in run
    people = _people(world.desk)
    with pytest.raises(PermissionDenied):
        commissions.prepare_run(people["clerk"], day(0), day(30))
    run = commissions.prepare_run(people["fin1"], day(0), day(30))
    assert (run.payouts, run.totals, run.carried) == (1, {"USD": 2100}, 1)
    (payout,) = commissions.payouts(people["fin2"], run_id=run.run_id)
    assert (payout.partner, payout.amount_minor, payout.accruals) == ("Paul", 2100, 1)
    with pytest.raises(PermissionDenied, match="another finance officer"):
        commissions.decide_payout(people["fin1"], payout.id, True)
    with pytest.raises(ValidationFailed, match="Say why"):
        commissions.decide_payout(people["fin2"], payout.id, False)
    commissions.decide_payout(people["fin2"], payout.id, False, "Check the gold rate")
    # until the gateway has the rejection, its commission stays with it (a refusal would
    # bring the payout back as proposed, and it must not be paid twice)
    assert commissions.prepare_run(people["fin1"], day(0), day(30)).payouts == 0
    with world.desk.store.write() as s:
        dbapi(s).execute("UPDATE outbox SET status = 'done' WHERE entity = 'payout'")
    again = commissions.prepare_run(people["fin1"], day(0), day(30))
    (payout,) = commissions.payouts(people["fin2"], run_id=again.run_id)
    assert payout.amount_minor == 2100  # rejected commission came back for the next run
    commissions.decide_payout(people["fin2"], payout.id, True)
    with pytest.raises(ValidationFailed, match="trading account"):
        commissions.send_payout(people["fin2"], payout.id)
    partners.set_payout_account(world.desk, ib, world.accounts[acc])
    commissions.send_payout(people["fin2"], payout.id)
    with pytest.raises(ValidationFailed, match="Commission up to"):
        partners.change_plan(world.desk, 1, {"per_lot": [{"symbols": "*", "rate": "9.00"}]},
                             None, day(30))
    with world.desk.store.write() as s:   # the gateway did it (tests/sync covers the trip)
        db = dbapi(s)
        db.execute("UPDATE outbox SET status = 'done' WHERE entity = 'payout'")
        assert settle_sent(db) == 1 and settle_sent(db) == 0
    assert commissions.payouts(world.desk, run_id=again.run_id)[0].status == "paid"
    assert world.payable(ib) == 700   # 28.00 accrued, 21.00 paid
    assert world.payable(other) == -5000


# -- properties ----------------------------------------------------------------------------------

@given(st.integers(-10**12, 10**12), st.lists(st.integers(0, 10_000), max_size=6),
       st.integers(1, 8))
def test_the_levels_always_add_up_to_the_commission(amount: int, levels: list[int],
                                                    depth: int) -> None:
    parts = cascade(amount, levels, depth)
    assert sum(parts) == amount and len(parts) <= depth


@given(st.lists(st.integers(-10**10, 10**10), max_size=50))
def test_carried_rounding_loses_nothing(amounts: list[int]) -> None:
    residue, paid = 0, 0
    for a in amounts:
        p, residue = round_with_carry(a, residue)
        paid += p
        assert abs(residue) <= MICRO // 2
    assert paid * MICRO + residue == sum(amounts)


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 500), st.integers(-50_000, 50_000),
                          st.integers(0, 3)), min_size=1, max_size=25),
       st.lists(st.integers(0, 10_000), min_size=1, max_size=4))
def test_sum_over_levels_and_stable_recalculation(tmp_path_factory: pytest.TempPathFactory,
                                                  trades: list[tuple[int, int, int]],
                                                  levels: list[int]) -> None:
    from app.services.workspace import init_workspace
    from tests.conftest import PASSWORD

    folder = tmp_path_factory.mktemp("prop") / "ws"
    desk = init_workspace(folder, password=PASSWORD, broker_name="P", base_currency="USD",
                          admin_username="admin", admin_full_name="Ada")
    try:
        w = World(desk)
        chain = [w.partner("Top")]
        for n in range(4):
            chain.append(w.partner(f"L{n}", chain[-1], code=f"L{n}X"))
        plan(w, chain[-1], {"per_lot": [{"symbols": "*", "rate": "3.3333"}],
                            "revenue_share": {"share_bp": 1234}}, tiers=levels, kind="hybrid")
        acc = w.client(chain[-1])
        for n, (volume, profit, _) in enumerate(trades):
            w.round_turn(acc, volume, at=n * MIN, profit=profit)
        w.accrue()
        first = w.accruals()
        exact_by_deal: dict[int, int] = {}
        for (deal, _), (_, _, _, exact, _) in first.items():
            exact_by_deal[deal] = exact_by_deal.get(deal, 0) + exact
        for (deal, *_rest), (volume, profit, _) in zip(
                sorted(exact_by_deal.items()), trades, strict=False):
            assert exact_by_deal[deal] == 33_333 * volume * 100 - profit * 1234 * 100
        paid = sum(v[0] for v in first.values())
        with desk.store.read() as s:
            residues = dbapi(s).execute(
                "SELECT coalesce(sum(residue_micro), 0) FROM commission_carry").fetchone()[0]
        assert paid * MICRO + residues == sum(exact_by_deal.values())
        commissions.recalculate(desk, day(0))
        assert w.accruals() == first
    finally:
        desk.close()


def test_a_payout_that_no_longer_holds_its_commission_is_not_paid(world: World) -> None:
    ib = world.partner("Nina")
    plan(world, ib, PER_LOT)
    acc = world.client(ib)
    world.round_turn(acc, 100, at=DAY)
    people = _people(world.desk)
    run = commissions.prepare_run(people["fin1"], day(0), day(30))
    (payout,) = commissions.payouts(people["fin2"], run_id=run.run_id)
    with world.desk.store.write() as s:  # say another payout took its accruals meanwhile
        dbapi(s).execute("UPDATE commission_accruals SET payout_id = NULL")
    with pytest.raises(ValidationFailed, match="may already be paid"):
        commissions.decide_payout(people["fin2"], payout.id, True)
    with pytest.raises(ValidationFailed, match="in a payout run"):
        commissions.recalculate(world.desk, day(3))
