"""Commission from the demo world to a paid payout, across two desks and the real
sandbox: both desks accrue the same deals alike, one finance officer proposes, another
approves and pays, the gateway pays the agent commission, and the ledger follows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.errors import PermissionDenied
from app.ledger import chart, views
from app.models.users import Role
from app.services import commissions, partners, users
from app.services.gateway import gateway_config, set_gateway
from app.services.workspace import Desk, init_workspace
from sync.engine import SyncEngine
from sync.pull import dbapi
from sync.sandbox.build import PLANS
from tests.conftest import PASSWORD
from tests.sync.conftest import Sandbox

# The sandbox's history is the year before AS_OF (2026-11-01).
FIRST, LAST = date(2025, 11, 1), date(2026, 10, 31)


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A gateway of our own (payouts change it); seed 2 grows five partners in three
    levels, on the demo plans in turn."""
    b = Sandbox(tmp_path_factory.mktemp("payouts-gw"), "--seed", "2", clients=500).start()
    yield b
    assert b.stop() == 0


class Station:
    """One desk: its workspace, a finance officer signed in to it, and its sync engine
    signed in to the gateway as `gateway_user`."""

    def __init__(self, box: Sandbox, folder: Path, gateway_user: str) -> None:
        self.admin = init_workspace(folder, password=PASSWORD, broker_name="Sandbox Markets Ltd",
                                    base_currency="USD", admin_username="admin",
                                    admin_full_name="Ada Admin")
        set_gateway(self.admin, box.base, gateway_user, "sandbox")
        config = gateway_config(self.admin)
        assert config is not None
        self.engine = SyncEngine(self.admin.store, config)
        # The desk user has the gateway user's name, so the desk's own rows and the
        # gateway's copies name the same person.
        self.finance = Desk(self.admin.store, users.add_user(
            self.admin, gateway_user, gateway_user.title(), Role.FINANCE))

    def sync(self) -> None:
        status = self.engine.once()
        assert status.online, status.message
        assert (status.pending, status.rejected, status.conflicts) == (0, 0, 0), (
            self.rows("SELECT kind, status, last_error FROM outbox WHERE status != 'done'"))

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self.admin.store.read() as s:
            return [tuple(r) for r in dbapi(s).execute(sql, args)]

    def one(self, sql: str, *args: Any) -> Any:
        found = self.rows(sql, *args)
        assert len(found) == 1, found
        return found[0][0]

    def balance(self, code: str) -> int:
        with self.admin.store.read() as s:
            return views.balance(dbapi(s), code)

    def accrued(self) -> dict[tuple[str, str], int]:
        """Every partner's accruals, by referral code and currency (a revenue share
        accrues in the account's currency)."""
        return {(code, cur): total for code, cur, total in self.rows(
            "SELECT p.referral_code, a.currency, sum(a.amount_minor)"
            " FROM commission_accruals a JOIN partners p ON p.id = a.partner_id"
            " GROUP BY p.referral_code, a.currency")}

    def close(self) -> None:
        self.engine.close()
        self.admin.close()


@pytest.fixture
def stations(box: Sandbox, tmp_path: Path) -> Iterator[tuple[Station, Station]]:
    a = Station(box, tmp_path / "a", "finance")
    b = Station(box, tmp_path / "b", "finance2")
    yield a, b
    a.close()
    b.close()


