"""The ledger's read side for the desktop: trial balance totals and pages, statements
with running balances, the source record behind an entry, client money across all
clients and the FX rates in use, on a real workspace posted through app/ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.crm.search_index import dbapi
from app.errors import NotFound, PermissionDenied
from app.ledger import chart, views
from app.ledger.chart import Accounts
from app.ledger.journal import Draft, Line, post
from app.ledger.sources import post_new_deals, post_payments
from app.models.payments import PaymentRequest, PaymentStatusChange
from app.models.trading import Quote
from app.models.users import Role
from app.services import clients, ledger, users
from app.services.workspace import Desk

DAY = datetime(2026, 3, 2, tzinfo=UTC)
ANNA_USD = chart.trading("gw", 500001, "USD")
BORIS_EUR = chart.trading("gw", 500002, "EUR")


@dataclass(frozen=True)
class Books:
    anna: int
    boris: int


def _at(hour: int) -> datetime:
    return DAY.replace(hour=hour)


def _payment(desk: Desk, ext: str, client: int, account: int, direction: str, amount: int,
             currency: str, statuses: list[tuple[str, int]], *, fee: int = 0,
             booked: int | None = None, rate: str = "") -> None:
    with desk.store.write() as s:
        p = PaymentRequest(uid=str(uuid.uuid4()), external_id=ext, client_id=client,
                           account_id=account, direction=direction, method="card",
                           provider="Stripe", amount_minor=amount, currency=currency,
                           fee_minor=fee, status=statuses[-1][0], provider_ref=f"ch_{ext}",
                           account_amount_minor=booked, fx_rate=rate,
                           created_at=_at(statuses[0][1]), updated_at=_at(statuses[-1][1]))
        s.add(p)
        s.flush()
        for status, hour in statuses:
            s.add(PaymentStatusChange(payment_id=p.id, status=status, at=_at(hour),
                                      actor_id=desk.actor.id, note=f"{status} by provider"))


def books(desk: Desk) -> Books:
    """Two clients on the platform: Anna (USD account) deposits 1,000.00 USD, closes a
    deal with 25.00 profit and asks to withdraw 200.00 (held); Boris (EUR account)
    deposits 500.00 GBP booked as 585.00 EUR at 1.17. Deals and payments post through
    the ledger's own sources, as the sync engine posts them."""
    anna = clients.create_client(desk, clients.ClientData(first_name="Anna", last_name="Schmidt",
                                                          country="DE"))
    boris = clients.create_client(desk, clients.ClientData(first_name="Boris",
                                                           last_name="Petrov", country="BG"))
    with desk.store.write() as s:
        db = dbapi(s)
        for aid, login, client, currency in ((1, 500001, anna, "USD"), (2, 500002, boris, "EUR")):
            db.execute('INSERT INTO trading_accounts (id, platform, login, client_id, "group",'
                       " currency, leverage, status, opened_at, server_version) VALUES"
                       " (?, 'gw', ?, ?, 'real', ?, 100, 'active', '2026-01-01 00:00:00', 1)",
                       (aid, login, client, currency))
        db.execute("INSERT INTO deals (platform, ticket, account_id, symbol, action, entry,"
                   " volume, price, profit_minor, commission_minor, swap_minor, fee_minor,"
                   " time_ms, reason, comment, server_version) VALUES ('gw', 9001, 1, 'EURUSD',"
                   " 'sell', 'out', 150, 108512000, 2500, -70, -30, 0, ?, 'CLIENT', 'tp hit', 1)",
                   (int(_at(10).timestamp() * 1000),))
        s.add_all([Quote(symbol="EURUSD", bid=Decimal("1.085"), ask=Decimal("1.0852"),
                         time_ms=int(_at(12).timestamp() * 1000)),
                   Quote(symbol="USDJPY", bid=Decimal("149.50"), ask=Decimal("149.54"),
                         time_ms=int(_at(12).timestamp() * 1000))])
    _payment(desk, "DEP-1", anna, 1, "deposit", 100_000, "USD",
             [("requested", 8), ("completed", 9)], fee=300)
    _payment(desk, "DEP-2", boris, 2, "deposit", 50_000, "GBP",
             [("requested", 8), ("completed", 9)], booked=58_500, rate="1.17")
    _payment(desk, "WD-1", anna, 1, "withdrawal", 20_000, "USD",
             [("requested", 10), ("approved", 11), ("processing", 11)])
    with desk.store.write() as s:
        db = dbapi(s)
        accounts = Accounts(db)
        assert post_new_deals(db, accounts) == 1
        assert post_payments(db, accounts, ["DEP-1", "DEP-2", "WD-1"]) == 3
    return Books(anna, boris)


