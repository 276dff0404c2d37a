"""Reconciliation against the real sandbox gateway: the four classic breaks seeded
into the broker are each found, with the right kind and the records of each side;
a busy book (payments in flight, failed, refunded, charged back, withdrawals
approved, paid, failed and rejected) reconciled against every provider's statement
finds nothing it should not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import requests

from app.crm.search_index import dbapi
from app.models.reconciliation import BreakKind
from app.services import reconciliation
from app.services.gateway import gateway_config, set_gateway
from app.services.workspace import Desk, init_workspace
from sync.engine import SyncEngine
from tests.conftest import PASSWORD
from tests.sync.conftest import Desk as Gateway
from tests.sync.conftest import Sandbox

PROVIDERS = ("Stripe", "Checkout.com", "Nuvei", "SEPA", "SWIFT", "Skrill", "Neteller",
             "BitGo", "Fireblocks")


def connect(box: Sandbox, tmp_path: Path) -> tuple[Desk, SyncEngine]:
    desk = init_workspace(tmp_path / "ws", password=PASSWORD, broker_name="Sandbox",
                          base_currency="USD", admin_username="admin",
                          admin_full_name="Ada Admin")
    set_gateway(desk, box.base, "admin", "sandbox")
    config = gateway_config(desk)
    assert config is not None
    return desk, SyncEngine(desk.store, config)


def import_statements(desk: Desk, gw: Gateway, tmp_path: Path, *providers: str) -> int:
    """Every provider's statement from its portal, from the start of history to today."""
    today = datetime.now(UTC).date().isoformat()
    lines = 0
    for provider in providers:
        r = gw.http.get(f"{gw.base}/v1/control/statements/{provider}",
                        params={"from": "2025-01-01", "to": today}, timeout=60)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        path = tmp_path / f"{provider}.csv"
        path.write_bytes(r.content)
        lines += reconciliation.import_statement(desk, provider, path).lines
    return lines


def test_each_seeded_break_is_found_with_both_sides(own_sandbox: list[Sandbox],
                                                    tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=200).start()
    own_sandbox.append(box)
    gw = box.desk()
    gw.control("advance", {"steps": 200})
    dropped = gw.control("breaks/dropped_deposit", {})
    doubled = gw.control("breaks/doubled_withdrawal", {})
    cent = gw.control("breaks/one_cent_drift", {})
    orphan = gw.control("breaks/orphan_provider", {})
    refused = gw.http.post(f"{gw.base}/v1/control/breaks/lost_luggage", json={}, timeout=30)
    assert refused.status_code == 422
    clerk = box.desk("clerk")
    assert clerk.http.post(f"{gw.base}/v1/control/breaks/one_cent_drift", json={},
                           timeout=30).status_code == 403
    desk, engine = connect(box, tmp_path)
    try:
        assert engine.once().online  # the sync runs reconciliation after the exchange
        with desk.store.read() as s:
            (trigger,), = dbapi(s).execute("SELECT trigger FROM recon_runs").fetchall()
        assert trigger == "after_sync"
        assert import_statements(desk, gw, tmp_path, "Stripe") > 20
        report = reconciliation.run(desk)
        assert report.lines > 20 and report.accounts > 100
        found = {e.key: e for e in reconciliation.list_exceptions(desk)}
        seeded = found
        assert set(seeded) == {
            f"missing_on_platform:{dropped['payment_id']}",
            f"duplicate:platform:{doubled['payment_id']}:lead",
            f"balance_drift:gw:{cent['login']}",
            f"orphan_provider:Stripe:{orphan['provider_ref']}:completed"}

        gone = seeded[f"missing_on_platform:{dropped['payment_id']}"]
        assert gone.kind == BreakKind.MISSING_ON_PLATFORM and gone.difference_minor == -25_000
        assert gone.platform_side == {"trading_account": dropped["login"], "platform": "gw",
                                      "balance_minor": gone.platform_side["balance_minor"],  # type: ignore[index]
                                      "deals": []}
        assert gone.provider_side["payment"]["status"] == "completed"  # type: ignore[index]
        (line,) = gone.provider_side["statement_lines"]  # type: ignore[index]
        assert (line["provider_ref"], line["status"], line["amount_minor"]) == (
            dropped["provider_ref"], "completed", 25_000)
        assert [e["source"] for e in gone.ledger_side["entries"]] == [  # type: ignore[index]
            f"payment:{dropped['payment_id']}:completed"]

        twice = seeded[f"duplicate:platform:{doubled['payment_id']}:lead"]
        amount = int(doubled["amount"].replace(".", ""))
        assert twice.kind == BreakKind.DUPLICATE and twice.difference_minor == -amount
        assert [d["ticket"] for d in twice.platform_side["deals"]] == doubled["tickets"]  # type: ignore[index]
        assert {d["amount_minor"] for d in twice.platform_side["deals"]} == {-amount}  # type: ignore[index]
        assert twice.provider_side["payment"]["status"] == "approved"  # type: ignore[index]
        assert [e["source"] for e in twice.ledger_side["entries"]  # type: ignore[index]
                if e["account"].startswith("trading:")] == [
            f"payment:{doubled['payment_id']}:held"]

        drift = seeded[f"balance_drift:gw:{cent['login']}"]
        assert drift.kind == BreakKind.BALANCE_DRIFT and drift.difference_minor == 1
        assert drift.platform_side["amount"] == cent["balance"]  # type: ignore[index]
        # the other seeded breaks on the same account explain their own part; the
        # drift is only the cent nothing explains
        assert drift.platform_side["amount_minor"] - drift.ledger_side["amount_minor"] == (  # type: ignore[index]
            1 + sum(e.difference_minor for e in (gone, twice)
                    if e.platform_side["trading_account"] == cent["login"]))  # type: ignore[index]

        stray = seeded[f"orphan_provider:Stripe:{orphan['provider_ref']}:completed"]
        assert stray.kind == BreakKind.ORPHAN_PROVIDER and stray.difference_minor == 12_345
        assert stray.platform_side is None and stray.ledger_side is None
        assert stray.provider_side["statement_lines"][0]["provider_ref"] == \
            orphan["provider_ref"]  # type: ignore[index]

        again = reconciliation.run(desk)
        assert (again.found, again.new) == (report.found, 0)
        assert engine.once().online
        with desk.store.read() as s:
            assert dbapi(s).execute("SELECT count(*) FROM recon_exceptions").fetchone()[0] == \
                len(found)
    finally:
        engine.close()
        desk.close()