def test_demo_plans_accrue_alike_and_a_payout_is_paid_once(
        box: Sandbox, stations: tuple[Station, Station]) -> None:
    a, b = stations
    a.sync()
    b.sync()
    for desk in (a, b):
        assert desk.rows("SELECT kind, record_id, message FROM sync_errors") == []
        assert {name for (name,) in desk.rows("SELECT name FROM commission_plans")} == {
            name for _, name, *_ in PLANS}
        assert desk.one("SELECT count(*) FROM partners WHERE id NOT IN"
                        " (SELECT partner_id FROM plan_assignments)") == 0
    # the same deals accrue alike on both desks, with no setup on either
    accrued = a.accrued()
    assert accrued == b.accrued()
    assert len(accrued) >= 3 and sum(accrued.values()) > 0, accrued
    assert a.one("SELECT count(*) FROM commission_accruals WHERE tier > 0") > 0, "uplines earn"

    # A proposes: one payout per partner and currency with something to pay (a revenue
    # share accrues in the client's account currency)
    run = commissions.prepare_run(a.finance, FIRST, LAST)
    assert run.payouts > 0 and run.totals["USD"] > 0
    proposed = {(code, cur): amount for code, cur, amount in a.rows(
        "SELECT pa.referral_code, p.currency, p.amount_minor FROM payouts p"
        " JOIN partners pa ON pa.id = p.partner_id WHERE p.run_id = ?", run.run_id)}
    assert proposed == {key: total for key, total in accrued.items() if total > 0}
    code = max((key for key in proposed if key[1] == "USD"), key=lambda key: proposed[key])[0]
    amount = proposed[(code, "USD")]
    mine = a.one("SELECT p.id FROM payouts p JOIN partners pa ON pa.id = p.partner_id"
                 " WHERE p.run_id = ? AND pa.referral_code = ? AND p.currency = 'USD'",
                 run.run_id, code)
    with pytest.raises(PermissionDenied):  # four eyes on the desk
        commissions.decide_payout(a.finance, mine, approve=True)
    a.sync()
    uid = a.one("SELECT uid FROM payouts WHERE id = ?", mine)

    # the gateway keeps four eyes too: its preparer cannot sign it approved
    gw = box.desk("finance")
    record = gw.get(f"/v1/records/payout/{uid}").json()
    assert record["data"]["prepared_by"] == "finance"
    assert record["data"]["status"] == "pending_approval"
    own = gw.command("put-record", {
        "kind": "payout", "id": uid, "base_version": record["version"],
        "data": {**record["data"], "status": "approved", "approved_by": "finance"}})
    assert own.status_code == 403 and own.json()["code"] == "four_eyes", own.text

    # B sees it proposed, with its own accruals of the partner in it
    b.sync()
    payout, partner, status, got = b.rows(
        "SELECT p.id, p.partner_id, p.status, p.amount_minor FROM payouts p"
        " WHERE p.uid = ?", uid)[0]
    assert (status, got) == ("proposed", amount)
    assert b.one("SELECT sum(amount_minor) FROM commission_accruals WHERE payout_id = ?",
                 payout) == amount
    assert b.one("SELECT count(*) FROM commission_accruals a JOIN partners p"
                 " ON p.id = a.partner_id WHERE p.referral_code = ? AND a.currency = 'USD'"
                 " AND a.payout_id IS NULL", code) == 0
    assert b.one("SELECT u.username FROM payouts p JOIN users u ON u.id = p.prepared_by"
                 " WHERE p.id = ?", payout) == "finance"

    # B approves, names the account to pay into, and pays
    login = b.one("SELECT a.login FROM trading_accounts a JOIN clients c ON c.id = a.client_id"
                  " WHERE a.currency = 'USD' AND a.status = 'active' AND c.partner_id IS NULL"
                  " ORDER BY a.login LIMIT 1")
    partners.set_payout_account(b.finance, partner, login)
    commissions.decide_payout(b.finance, payout, approve=True)
    commissions.send_payout(b.finance, payout)
    payable = chart.ib_payable(f"P{partner}", "USD")
    owed = b.balance(payable)
    assert owed <= -amount  # a liability: what the partner is owed, negative
    b.sync()

    assert b.one("SELECT status FROM payouts WHERE id = ?", payout) == "paid"
    assert b.rows("SELECT d.profit_minor FROM deals d JOIN trading_accounts a"
                  " ON a.id = d.account_id WHERE a.login = ? AND d.action = 'agent'",
                  login) == [(amount,)]
    assert b.balance(chart.ib_payable("platform", "USD")) == 0
    assert b.balance(payable) == owed + amount
    final = gw.get(f"/v1/records/payout/{uid}").json()["data"]
    assert (final["prepared_by"], final["approved_by"]) == ("finance", "finance2")

    # a new run on B has nothing more to pay that partner
    again = commissions.prepare_run(b.finance, FIRST, date.today())
    assert b.rows("SELECT amount_minor FROM payouts WHERE run_id = ? AND partner_id = ?",
                  again.run_id, partner) == []
    assert b.one("SELECT count(*) FROM payouts WHERE partner_id = ? AND currency = 'USD'"
                 " AND status != 'rejected'", partner) == 1