def entry_of(desk: Desk, kind: str, ref: str) -> int:
    with desk.store.read() as s:
        (entry,) = dbapi(s).execute("SELECT id FROM journal_entries WHERE source_kind = ?"
                                    " AND source_ref = ?", (kind, ref)).fetchone()
    return int(entry)


def test_trial_balance_totals_match_per_currency_and_pages_filter(desk: Desk) -> None:
    books(desk)
    totals = {t.currency: t for t in ledger.trial_balance_totals(desk)}
    assert set(totals) == {"USD", "EUR", "GBP"}
    every = ledger.trial_balance(desk)
    for cur, (debit, credit) in views.totals(every).items():
        assert (totals[cur].debit, totals[cur].credit) == (debit, credit)
        assert totals[cur].difference == 0
    # the USD side: 1,000.00 in from Stripe less its 3.00 fee, plus the deal's P&L
    assert totals["USD"].debit == 99_700 + 300 + 2_470
    page = ledger.trial_balance_page(desk, "USD", sort=3, descending=True, limit=2)
    assert page.total == totals["USD"].accounts == 6
    assert [b.code for b in page.rows] == ["clearing:Stripe:USD", "trading_pnl:USD"]
    found = ledger.trial_balance_page(desk, "USD", search="client money held")
    assert [(b.code, b.credit) for b in found.rows] == [
        (chart.client_money(1, "USD"), 20_000)]


def test_statement_runs_the_balance_across_pages(desk: Desk) -> None:
    books(desk)
    whole = ledger.statement_page(desk, ANNA_USD)
    assert whole.total == 3
    assert [(r.source_kind, r.amount, r.running) for r in whole.rows] == [
        ("payment", -100_000, -100_000), ("deal", -2_400, -102_400),
        ("payment", 20_000, -82_400)]
    second = ledger.statement_page(desk, ANNA_USD, offset=1, limit=1)
    assert second.total == 3 and [r.running for r in second.rows] == [-102_400]
    assert ledger.statement_page(desk, ANNA_USD, offset=5).rows == []
    assert ledger.find_accounts(desk, ANNA_USD)[0].code == ANNA_USD
    assert {b.code for b in ledger.find_accounts(desk, "clearing")} == {
        "clearing:Stripe:USD", "clearing:Stripe:GBP"}


def test_drill_down_finds_the_deal_the_payment_and_the_reversed_entry(desk: Desk) -> None:
    books(desk)
    deal = ledger.source_record(desk, entry_of(desk, "deal", "gw:9001"))
    assert deal.deal is not None and deal.payment is None
    assert (deal.deal.ticket, deal.deal.symbol, deal.deal.price, deal.deal.client) == (
        9001, "EURUSD", Decimal("1.08512"), "Schmidt, Anna")
    assert deal.deal.time == _at(10) and deal.deal.profit == 2_500
    assert sum(x.amount for x in deal.entry.lines) == 0 and len(deal.entry.lines) == 3

    held = ledger.source_record(desk, entry_of(desk, "payment", "WD-1:held"))
    assert held.payment is not None
    assert (held.payment.event, held.payment.status, held.payment.amount) == (
        "held", "processing", 20_000)
    assert [c.status for c in held.payment.history] == ["requested", "approved", "processing"]
    assert held.payment.history[1].by == "Ada Admin"

    fx = ledger.source_record(desk, entry_of(desk, "payment", "DEP-2:completed"))
    assert fx.payment is not None
    assert (fx.payment.fx_rate, fx.payment.account_amount, fx.payment.account_currency) == (
        "1.17", 58_500, "EUR")

    original = entry_of(desk, "payment", "DEP-1:completed")
    reversal = ledger.reverse_entry(desk, original, "Booked to the wrong account")
    back = ledger.source_record(desk, reversal)
    assert back.reversed_entry is not None and back.reversed_entry.id == original
    assert back.entry.reason == "Booked to the wrong account"
    assert back.entry.created_by == "Ada Admin"
    assert ledger.source_record(desk, original).entry.reversed_by == reversal
    rows = ledger.statement_page(desk, ANNA_USD).rows
    assert [(r.reversed_by, r.reverses) for r in rows if r.entry_id in (original, reversal)] \
        == [(reversal, None), (None, original)]
    with pytest.raises(NotFound):
        ledger.source_record(desk, 9999)


