"""The ledger follows the platform: after a pull every trading account's ledger
balance equals the platform's, the trial balance balances, and pulling everything
again posts nothing twice."""

from __future__ import annotations

from pathlib import Path

from app.crm.search_index import dbapi
from app.ledger import chart, views
from app.services.gateway import gateway_config, set_gateway
from app.services.workspace import init_workspace
from sync.engine import SyncEngine
from tests.conftest import PASSWORD
from tests.sync.conftest import Sandbox


def test_ledger_balances_equal_the_platform_and_a_full_repull_posts_nothing(
        own_sandbox: list[Sandbox], tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=250).start()
    own_sandbox.append(box)
    desk = init_workspace(tmp_path / "ws", password=PASSWORD, broker_name="Sandbox",
                          base_currency="USD", admin_username="admin",
                          admin_full_name="Ada Admin")
    set_gateway(desk, box.base, "admin", "sandbox")
    config = gateway_config(desk)
    assert config is not None
    engine = SyncEngine(desk.store, config)
    try:
        assert engine.once().online

        def snapshot() -> tuple[int, int, dict[str, tuple[int, int]]]:
            with desk.store.read() as s:
                db = dbapi(s)
                entries = db.execute("SELECT count(*) FROM journal_entries").fetchone()[0]
                postings = db.execute("SELECT count(*) FROM postings").fetchone()[0]
                return entries, postings, views.totals(views.trial_balance(db))

        entries, postings, totals = snapshot()
        assert all(d == c for d, c in totals.values()) and len(totals) >= 2
        with desk.store.read() as s:
            db = dbapi(s)
            states = db.execute(
                "SELECT a.platform, a.login, a.currency, s.balance_minor FROM account_states s"
                " JOIN trading_accounts a ON a.id = s.account_id").fetchall()
            deals = db.execute("SELECT count(*) FROM deals WHERE action IN ('buy', 'sell')"
                               ).fetchone()[0]
            moved = db.execute("SELECT count(*) FROM payment_requests"
                               " WHERE status = 'completed'").fetchone()[0]
            assert len(states) > 100 and deals > 1000
            # liabilities are credit balances: the client's money is minus the ledger's sum
            drift = [(p, login, bal, -views.balance(db, chart.trading(p, login, cur)))
                     for p, login, cur, bal in states
                     if -views.balance(db, chart.trading(p, login, cur)) != bal]
        assert drift == []
        assert entries >= deals + moved  # every trade with money in it, every payment

        with desk.store.write() as s:  # forget the cursor: the next pull takes everything
            dbapi(s).execute("DELETE FROM sync_cursors")
        assert engine.once().online
        assert snapshot() == (entries, postings, totals)
    finally:
        engine.close()
        desk.close()
