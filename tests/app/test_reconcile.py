"""The matching engine on a small book written straight into a real workspace: a
clean book has no break; each kind of break is found with the records of every side
and the difference, and only what items leave unexplained is a balance drift;
exceptions keep their identity across runs; working them needs a permission and
resolving them a reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.crm.search_index import dbapi
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.ledger.chart import Accounts
from app.ledger.sources import post_new_deals, post_payments
from app.models.reconciliation import BreakKind, BreakStatus
from app.models.users import Role
from app.services import clients, reconciliation, users
from app.services.workspace import Desk

NOV_1 = 1_793_491_200_000  # 2026-11-01 00:00 UTC, in platform milliseconds


def sql(desk: Desk, statement: str, *params: Any) -> list[Any]:
    with desk.store.write() as s:
        return list(dbapi(s).execute(statement, params).fetchall())


def deal(desk: Desk, did: int, account: int, action: str, profit: int, reason: str = "",
         comment: str = "", commission: int = 0) -> None:
    sql(desk, "INSERT INTO deals (id, platform, ticket, account_id, symbol, action, entry,"
        " volume, price, profit_minor, commission_minor, swap_minor, fee_minor, time_ms,"
        " reason, comment, server_version) VALUES (?, 'gw', ?, ?, '', ?, 'none', 0, 0, ?, ?,"
        " 0, 0, ?, ?, ?, 1)", did, 1000 + did, account, action, profit, commission,
        NOV_1 + did * 60_000, reason, comment)


def payment(desk: Desk, ext: str, client: int, account: int, direction: str, status: str,
            amount: int, provider: str, ticket: int | None, steps: list[str]) -> None:
    sql(desk, "INSERT INTO payment_requests (uid, external_id, client_id, account_id,"
        " direction, method, provider, amount_minor, currency, fee_minor, status,"
        " provider_ref, payer_name, payer_account, version, server_version, created_at,"
        " updated_at, requested_by_name, bank_code, fx_rate, ticket) VALUES (?, ?, ?, ?, ?,"
        " 'card', ?, ?, 'USD', 0, ?, ?, '', '', 1, 1, '2026-11-01 09:00:00.000000',"
        " '2026-11-01 10:00:00.000000', '', '', '', ?)", ext, ext, client, account,
        direction, provider, amount, status, f"{provider[:3].upper()}-{ext}", ticket)
    (pid,), = sql(desk, "SELECT id FROM payment_requests WHERE external_id = ?", ext)
    for n, step in enumerate(steps):
        sql(desk, "INSERT INTO payment_status_changes (payment_id, status, at, note)"
            f" VALUES (?, ?, '2026-11-01 0{n}:30:00.000000', '')", pid, step)


def balance(desk: Desk, account: int, minor: int) -> None:
    sql(desk, "INSERT INTO account_states (account_id, balance_minor, credit_minor,"
        " equity_minor, margin_minor, free_margin_minor, updated_at, server_version)"
        " VALUES (?, ?, 0, ?, 0, ?, '2026-11-01 12:00:00.000000', 1) ON CONFLICT"
        " (account_id) DO UPDATE SET balance_minor = excluded.balance_minor",
        account, minor, minor, minor)


def post(desk: Desk, *payments: str) -> int | None:
    with desk.store.write() as s:
        db = dbapi(s)
        made = post_new_deals(db, Accounts(db))
        post_payments(db, Accounts(db), payments)
        return made


@pytest.fixture
def book(desk: Desk) -> Desk:
    """Two trading accounts, funded by two completed deposits, one trade, and a
    withdrawal still waiting for approval; the ledger posted as sync posts it."""
    client = clients.create_client(desk, clients.ClientData(last_name="Lee", country="GB"))
    for aid in (1, 2):
        sql(desk, 'INSERT INTO trading_accounts (id, platform, login, client_id, "group",'
            " currency, leverage, status, opened_at, server_version) VALUES (?, 'gw', ?, ?,"
            " 'real', 'USD', 100, 'active', '2026-10-01 00:00:00', 1)", aid, 500_000 + aid,
            client)
    deal(desk, 1, 1, "balance", 100_000, "DEPOSIT", "Deposit PAY1")
    deal(desk, 2, 1, "sell", 2_500, "CLIENT", commission=-70)
    deal(desk, 3, 2, "balance", 50_000, "DEPOSIT", "Deposit PAY2")
    done = ["pending", "processing", "completed"]
    payment(desk, "PAY1", client, 1, "deposit", "completed", 100_000, "Stripe", 1001, done)
    payment(desk, "PAY2", client, 2, "deposit", "completed", 50_000, "Skrill", 1003, done)
    payment(desk, "PAY3", client, 1, "withdrawal", "requested", 10_000, "Stripe", None,
            ["requested"])
    balance(desk, 1, 102_430)
    balance(desk, 2, 50_000)
    post(desk, "PAY1", "PAY2", "PAY3")
    return desk


def breaks(desk: Desk) -> dict[str, reconciliation.BreakRecord]:
    return {e.summary: e for e in reconciliation.list_exceptions(desk)}


def only(desk: Desk) -> reconciliation.BreakRecord:
    (e,) = reconciliation.list_exceptions(desk)
    return e


def csv(tmp_path: Path, name: str, *rows: str) -> Path:
    path = tmp_path / name
    path.write_text("provider_ref,value_date,type,status,amount,fee,currency\n"
                    + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_clean_book_has_no_break_even_against_statements(book: Desk, tmp_path: Path) -> None:
    r = reconciliation.run(book)
    assert (r.accounts, r.payments, r.found, r.new) == (2, 3, 0, 0)
    reconciliation.import_statement(book, "Stripe", csv(
        tmp_path, "stripe.csv", "STR-PAY1,2026-11-01,deposit,completed,1000.00,0,USD"))
    reconciliation.import_statement(book, "Skrill", csv(
        tmp_path, "skrill.csv", "SKR-PAY2,2026-11-01,deposit,completed,500.00,0.00,USD"))
    r = reconciliation.run(book)
    assert (r.lines, r.found) == (2, 0)
    assert reconciliation.list_exceptions(book, set(BreakStatus)) == []


def test_item_breaks_carry_every_side_and_leave_no_drift(book: Desk, tmp_path: Path) -> None:
    deal(book, 4, 2, "balance", 777, "DEPOSIT", "Manual top-up")        # no payment
    deal(book, 5, 1, "balance", -10_000, "WITHDRAWAL", "Withdrawal PAY3")  # not approved
    balance(book, 2, 50_777)
    balance(book, 1, 92_430)
    post(book)
    reconciliation.import_statement(book, "Stripe", csv(
        tmp_path, "stripe.csv", "STR-ZZZ,2026-11-01,deposit,completed,9.99,0,USD"))
    reconciliation.import_statement(book, "Skrill", csv(
        tmp_path, "skrill.csv", "SKR-PAY2,2026-11-01,deposit,completed,500.01,0.00,USD"))
    reconciliation.run(book)
    found = {e.kind: e for e in reconciliation.list_exceptions(book)}
    assert set(found) == {BreakKind.ORPHAN_PLATFORM, BreakKind.ORPHAN_PROVIDER,
                          BreakKind.MISSING_AT_PROVIDER, BreakKind.AMOUNT_MISMATCH}
    kinds = [e.kind for e in reconciliation.list_exceptions(book)]
    assert kinds.count(BreakKind.ORPHAN_PLATFORM) == 2  # the top-up and the early debit
    orphans = {e.platform_side["deals"][0]["ticket"]: e  # type: ignore[index]
               for e in reconciliation.list_exceptions(book, kind=BreakKind.ORPHAN_PLATFORM)}
    assert orphans[1004].difference_minor == 777 and "no payment explains it" in \
        orphans[1004].summary
    assert orphans[1005].provider_side["payment"]["payment"] == "PAY3"  # type: ignore[index]
    assert "which is requested" in orphans[1005].summary
    line = found[BreakKind.ORPHAN_PROVIDER]
    assert line.provider_side["statement_lines"][0]["provider_ref"] == "STR-ZZZ"  # type: ignore[index]
    assert line.platform_side is None and line.difference_minor == 999
    # PAY1 completed on 1 November; Stripe's statement covers that day without it
    missing = found[BreakKind.MISSING_AT_PROVIDER]
    assert "PAY1" in missing.summary and missing.provider_side["statement_lines"] == []  # type: ignore[index]
    mismatch = found[BreakKind.AMOUNT_MISMATCH]
    assert mismatch.difference_minor == 1 and "500.01 USD" in mismatch.summary
    assert mismatch.provider_side["payment"]["amount_minor"] == 50_000  # type: ignore[index]


def test_a_deal_for_the_wrong_amount_and_a_missing_credit(book: Desk) -> None:
    client = sql(book, "SELECT client_id FROM trading_accounts WHERE id = 1")[0][0]
    deal(book, 4, 2, "balance", 29_999, "DEPOSIT", "Deposit PAY4")
    payment(book, "PAY4", client, 2, "deposit", "completed", 30_000, "Stripe", 1004,
            ["completed"])
    payment(book, "PAY5", client, 1, "deposit", "completed", 4_000, "Stripe", None,
            ["completed"])
    balance(book, 2, 79_999)
    post(book, "PAY4", "PAY5")
    reconciliation.run(book)
    found = {e.kind: e for e in reconciliation.list_exceptions(book)}
    assert set(found) == {BreakKind.AMOUNT_MISMATCH, BreakKind.MISSING_ON_PLATFORM}
    assert found[BreakKind.AMOUNT_MISMATCH].difference_minor == -1
    assert found[BreakKind.AMOUNT_MISMATCH].platform_side["deals"][0]["ticket"] == 1004  # type: ignore[index]
    gone = found[BreakKind.MISSING_ON_PLATFORM]
    assert gone.difference_minor == -4_000 and gone.platform_side["deals"] == []  # type: ignore[index]
    # the ledger credited the client when the payment completed: its side shows it
    (entry,) = gone.ledger_side["entries"]  # type: ignore[index]
    assert (entry["source"], entry["amount_minor"]) == ("payment:PAY5:completed", -4_000)


def test_exceptions_keep_their_identity_across_runs(book: Desk) -> None:
    balance(book, 2, 50_001)
    first = reconciliation.run(book)
    assert (first.found, first.new) == (1, 1)
    drift = only(book)
    assert (drift.kind, drift.difference_minor, drift.status) == (
        BreakKind.BALANCE_DRIFT, 1, BreakStatus.OPEN)
    assert drift.platform_side["amount_minor"] == 50_001  # type: ignore[index]
    assert drift.ledger_side["amount_minor"] == 50_000  # type: ignore[index]
    again = reconciliation.run(book)
    assert (again.found, again.new) == (1, 0)
    assert only(book).id == drift.id and only(book).last_run_id == again.run_id

    reconciliation.resolve(book, drift.id, "Platform rounding; corrected by the dealer")
    reconciliation.run(book)  # same figures: stays resolved, no new exception
    assert reconciliation.list_exceptions(book) == []
    balance(book, 2, 50_002)  # other figures: the resolution does not cover them
    reconciliation.run(book)
    worse = only(book)
    assert worse.id != drift.id and worse.difference_minor == 2
    balance(book, 2, 50_003)  # an open break's figures move: the same exception follows
    reconciliation.run(book)
    assert only(book).id == worse.id and only(book).difference_minor == 3

    balance(book, 2, 50_000)  # a late sync fixes it and nobody had taken it up
    cleared = reconciliation.run(book)
    assert reconciliation.list_exceptions(book) == []
    by_id = {e.id: e for e in reconciliation.list_exceptions(book, {BreakStatus.RESOLVED})}
    assert by_id[worse.id].cleared_run_id == cleared.run_id
    assert by_id[worse.id].resolution.startswith("Cleared by itself")
    assert by_id[worse.id].resolved_by == ""
    assert by_id[drift.id].resolved_by == "admin"

    balance(book, 2, 50_003)  # it comes back with the same figures: reopened
    reconciliation.run(book)
    assert only(book).id == worse.id and only(book).status == BreakStatus.OPEN
    reconciliation.investigate(book, worse.id)
    balance(book, 2, 50_000)
    reconciliation.run(book)  # someone is on it: it stays theirs, marked cleared
    (kept,) = reconciliation.list_exceptions(book)
    assert (kept.status, kept.owner, kept.cleared_run_id is not None) == (
        BreakStatus.INVESTIGATING, "admin", True)
    with book.store.read() as s:
        assert dbapi(s).execute("SELECT count(*) FROM recon_exceptions").fetchone()[0] == 2


def test_working_a_break_needs_a_permission_and_a_reason(book: Desk) -> None:
    balance(book, 2, 49_999)
    clerk = Desk(book.store, users.add_user(book, "cleo", "Cleo Clerk", Role.CLERK))
    with pytest.raises(PermissionDenied):
        reconciliation.run(clerk)
    compliance = Desk(book.store, users.add_user(book, "cora", "Cora C", Role.COMPLIANCE))
    reconciliation.run(compliance)  # compliance may run and look
    (e,) = reconciliation.list_exceptions(compliance)
    with pytest.raises(PermissionDenied):
        reconciliation.list_exceptions(clerk)
    for who in (clerk, compliance):
        with pytest.raises(PermissionDenied):
            reconciliation.resolve(who, e.id, "Looked fine to me")
        with pytest.raises(PermissionDenied):
            reconciliation.assign(who, e.id, "admin")
    finance = Desk(book.store, users.add_user(book, "fin", "Fin Ance", Role.FINANCE))
    with pytest.raises(ValidationFailed, match="cannot work reconciliation"):
        reconciliation.assign(finance, e.id, "cleo")
    with pytest.raises(NotFound):
        reconciliation.assign(finance, e.id, "nobody")
    reconciliation.assign(finance, e.id, "fin")
    with pytest.raises(ValidationFailed, match="the reason is kept"):
        reconciliation.resolve(finance, e.id, "   ")
    assert only(book).status == BreakStatus.OPEN and only(book).owner == "fin"
    reconciliation.resolve(finance, e.id, "Dealer booked a 0.01 correction, deal 77")
    with pytest.raises(ValidationFailed, match="resolved already"):
        reconciliation.resolve(finance, e.id, "again")
    with pytest.raises(NotFound):
        reconciliation.resolve(finance, 999, "no such")
    (done,) = reconciliation.list_exceptions(finance, {BreakStatus.RESOLVED})
    assert (done.resolution, done.resolved_by) == ("Dealer booked a 0.01 correction, deal 77",
                                                   "fin")
    with book.store.read() as s:
        trail = dbapi(s).execute("SELECT action, actor_name FROM audit_entries WHERE action"
                                 " LIKE 'reconcile.%' ORDER BY id").fetchall()
    assert trail == [("reconcile.run", "cora"), ("reconcile.assign", "fin"),
                     ("reconcile.resolve", "fin")]


def test_deals_the_ledger_cannot_post_show_up_and_explain_their_gap(book: Desk) -> None:
    # the platform's deal came for an account it never sent: no currency, so the
    # ledger waits on it, and on every deal after it
    sql(book, 'INSERT INTO trading_accounts (id, platform, login, "group", currency, leverage,'
        " status, opened_at, server_version) VALUES (3, 'gw', 500003, '', '', 0, 'active',"
        " '2026-11-01 00:00:00', 0)")
    deal(book, 4, 3, "sell", 1_000, "CLIENT")
    deal(book, 5, 1, "sell", 400, "CLIENT")
    balance(book, 1, 102_830)
    assert post(book) is None
    reconciliation.run(book)
    (e,) = reconciliation.list_exceptions(book)
    assert e.kind == BreakKind.LEDGER_WAITING
    assert "500003" in e.summary and "1 deal(s) on other accounts wait" in e.summary
    assert e.platform_side["currency"] is None  # type: ignore[index]
    assert e.ledger_side["waiting_deals"] == 2  # type: ignore[index]
    # once the account arrives, everything posts and the break clears by itself
    sql(book, "UPDATE trading_accounts SET currency = 'USD' WHERE id = 3")
    balance(book, 3, 1_000)
    assert post(book) == 2
    reconciliation.run(book)
    assert reconciliation.list_exceptions(book) == []


def test_after_sync_runs_only_when_the_books_changed(book: Desk) -> None:
    first = reconciliation.reconcile_after_sync(book.store, 2.0)
    assert first is not None and first.found == 0
    assert reconciliation.reconcile_after_sync(book.store, 2.0) is None
    balance(book, 1, 102_431)
    later = reconciliation.reconcile_after_sync(book.store, 2.0)
    assert later is not None and later.found == 1
    assert later.run_id > first.run_id


def test_the_provider_listing_twice_or_ahead_of_the_platform(book: Desk,
                                                             tmp_path: Path) -> None:
    client = sql(book, "SELECT client_id FROM trading_accounts WHERE id = 1")[0][0]
    payment(book, "PAY6", client, 1, "deposit", "processing", 7_000, "Stripe", None,
            ["pending", "processing"])
    post(book, "PAY6")
    reconciliation.import_statement(book, "Stripe", csv(
        tmp_path, "stripe.csv", "STR-PAY1,2026-11-01,deposit,completed,1000.00,0,USD",
        "STR-PAY1,2026-11-01,deposit,completed,1000.00,0,USD",
        "STR-PAY6,2026-11-01,deposit,completed,70.00,0,USD"))
    reconciliation.run(book)
    found = {e.kind: e for e in reconciliation.list_exceptions(book)}
    assert set(found) == {BreakKind.DUPLICATE, BreakKind.MISSING_ON_PLATFORM}
    twice = found[BreakKind.DUPLICATE]
    assert twice.key == "duplicate:provider:Stripe:STR-PAY1:completed"
    assert twice.difference_minor == 100_000 and "2 times" in twice.summary
    ahead = found[BreakKind.MISSING_ON_PLATFORM]
    assert ahead.key == "missing_on_platform:PAY6" and "shows it processing" in ahead.summary
    assert ahead.provider_side["statement_lines"][0]["provider_ref"] == "STR-PAY6"  # type: ignore[index]