def test_a_source_not_mirrored_comes_back_empty_beside_its_entry(desk: Desk) -> None:
    with desk.store.write() as s:
        db = dbapi(s)
        post(db, Accounts(db), Draft("deal", "gw:404", "Deal 404 (gone)", (
            Line(ANNA_USD, -100), Line("trading_pnl:USD", 100)), DAY))
    record = ledger.source_record(desk, entry_of(desk, "deal", "gw:404"))
    assert record.deal is None and record.entry.memo == "Deal 404 (gone)"


def test_client_money_summary_across_clients(desk: Desk) -> None:
    b = books(desk)
    page = ledger.client_money_summary(desk)
    assert page.total == 2
    assert [(m.client, m.currency, m.trading, m.held, m.total) for m in page.rows] == [
        ("Petrov, Boris", "EUR", 58_500, 0, 58_500),
        ("Schmidt, Anna", "USD", 82_400, 20_000, 102_400)]
    by_total = ledger.client_money_summary(desk, sort=4, descending=True, limit=1)
    assert by_total.total == 2 and by_total.rows[0].client_id == b.anna
    assert [m.client_id for m in ledger.client_money_summary(desk, search="schmidt").rows] \
        == [b.anna]
    assert ledger.client_money_summary(desk, search="nobody").rows == []
    # the per-client figure the client page shows agrees with the summary row
    assert ledger.client_money(desk, b.anna)["USD"] == {"trading": 82_400, "credit": 0,
                                                        "client_money": 20_000}
    assert [a.code for a in ledger.client_accounts(desk, b.anna, "USD")] == [
        chart.client_money(b.anna, "USD"), ANNA_USD]


def test_fx_rates_in_use(desk: Desk) -> None:
    books(desk)
    fx = ledger.fx_rates_in_use(desk)
    assert fx.applied.total == 1
    (rate,) = fx.applied.rows
    assert (rate.day, rate.pair, rate.rate, rate.payments, rate.amount, rate.booked) == (
        "2026-03-02", "GBP/EUR", "1.17", 1, 50_000, 58_500)
    assert [(q.currency, q.symbol, q.mid) for q in fx.quotes] == [
        ("EUR", "EURUSD", Decimal("1.0851")), ("JPY", "USDJPY", Decimal("149.52"))]


def test_reading_needs_the_ledger_permission_and_a_clerk_cannot_reverse(desk: Desk) -> None:
    books(desk)
    entry = entry_of(desk, "deal", "gw:9001")
    clerk = Desk(desk.store, users.add_user(desk, "cleo", "Cleo Clerk", Role.CLERK))
    for read in (lambda: ledger.client_money_summary(clerk),
                 lambda: ledger.source_record(clerk, entry),
                 lambda: ledger.statement_page(clerk, ANNA_USD),
                 lambda: ledger.fx_rates_in_use(clerk),
                 lambda: ledger.trial_balance_totals(clerk)):
        with pytest.raises(PermissionDenied):
            read()
    with pytest.raises(PermissionDenied):
        ledger.reverse_entry(clerk, entry, "clerk tries")
    compliance = Desk(desk.store, users.add_user(desk, "olga", "Olga C", Role.COMPLIANCE))
    assert ledger.client_money_summary(compliance).total == 2  # reads, may not reverse
    with pytest.raises(PermissionDenied):
        ledger.reverse_entry(compliance, entry, "not mine to do")
    assert ledger.source_record(desk, entry).entry.reversed_by is None
