"""The ledger's rules: balanced entries only, once per source, never edited,
reversed with a reason; balances are sums of postings the moment they land; the
journal exports to Beancount that bean-check accepts, and to CSV."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.crm.search_index import dbapi
from app.errors import PermissionDenied, ValidationFailed
from app.ledger import chart, views
from app.ledger.chart import Accounts
from app.ledger.journal import Draft, Line, Unbalanced, check, post, post_many
from app.ledger.sources import Payment, deal_lines, payment_drafts
from app.models.trading import DealAction
from app.models.users import Role
from app.services import clients, ledger, users
from app.services.workspace import Desk

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TRADING = chart.trading("gw", 500001, "USD")
CLEARING = chart.clearing("Stripe", "USD")


def write(desk: Desk, *drafts: Draft) -> list[int | None]:
    with desk.store.write() as s:
        db = dbapi(s)
        accounts = Accounts(db)
        return [post(db, accounts, d) for d in drafts]


def deposit(ref: str, amount: int) -> Draft:
    return Draft("payment", ref, f"Deposit {ref}", (Line(CLEARING, amount),
                                                    Line(TRADING, -amount)), AT)


def test_an_unbalanced_entry_is_refused_and_nothing_is_written(desk: Desk) -> None:
    bad = Draft("manual", "1", "Typo", (Line(CLEARING, 10_000), Line(TRADING, -9_999)), AT)
    with pytest.raises(Unbalanced, match=r"0\.01 USD more debit"):
        write(desk, bad)
    mixed = Draft("manual", "2", "Two currencies", (
        Line(CLEARING, 100), Line(chart.trading("gw", 500001, "EUR"), -100)), AT)
    with pytest.raises(Unbalanced, match=r"EUR.*USD"):
        write(desk, mixed)
    with pytest.raises(ValueError, match="not a ledger account"):
        write(desk, Draft("manual", "3", "x", (Line("cash:USD", 5), Line(TRADING, -5)), AT))
    with desk.store.read() as s:
        db = dbapi(s)
        assert db.execute("SELECT count(*) FROM journal_entries").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM postings").fetchone() == (0,)


def test_the_same_source_posts_once(desk: Desk) -> None:
    first, again = write(desk, deposit("PAY1:completed", 50_000),
                         deposit("PAY1:completed", 50_000))
    assert first is not None and again is None
    with desk.store.write() as s:
        db = dbapi(s)
        assert post_many(db, Accounts(db), [deposit("PAY1:completed", 50_000),
                                            deposit("PAY2:completed", 700)]) == 1
    with desk.store.read() as s:
        assert views.balance(dbapi(s), TRADING) == -50_700


def test_reversal_needs_a_reason_and_happens_once(desk: Desk) -> None:
    (entry,) = write(desk, deposit("PAY9:completed", 12_345))
    assert entry is not None
    with pytest.raises(ValidationFailed, match="Say why"):
        ledger.reverse_entry(desk, entry, "  ")
    reversal = ledger.reverse_entry(desk, entry, "Posted to the wrong account")
    with pytest.raises(ValidationFailed, match="already been reversed"):
        ledger.reverse_entry(desk, entry, "again")
    with pytest.raises(ValidationFailed, match="itself a reversal"):
        ledger.reverse_entry(desk, reversal, "undo the undo")
    lines = ledger.statement(desk, TRADING)
    assert [(x.amount, x.running) for x in lines] == [(-12_345, -12_345), (12_345, 0)]
    assert lines[1].source_kind == "reversal" and lines[1].source_ref == str(entry)
    with desk.store.read() as s:
        db = dbapi(s)
        assert db.execute("SELECT reason, created_by FROM journal_entries WHERE id = ?",
                          (reversal,)).fetchone() == ("Posted to the wrong account",
                                                      desk.actor.id)
        # the original is untouched: still its own postings
        assert db.execute("SELECT sum(amount_minor) FROM postings WHERE entry_id = ?",
                          (entry,)).fetchone() == (0,)


def test_a_clerk_cannot_reverse_or_read_the_ledger(desk: Desk) -> None:
    (entry,) = write(desk, deposit("PAY3:completed", 100))
    assert entry is not None
    clerk = Desk(desk.store, users.add_user(desk, "cleo", "Cleo Clerk", Role.CLERK))
    with pytest.raises(PermissionDenied):
        ledger.reverse_entry(clerk, entry, "no")
    with pytest.raises(PermissionDenied):
        ledger.trial_balance(clerk)
    finance = Desk(desk.store, users.add_user(desk, "fin", "Fin Ance", Role.FINANCE))
    assert ledger.trial_balance(finance)


def test_deal_and_payment_postings_move_the_client_balance_as_the_platform_does() -> None:
    close = deal_lines("gw", 1, "USD", "sell", 2_500, -70, -30, 0, "CLIENT")
    assert sum(amount for _, amount in close) == 0
    assert [amount for code, amount in close if code == chart.trading("gw", 1, "USD")] == [
        -2_400]
    assert deal_lines("gw", 1, "USD", "balance", 10_000, 0, 0, 0, "DEPOSIT") == ()
    bonus = deal_lines("gw", 1, "USD", "bonus", 5_000, 0, 0, 0, "")
    assert {code for code, _ in bonus} == {chart.trading("gw", 1, "USD"), "bonus_credit:USD"}
    back = payment_drafts(Payment("P1", "deposit", "charged_back", "gw", 1, 7, "Stripe",
                                  10_000, 300, "USD", AT))
    assert [d.source_ref for d in back] == ["P1:completed", "P1:charged_back"]
    net = sum(amount for d in back for code, amount in d.lines
              if code == chart.trading("gw", 1, "USD"))
    assert net == 0
    assert payment_drafts(Payment("P2", "deposit", "failed", "gw", 1, 7, "Stripe", 10_000, 0,
                                  "USD", AT)) == []


def test_beancount_export_passes_bean_check_and_csv_reads_back(desk: Desk,
                                                               tmp_path: Path) -> None:
    write(desk, deposit("PAY5:completed", 100_000),
          Draft("deal", "gw:77", 'Deal 77 (sell "EURUSD") on 500001',
                deal_lines("gw", 500001, "USD", "sell", -4_321, -70, 0, 0, "CLIENT"), AT),
          Draft("payment", "PAY6:completed", "Deposit in EUR", (
              Line(chart.clearing("Checkout.com", "EUR"), 999),
              Line(chart.trading("gw", 500002, "EUR"), -999)), AT))
    (entry,) = write(desk, deposit("PAY7:completed", 5))
    assert entry is not None
    ledger.reverse_entry(desk, entry, 'Client said "duplicate"')
    book = tmp_path / "journal.beancount"
    assert ledger.export_journal(desk, book, "beancount") == 5
    check = subprocess.run([str(Path(sys.executable).parent / "bean-check"), str(book)],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    text = book.read_text(encoding="utf-8")
    assert "Liabilities:Trading:Gw-500001:USD  -1000.00 USD" in text
    assert "Assets:Clearing:Checkout-com:EUR  9.99 EUR" in text
    table = tmp_path / "journal.csv"
    assert ledger.export_journal(desk, table, "csv") == 11  # postings: 2 + 3 + 2 + 2 + 2
    rows = list(csv.DictReader(table.read_text(encoding="utf-8").splitlines()))
    by_currency: dict[str, int] = {}
    for r in rows:
        cents = int(r["debit"].replace(".", "") or 0) - int(r["credit"].replace(".", "") or 0)
        by_currency[r["currency"]] = by_currency.get(r["currency"], 0) + cents
    assert by_currency == {"USD": 0, "EUR": 0}


OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("deposit"), st.integers(0, 3), st.integers(1, 10**9),
              st.integers(0, 10**6)),
    st.tuples(st.just("withdrawal"), st.integers(0, 3), st.integers(1, 10**9),
              st.integers(0, 10**6)),
    st.tuples(st.just("withdrawal_failed"), st.integers(0, 3), st.integers(1, 10**9),
              st.just(0)),
    st.tuples(st.just("fx_deposit"), st.integers(0, 3), st.integers(1, 10**9),
              st.integers(1, 10**9)),
    st.tuples(st.just("deal"), st.integers(0, 3), st.integers(-10**8, 10**8),
              st.integers(-10**5, 0)),
    st.tuples(st.just("reverse"), st.integers(0, 50), st.just(0), st.just(0)),
    st.tuples(st.just("payout"), st.integers(0, 3), st.integers(1, 10**7), st.just(0)),
), max_size=40)


@settings(max_examples=40, deadline=None)
@given(ops=OPERATIONS, replay=st.booleans())
def test_any_sequence_balances_per_currency_and_balances_are_sums(
        tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int, int, int]],
        replay: bool) -> None:
    from app.services.workspace import init_workspace
    from tests.conftest import PASSWORD

    desk = init_workspace(tmp_path_factory.mktemp("l") / "ws", password=PASSWORD,
                          broker_name="L", base_currency="USD", admin_username="admin",
                          admin_full_name="A")
    try:
        expected: dict[str, int] = {}
        posted: list[tuple[int, dict[str, int]]] = []
        currencies = ("USD", "EUR", "JPY", "BTC")
        people = [clients.create_client(desk, clients.ClientData(last_name=f"C{i}",
                                                                 country="GB"))
                  for i in range(4)]
        for n, (kind, who, amount, extra) in enumerate(ops):
            cur = currencies[who % len(currencies)]
            trading = chart.trading("gw", 500000 + who, cur)
            if kind in ("deposit", "withdrawal"):
                drafts = payment_drafts(Payment(f"P{n}", kind, "completed", "gw", 500000 + who,
                                                people[who], "Stripe", amount, extra, cur,
                                                AT))
            elif kind == "withdrawal_failed":  # held when approved, returned on failure
                drafts = payment_drafts(Payment(f"P{n}", "withdrawal", "failed", "gw",
                                                500000 + who, people[who], "SEPA", amount, 0,
                                                cur, AT, was_held=True))
            elif kind == "fx_deposit":  # paid in GBP, booked in the account's currency
                drafts = payment_drafts(Payment(f"P{n}", "deposit", "completed", "gw",
                                                500000 + who, people[who], "SEPA", amount, 0,
                                                "GBP", AT, extra, cur))
            elif kind == "deal":
                drafts = [Draft("deal", f"gw:{n}", "deal", deal_lines(
                    "gw", 500000 + who, cur, "sell", amount, extra, 0, 0, "CLIENT"), AT)]
            elif kind == "payout":
                drafts = [Draft("payout", f"IB{n}", "payout", (
                    Line(chart.ib_payable("P1", cur), amount), Line(trading, -amount)), AT)]
            else:
                if posted:
                    entry, effect = posted[who % len(posted)]
                    try:
                        ledger.reverse_entry(desk, entry, "property test")
                    except ValidationFailed:
                        continue
                    for code, v in effect.items():
                        expected[code] = expected.get(code, 0) - v
                continue
            for d in drafts:
                for _ in range(2 if replay else 1):  # a replayed source posts once
                    (entry,) = write(desk, d)
                    if entry is not None:
                        effect: dict[str, int] = {}
                        for code, value in d.lines:
                            effect[code] = effect.get(code, 0) + value
                            expected[code] = expected.get(code, 0) + value
                        posted.append((entry, effect))
        with desk.store.read() as s:
            db = dbapi(s)
            rows = views.trial_balance(db)
            for d, c in views.totals(rows).values():
                assert d == c
            got = {b.code: b.amount for b in rows if b.amount}
            assert got == {k: v for k, v in expected.items() if v}
            per_entry = db.execute("SELECT entry_id, currency, sum(amount_minor) FROM postings"
                                   " GROUP BY entry_id, currency HAVING sum(amount_minor) != 0"
                                   ).fetchall()
            assert per_entry == []
    finally:
        desk.close()


def test_a_deal_on_an_account_not_known_yet_waits_and_is_never_skipped(desk: Desk) -> None:
    from app.ledger.sources import post_new_deals

    with desk.store.write() as s:
        db = dbapi(s)
        for aid, login, currency in ((1, 500001, "USD"), (2, 500002, "")):  # 2: placeholder
            db.execute('INSERT INTO trading_accounts (id, platform, login, "group", currency,'
                       " leverage, status, opened_at, server_version) VALUES (?, 'gw', ?, 'g',"
                       " ?, 100, 'active', '2026-01-01 00:00:00', 0)", (aid, login, currency))
        for did, account in ((1, 1), (2, 2), (3, 1)):
            db.execute("INSERT INTO deals (id, platform, ticket, account_id, symbol, action,"
                       " entry, volume, price, profit_minor, commission_minor, swap_minor,"
                       " fee_minor, time_ms, reason, comment, server_version) VALUES"
                       " (?, 'gw', ?, ?, 'EURUSD', 'sell', 'out', 10, 1.1, 1000, -70, 0, 0,"
                       " 1700000000000, 'CLIENT', '', 1)", (did, 100 + did, account))
        assert post_new_deals(db, Accounts(db)) == 1  # deal 1; 2 and 3 wait for account 2
        assert post_new_deals(db, Accounts(db)) is None
        db.execute("UPDATE trading_accounts SET currency = 'EUR' WHERE id = 2")
        assert post_new_deals(db, Accounts(db)) == 2
        refs = [r for (r,) in db.execute("SELECT source_ref FROM journal_entries ORDER BY id")]
    assert refs == ["gw:101", "gw:102", "gw:103"]
    with desk.store.read() as s:
        assert views.balance(dbapi(s), chart.trading("gw", 500002, "EUR")) == -930


@pytest.fixture(scope="module")
def mirror_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    from app.services.workspace import init_workspace
    from tests.conftest import PASSWORD

    d = init_workspace(tmp_path_factory.mktemp("mirror") / "ws", password=PASSWORD,
                       broker_name="M", base_currency="USD", admin_username="admin",
                       admin_full_name="A")
    with d.store.write() as s:
        dbapi(s).executemany(
            'INSERT INTO trading_accounts (id, platform, login, "group", currency, leverage,'
            " status, opened_at, server_version) VALUES (?, ?, ?, 'g', ?, 100, 'active',"
            " '2026-01-01 00:00:00', 0)",
            [(1, "gw", 500001, "USD"), (2, "gw", 500002, "JPY"), (3, "mt5", 500001, "EUR")])
    yield d
    d.close()


AMOUNT = st.integers(-10**15, 10**15) | st.sampled_from([0, 0, 1, -1])
MIRRORED_DEAL = st.tuples(
    st.integers(1, 3), st.sampled_from([a.value for a in DealAction]),
    st.sampled_from(["CLIENT", "DEPOSIT", "withdrawal", "REFUND", "CHARGEBACK", "BONUS", ""]),
    AMOUNT, AMOUNT, AMOUNT, AMOUNT, st.sampled_from(["EURUSD", ""]),
    st.integers(-86_400_000, 4_102_444_800_000))


@settings(max_examples=60, deadline=None)
@given(deals=st.lists(MIRRORED_DEAL, max_size=25), page=st.integers(1, 30))
def test_deals_posted_from_the_mirror_are_exactly_what_deal_lines_says(
        mirror_desk: Desk, deals: list[tuple[Any, ...]], page: int) -> None:
    """Pages of deals post in SQL; `deal_lines` is the rule they must follow, line by
    line, with the memo and the exact millisecond, in deal order, each once."""
    from app.ledger.sources import DEALS_POSTED, post_new_deals

    logins = {1: ("gw", 500001, "USD"), 2: ("gw", 500002, "JPY"), 3: ("mt5", 500001, "EUR")}
    with mirror_desk.store.write() as s:
        db = dbapi(s)
        (first,) = db.execute("SELECT coalesce(max(id), 0) + 1 FROM deals").fetchone()
        db.executemany(
            "INSERT INTO deals (id, platform, ticket, account_id, symbol, action, entry,"
            " volume, price, profit_minor, commission_minor, swap_minor, fee_minor, time_ms,"
            " reason, comment, server_version) VALUES (?, ?, ?, ?, ?, ?, 'none', 0, 0, ?, ?, ?,"
            " ?, ?, ?, '', 1)",
            [(first + n, logins[acc][0], 7_000_000 + first + n, acc, symbol, action, profit,
              commission, swap, fee, ms, reason)
             for n, (acc, action, reason, profit, commission, swap, fee, symbol, ms)
             in enumerate(deals)])
        while post_new_deals(db, Accounts(db), page) is not None:
            pass
        # Replaying from the start posts nothing again.
        db.execute("UPDATE settings SET value = '0' WHERE key = ?", (DEALS_POSTED,))
        while post_new_deals(db, Accounts(db), 1000) is not None:
            pass
        expected = []
        for n, (acc, action, reason, profit, commission, swap, fee, symbol, ms) in enumerate(
                deals):
            platform, login, currency = logins[acc]
            lines = list(check(deal_lines(platform, login, currency, action, profit,
                                          commission, swap, fee, reason)))
            if lines:
                what = f"{action} {symbol}" if symbol else action
                at = datetime(1970, 1, 1) + timedelta(milliseconds=ms)
                expected.append((f"{platform}:{7_000_000 + first + n}",
                                 f"Deal {7_000_000 + first + n} ({what}) on {login}",
                                 f"{at:%Y-%m-%d %H:%M:%S.%f}", lines))
        got = []
        for entry, ref, memo, at in db.execute(
                "SELECT id, source_ref, memo, posted_at FROM journal_entries WHERE source_kind"
                " = 'deal' AND CAST(substr(source_ref, instr(source_ref, ':') + 1) AS INTEGER)"
                " >= ? ORDER BY id", (7_000_000 + first,)).fetchall():
            lines = [tuple(r) for r in db.execute(
                "SELECT a.code, p.amount_minor FROM postings p JOIN ledger_accounts a"
                " ON a.id = p.ledger_account_id WHERE p.entry_id = ? ORDER BY p.id", (entry,))]
            got.append((ref, memo, at, lines))
    assert got == expected


def test_a_deal_too_large_to_post_is_refused_and_its_page_waits(desk: Desk) -> None:
    from app.ledger.sources import DEALS_POSTED, post_new_deals

    with desk.store.write() as s:
        db = dbapi(s)
        db.execute('INSERT INTO trading_accounts (id, platform, login, "group", currency,'
                   " leverage, status, opened_at, server_version) VALUES (1, 'gw', 500001,"
                   " 'g', 'USD', 100, 'active', '2026-01-01 00:00:00', 0)")
        for did, profit in ((1, 1000), (2, 2**62), (3, 2**62)):
            db.execute("INSERT INTO deals (id, platform, ticket, account_id, symbol, action,"
                       " entry, volume, price, profit_minor, commission_minor, swap_minor,"
                       " fee_minor, time_ms, reason, comment, server_version) VALUES"
                       " (?, 'gw', ?, 1, 'EURUSD', 'sell', 'out', 10, 1.1, ?, 0, ?, 0,"
                       " 1700000000000, 'CLIENT', '', 1)", (did, 100 + did, profit, profit))
    with (pytest.raises(ValidationFailed, match="Deal #2 has amounts too large"),
          desk.store.write() as s):
        db = dbapi(s)
        post_new_deals(db, Accounts(db))
    with desk.store.read() as s:
        db = dbapi(s)
        assert db.execute("SELECT count(*) FROM journal_entries").fetchone() == (0,)
        assert db.execute("SELECT value FROM settings WHERE key = ?",
                          (DEALS_POSTED,)).fetchone() is None


NEAR_BOUND = st.integers(-2**62, 2**62) | st.builds(
    lambda sign, off: sign * (2**62 - off), st.sampled_from([1, -1]), st.integers(-4096, 4096))


@settings(max_examples=300, deadline=None)
@given(profit=NEAR_BOUND, commission=NEAR_BOUND, swap=NEAR_BOUND, fee=NEAR_BOUND,
       action=st.sampled_from(["sell", "balance"]))
def test_amounts_near_64_bits_post_exactly_or_are_refused_never_unbalanced(
        mirror_desk: Desk, profit: int, commission: int, swap: int, fee: int,
        action: str) -> None:
    """SQLite turns an integer sum past 64 bits into a float; a deal whose lines all fit
    posts exactly, one whose lines do not is refused, whatever the order of the sums."""
    from app.ledger.sources import post_new_deals

    with mirror_desk.store.write() as s:
        db = dbapi(s)
        db.execute("SAVEPOINT near_bound")
        try:
            (deal,) = db.execute("SELECT coalesce(max(id), 0) + 1 FROM deals").fetchone()
            while post_new_deals(db, Accounts(db)) is not None:  # earlier examples' deals
                pass
            db.execute("INSERT INTO deals (id, platform, ticket, account_id, symbol, action,"
                       " entry, volume, price, profit_minor, commission_minor, swap_minor,"
                       " fee_minor, time_ms, reason, comment, server_version) VALUES (?, 'gw',"
                       " ?, 1, '', ?, 'out', 0, 0, ?, ?, ?, ?, 0, 'CLIENT', '', 1)",
                       (deal, 8_000_000 + deal, action, profit, commission, swap, fee))
            lines = list(check(deal_lines("gw", 500001, "USD", action, profit, commission,
                                          swap, fee, "CLIENT")))
            fits = all(-2**63 <= amount < 2**63 for _, amount in lines)
            try:
                post_new_deals(db, Accounts(db))
                refused = False
            except ValidationFailed:
                refused = True
            got = [tuple(r) for r in db.execute(
                "SELECT a.code, p.amount_minor FROM postings p JOIN journal_entries j"
                " ON j.id = p.entry_id JOIN ledger_accounts a ON a.id = p.ledger_account_id"
                " WHERE j.source_ref = ? ORDER BY p.id", (f"gw:{8_000_000 + deal}",))]
        finally:
            db.execute("ROLLBACK TO near_bound")
            db.execute("RELEASE near_bound")
    assert refused is not fits
    assert got == (lines if fits else [])