def work_withdrawals(finance: Gateway, rounds: int) -> None:
    """What a finance desk does with the clients' withdrawal requests: approve and
    send most, approve then reject some, leave a few waiting."""
    changes, _ = finance.pull_all()
    latest = {c["id"]: c["data"] for c in changes if c["kind"] == "payment" and c["data"]}
    waiting = sorted(pid for pid, p in latest.items()
                     if p["direction"] == "withdrawal" and p["status"] == "requested")
    for n, pid in enumerate(waiting[:-2]):
        r = finance.command("withdrawal-decision", {"payment_id": pid, "decision": "approve",
                                                    "reason": f"round {rounds}"})
        if r.status_code != 200:
            continue  # the client's free margin went meanwhile: the platform refuses
        decision = "reject" if n % 5 == 4 else "send"
        assert finance.command("withdrawal-decision", {
            "payment_id": pid, "decision": decision, "reason": "checked"}).status_code == 200


def test_a_busy_book_reconciles_without_inventing_breaks(own_sandbox: list[Sandbox],
                                                         tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=200).start()
    own_sandbox.append(box)
    gw, finance = box.desk(), box.desk("finance")
    desk, engine = connect(box, tmp_path)
    try:
        for n in range(6):  # the desk keeps syncing (and reconciling) as the day goes
            gw.control("advance", {"steps": 250})
            work_withdrawals(finance, n)
            assert engine.once().online
        with desk.store.read() as s:
            kinds = set(dbapi(s).execute("SELECT direction, status FROM payment_requests"))
        assert {("deposit", "pending"), ("deposit", "processing")} & kinds  # in flight
        for wanted in (("deposit", "failed"), ("deposit", "cancelled"),
                       ("deposit", "refunded"), ("deposit", "charged_back"),
                       ("withdrawal", "requested"), ("withdrawal", "completed"),
                       ("withdrawal", "failed"), ("withdrawal", "rejected")):
            assert wanted in kinds, (wanted, kinds)
        assert import_statements(desk, gw, tmp_path, *PROVIDERS) > 300
        report = reconciliation.run(desk)
        assert report.payments > 500 and report.lines > 300
        found = {e.key for e in reconciliation.list_exceptions(desk)}
        # None invented: refunds and chargebacks post once (by the payment, not
        # again by the platform's REFUND/CHARGEBACK deal), and all else agrees.
        assert found == set()
    finally:
        engine.close()
        desk.close()


def test_statement_route_is_admin_only_and_dated(own_sandbox: list[Sandbox],
                                                 tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "gw", clients=60).start()
    own_sandbox.append(box)
    gw = box.desk()
    gw.control("breaks/orphan_provider", {"value_date": "2026-10-15", "provider": "Skrill"})
    url = f"{gw.base}/v1/control/statements/Skrill"
    clerk = box.desk("clerk")
    assert clerk.http.get(url, params={"from": "2026-10-01", "to": "2026-10-31"},
                          timeout=30).status_code == 403
    inside = gw.http.get(url, params={"from": "2026-10-15", "to": "2026-10-15"}, timeout=30)
    assert "SKR-ORPHAN-0001,2026-10-15,deposit,completed,123.45,0.00,USD" in inside.text
    outside = gw.http.get(url, params={"from": "2026-10-16", "to": "2026-10-31"}, timeout=30)
    assert "ORPHAN" not in outside.text
    assert outside.text.splitlines()[0] == \
        "provider_ref,value_date,type,status,amount,fee,currency"
    assert requests.get(url, params={"from": "2026-10-01", "to": "2026-10-31"},
                        timeout=30).status_code == 401
