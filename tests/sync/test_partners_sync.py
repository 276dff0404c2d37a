"""Partners, plans and their history reach every desk: typed rows from the shared
records, whatever order a page brings them in, and clients linked by referral code."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.services.gateway import gateway_config, set_gateway
from app.services.outbox import put_record
from app.services.workspace import Desk, init_workspace
from sync.engine import SyncEngine
from sync.mirror import MirrorWriter, PageResult
from sync.pull import dbapi
from tests.conftest import PASSWORD
from tests.sync.conftest import Sandbox

RULES = {"per_lot": [{"symbols": "FX", "rate": "7.00"}]}
TIERS = {"levels": [2000, 1000]}


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A gateway of our own (one test below edits a built-in partner); seed 2 grows its
    five partners into a three-level tree."""
    b = Sandbox(tmp_path_factory.mktemp("partners-gw"), "--seed", "2", clients=500).start()
    yield b
    assert b.stop() == 0


def workspace(box: Sandbox, folder: Path, user: str) -> tuple[Desk, SyncEngine]:
    desk = init_workspace(folder, password=PASSWORD, broker_name="Sandbox Markets Ltd",
                          base_currency="USD", admin_username="admin",
                          admin_full_name="Ada Admin")
    set_gateway(desk, box.base, user, "sandbox")
    config = gateway_config(desk)
    assert config is not None
    return desk, SyncEngine(desk.store, config)


def rows(desk: Desk, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with desk.store.read() as s:
        return [tuple(r) for r in dbapi(s).execute(sql, args)]


def errors(desk: Desk) -> list[tuple[Any, ...]]:
    return rows(desk, "SELECT kind, record_id, message FROM sync_errors WHERE source = 'pull'")


def put(desk: Desk, kind: str, rid: str, data: dict[str, Any], base_version: int = 0) -> None:
    with desk.store.write() as s:
        put_record(s, desk.actor, kind, rid, base_version, data, revert=None)


def partner_data(name: str, code: str, parent: str | None = None) -> dict[str, Any]:
    return {"name": name, "client_id": None, "parent_id": parent, "referral_code": code,
            "currency": "USD", "active": True}


def plan_data(name: str = "Standard IB") -> dict[str, Any]:
    return {"name": name, "kind": "per_lot", "currency": "USD", "rules": RULES,
            "tier_shares_bp": TIERS}


# -- against the sandbox ---------------------------------------------------------------------

def test_built_in_partners_arrive_as_a_tree_and_clients_follow_their_codes(
        box: Sandbox, tmp_path: Path) -> None:
    gw = box.desk("admin")
    changes, _ = gw.pull_all(limit=5000)
    partners = {c["id"]: c for c in changes if c["kind"] == "partner"}
    uplines = {rid: p["data"]["parent_id"] for rid, p in partners.items()}
    assert any(uplines.get(parent) for parent in uplines.values() if parent), "three levels"
    # The root changes: it moves to the head of the feed, after its children, so a
    # desk's first pull meets children whose upline it does not know yet.
    root = next(p for p in partners.values() if p["data"]["parent_id"] is None)
    assert gw.command("put-record", {
        "kind": "partner", "id": root["id"], "base_version": root["version"],
        "data": {**root["data"], "name": root["data"]["name"] + " Group"}}).status_code == 200
    changes, _ = gw.pull_all(limit=5000)
    want_tree = {c["id"]: c["data"]["parent_id"] for c in changes if c["kind"] == "partner"}
    code_of = {c["data"]["referral_code"]: c["id"] for c in changes if c["kind"] == "partner"}
    want_links = {c["id"]: code_of.get(c["data"].get("referral_code") or "")
                  for c in changes if c["kind"] == "client"}
    assert sum(v is not None for v in want_links.values()) > 10, "the sandbox refers clients"

    desk, engine = workspace(box, tmp_path / "ws", "finance")
    try:
        assert engine.once().online
        got_tree = dict(rows(desk, "SELECT c.uid, p.uid FROM partners c"
                                   " LEFT JOIN partners p ON p.id = c.parent_id"))
        assert got_tree == want_tree
        got_links = dict(rows(desk, "SELECT c.external_id, p.uid FROM clients c"
                                    " LEFT JOIN partners p ON p.id = c.partner_id"
                                    " WHERE c.external_id IS NOT NULL"))
        assert got_links == want_links
        assert rows(desk, "SELECT name FROM partners WHERE uid = ?", root["id"]) == [
            (root["data"]["name"] + " Group",)]
        assert errors(desk) == []
    finally:
        engine.close()
        desk.close()


def test_plans_assignments_and_moves_reach_another_desk(box: Sandbox, tmp_path: Path) -> None:
    a, ea = workspace(box, tmp_path / "a", "admin")
    b, eb = workspace(box, tmp_path / "b", "finance")
    try:
        assert ea.once().online and eb.once().online
        tree = dict(rows(a, "SELECT c.uid, p.uid FROM partners c"
                            " JOIN partners p ON p.id = c.parent_id"))
        child, parent = next(iter(tree.items()))
        plan, version, assignment, move = (str(uuid.uuid4()) for _ in range(4))
        put(a, "commission_plan", plan, plan_data())
        put(a, "plan_version", version, {
            "plan_id": plan, "effective_from": "2026-10-01", "rules": RULES,
            "tier_shares_bp": TIERS, "created_by": "admin"})
        put(a, "plan_assignment", assignment, {
            "plan_id": plan, "partner_id": child, "client_group": "real*",
            "effective_from": "2026-10-01"})
        put(a, "partner_move", move, {
            "partner_id": child, "old_parent_id": parent, "new_parent_id": None,
            "effective_from": "2026-10-15", "moved_by": "admin"})
        status = ea.once()
        assert (status.pending, status.rejected, status.conflicts) == (0, 0, 0)

        assert eb.once().online
        assert rows(b, "SELECT p.uid, v.effective_from, v.rules, v.tier_shares_bp, u.username"
                       " FROM commission_plan_versions v"
                       " JOIN commission_plans p ON p.id = v.plan_id"
                       " JOIN users u ON u.id = v.created_by WHERE v.uid = ?", version) == [
            (plan, "2026-10-01", json.dumps(RULES), json.dumps(TIERS), "admin")]
        assert rows(b, "SELECT name, kind, currency FROM commission_plans WHERE uid = ?",
                    plan) == [("Standard IB", "per_lot", "USD")]
        assert rows(b, "SELECT p.uid, r.uid, a.client_group, a.effective_from"
                       " FROM plan_assignments a JOIN commission_plans p ON p.id = a.plan_id"
                       " JOIN partners r ON r.id = a.partner_id WHERE a.uid = ?",
                    assignment) == [(plan, child, "real*", "2026-10-01")]
        assert rows(b, "SELECT p.uid, o.uid, m.new_parent_id, m.effective_from, u.username"
                       " FROM partner_moves m JOIN partners p ON p.id = m.partner_id"
                       " JOIN partners o ON o.id = m.old_parent_id"
                       " JOIN users u ON u.id = m.actor_id WHERE m.uid = ?", move) == [
            (child, parent, None, "2026-10-15", "admin")]
        assert errors(b) == []
        # the desk that sent them holds the gateway's copies too, once each
        assert rows(a, "SELECT count(*) FROM partner_moves WHERE uid = ?", move) == [(1,)]
    finally:
        ea.close()
        eb.close()
        a.close()
        b.close()


def test_signatures_on_moves_and_plan_versions_are_the_senders(box: Sandbox) -> None:
    finance = box.desk("finance")
    move = {"partner_id": "IB00002", "old_parent_id": None, "new_parent_id": "IB00001",
            "effective_from": "2026-11-01", "moved_by": "manager"}
    forged = finance.command("put-record", {"kind": "partner_move", "id": uuid.uuid4().hex,
                                            "base_version": 0, "data": move})
    assert forged.status_code == 403 and forged.json()["code"] == "signature_mismatch"
    assert forged.json()["details"]["field"] == "moved_by"
    version = {"plan_id": "plan-1", "effective_from": "2026-11-01", "created_by": "admin"}
    forged = finance.command("put-record", {"kind": "plan_version", "id": uuid.uuid4().hex,
                                            "base_version": 0, "data": version})
    assert forged.status_code == 403 and forged.json()["code"] == "signature_mismatch"
    signed = finance.command("put-record", {"kind": "partner_move", "id": uuid.uuid4().hex,
                                            "base_version": 0,
                                            "data": {**move, "moved_by": "finance"}})
    assert signed.status_code == 200, signed.text
    no_day = finance.command("put-record", {"kind": "plan_version", "id": uuid.uuid4().hex,
                                            "base_version": 0,
                                            "data": {**version, "created_by": "finance",
                                                     "effective_from": "2026-02-30"}})
    assert no_day.status_code == 422 and no_day.json()["code"] == "invalid_record"


def test_records_ahead_of_their_partner_wait_and_then_land(box: Sandbox, tmp_path: Path) -> None:
    gw = box.desk("finance")
    b, eb = workspace(box, tmp_path / "b", "finance2")
    try:
        assert eb.once().online
        plan = str(uuid.uuid4())
        late, early = str(uuid.uuid4()), str(uuid.uuid4())

        def send(kind: str, rid: str, data: dict[str, Any]) -> None:
            r = gw.command("put-record", {"kind": kind, "id": rid, "base_version": 0,
                                          "data": data})
            assert r.status_code == 200, r.text

        def assignment(partner: str) -> dict[str, Any]:
            return {"plan_id": plan, "partner_id": partner, "effective_from": "2026-11-01"}

        send("commission_plan", plan, plan_data("Waiting plan"))
        # across pulls: the assignment comes, its partner only on the next pull
        send("plan_assignment", "asg-late", assignment(late))
        assert eb.once().online
        assert rows(b, "SELECT count(*) FROM plan_assignments WHERE uid = 'asg-late'") == [(0,)]
        assert rows(b, "SELECT count(*) FROM shared_records WHERE id = 'asg-late'") == [(1,)]
        send("partner", late, partner_data("Late Partners", "LATE-1"))
        assert eb.once().online
        assert rows(b, "SELECT r.uid FROM plan_assignments a JOIN partners r"
                       " ON r.id = a.partner_id WHERE a.uid = 'asg-late'") == [(late,)]
        # in one page: an assignment and a payout before the partner they name
        send("plan_assignment", "asg-early", assignment(early))
        send("payout", "pay-early", {
            "partner_id": early, "period_start": "2026-10-01", "period_end": "2026-10-31",
            "amount": "125.50", "currency": "USD", "status": "pending_approval",
            "prepared_by": "finance"})
        send("partner", early, partner_data("Early Partners", "EARLY-1", parent=late))
        assert eb.once().online
        assert rows(b, "SELECT r.uid FROM plan_assignments a JOIN partners r"
                       " ON r.id = a.partner_id WHERE a.uid = 'asg-early'") == [(early,)]
        assert rows(b, "SELECT r.uid, p.amount_minor, p.status FROM payouts p"
                       " JOIN partners r ON r.id = p.partner_id WHERE p.uid = 'pay-early'") == [
            (early, 12550, "proposed")]
        assert rows(b, "SELECT p.uid FROM partners c JOIN partners p ON p.id = c.parent_id"
                       " WHERE c.uid = ?", early) == [(late,)]
        assert errors(b) == []
    finally:
        eb.close()
        b.close()


# -- the writer alone, page by page ----------------------------------------------------------

def rec(kind: str, rid: str, data: dict[str, Any] | None, version: int = 1) -> dict[str, Any]:
    return {"kind": kind, "id": rid, "version": version, "deleted": data is None, "data": data}


def client(ext: str, code: str | None, version: int = 1) -> dict[str, Any]:
    return rec("client", ext, {
        "client_id": ext, "kind": "individual", "first_name": "Ana", "last_name": "Lima",
        "company_name": "", "email": "", "phone": "", "country": "PT",
        "date_of_birth": None, "address": "", "registered_ms": 0, "referral_code": code},
        version)


def page(desk: Desk, *changes: dict[str, Any]) -> PageResult:
    with desk.store.write() as s:
        return MirrorWriter(dbapi(s)).apply(list(changes))


def partner_of(desk: Desk, ext: str) -> str | None:
    found = rows(desk, "SELECT p.uid FROM clients c LEFT JOIN partners p ON p.id = c.partner_id"
                       " WHERE c.external_id = ?", ext)
    return found[0][0]


def test_a_page_in_any_order_lands_once_what_it_names_is_here(desk: Desk) -> None:
    move = {"partner_id": "P-child", "old_parent_id": None, "new_parent_id": "P-top",
            "effective_from": "2026-01-01", "moved_by": "finance"}
    first = page(desk,
                 rec("plan_assignment", "A-1", {"plan_id": "PL-1", "partner_id": "P-child",
                                                "effective_from": "2026-01-01"}),
                 rec("partner_move", "M-1", move),
                 client("C-7", "CHILD"),
                 rec("partner", "P-child", partner_data("Child", "CHILD", parent="P-top")))
    assert not first.errors
    # the child is here (its clients follow it), without the upline it names
    assert rows(desk, "SELECT parent_id FROM partners WHERE uid = 'P-child'") == [(None,)]
    assert partner_of(desk, "C-7") == "P-child"
    assert rows(desk, "SELECT count(*) FROM plan_assignments") == [(0,)]
    assert rows(desk, "SELECT count(*) FROM partner_moves") == [(0,)]
    second = page(desk, rec("commission_plan", "PL-1", plan_data()),
                  rec("partner", "P-top", partner_data("Top", "TOP")))
    assert not second.errors
    assert rows(desk, "SELECT p.uid FROM partners c JOIN partners p ON p.id = c.parent_id"
                      " WHERE c.uid = 'P-child'") == [("P-top",)]
    assert rows(desk, "SELECT uid FROM plan_assignments") == [("A-1",)]
    assert rows(desk, "SELECT m.uid, p.uid FROM partner_moves m"
                      " JOIN partners p ON p.id = m.new_parent_id") == [("M-1", "P-top")]


def test_clients_follow_a_new_code_and_keep_a_partner_a_desk_chose(desk: Desk) -> None:
    page(desk, rec("partner", "P-a", partner_data("A", "CODE-A")),
         rec("partner", "P-b", partner_data("B", "CODE-B")))
    assert not page(desk, client("C-1", "CODE-A"), client("C-2", None),
                    client("C-3", "CODE-Z")).errors
    assert [partner_of(desk, c) for c in ("C-1", "C-2", "C-3")] == ["P-a", None, None]
    # a desk moves C-1 to B by hand: a platform update with the same code keeps that
    with desk.store.write() as s:
        dbapi(s).execute("UPDATE clients SET partner_id = (SELECT id FROM partners"
                         " WHERE uid = 'P-b') WHERE external_id = 'C-1'")
    page(desk, client("C-1", "CODE-A", version=2))
    assert partner_of(desk, "C-1") == "P-b"
    page(desk, client("C-1", "CODE-A", version=3), client("C-2", "CODE-B", version=2))
    assert [partner_of(desk, c) for c in ("C-1", "C-2")] == ["P-b", "P-b"]
    # a partner that arrives later takes the clients waiting with its code
    page(desk, rec("partner", "P-z", partner_data("Z", "CODE-Z")))
    assert partner_of(desk, "C-3") == "P-z"


def test_what_cannot_be_shown_is_reported_and_the_page_goes_on(desk: Desk) -> None:
    result = page(
        desk, rec("partner", "P-1", partner_data("One", "SAME")),
        rec("partner", "P-2", partner_data("Two", "SAME")),  # two desks gave one code out
        rec("commission_plan", "PL-1", plan_data()),
        rec("plan_version", "V-1", {"plan_id": "PL-1", "effective_from": "2026-03-01",
                                    "rules": RULES, "created_by": "admin"}),
        rec("plan_version", "V-2", {"plan_id": "PL-1", "effective_from": "2026-03-01",
                                    "rules": RULES, "created_by": "finance"}),
        rec("plan_version", "V-3", {"plan_id": "PL-1", "effective_from": "2026-02-30",
                                    "created_by": "admin"}),
        rec("payout", "PO-1", {"partner_id": "P-1", "period_start": "2026-01-01",
                               "period_end": "2026-01-31", "amount": "10.50",
                               "currency": "JPY", "status": "draft", "prepared_by": "admin"}))
    assert sorted((kind, rid) for kind, rid, _ in result.errors) == [
        ("partner", "P-2"), ("payout", "PO-1"), ("plan_version", "V-2"),
        ("plan_version", "V-3")]
    assert rows(desk, "SELECT uid FROM partners") == [("P-1",)]
    assert rows(desk, "SELECT uid FROM commission_plan_versions") == [("V-1",)]


def test_tombstones_keep_what_history_names(desk: Desk) -> None:
    page(desk, rec("partner", "P-1", partner_data("One", "ONE")), client("C-1", "ONE"),
         rec("partner", "P-2", partner_data("Two", "TWO")),
         rec("commission_plan", "PL-1", plan_data()),
         rec("plan_assignment", "A-1", {"plan_id": "PL-1", "partner_id": "P-2",
                                        "effective_from": "2026-01-01"}))
    assert partner_of(desk, "C-1") == "P-1"
    # what names P-2 and the plan goes in the same page, listed after them
    assert not page(desk, rec("partner", "P-1", None, 2), rec("partner", "P-2", None, 2),
                    rec("commission_plan", "PL-1", None, 2),
                    rec("plan_assignment", "A-1", None, 2)).errors
    # P-1 still has its client: kept, inactive; the rest is gone
    assert rows(desk, "SELECT uid, active FROM partners") == [("P-1", 0)]
    assert partner_of(desk, "C-1") == "P-1"
    assert rows(desk, "SELECT count(*) FROM plan_assignments") == [(0,)]
    assert rows(desk, "SELECT count(*) FROM commission_plans") == [(0,)]


def test_a_sent_payout_is_not_put_back_to_approved(desk: Desk) -> None:
    payout = {"partner_id": "P-1", "period_start": "2026-01-01", "period_end": "2026-01-31",
              "amount": "10.50", "currency": "USD", "status": "approved",
              "prepared_by": "finance", "approved_by": "finance2"}
    page(desk, rec("partner", "P-1", partner_data("One", "ONE")), rec("payout", "PO-1", payout))
    assert rows(desk, "SELECT status, amount_minor FROM payouts") == [("approved", 1050)]
    with desk.store.write() as s:
        dbapi(s).execute("UPDATE payouts SET status = 'sent'")
    page(desk, rec("payout", "PO-1", payout, 2))
    assert rows(desk, "SELECT status FROM payouts") == [("sent",)]
    page(desk, rec("payout", "PO-1", {**payout, "status": "paid"}, 3))
    assert rows(desk, "SELECT status FROM payouts") == [("paid",)]


def test_one_writer_remembers_what_waits_across_its_pages(desk: Desk) -> None:
    """The pull keeps one writer for all its pages: it reads what waits once, then
    keeps track itself."""
    payout = {"partner_id": "P-c", "period_start": "2026-01-01", "period_end": "2026-01-31",
              "amount": "10.50", "currency": "USD", "status": "draft", "prepared_by": "finance"}
    writer: MirrorWriter | None = None
    pages = [
        [rec("partner", "P-a", partner_data("A", "CODE-A")),
         rec("commission_plan", "PL-1", plan_data()),
         rec("plan_assignment", "A-1", {"plan_id": "PL-1", "partner_id": "P-b",
                                        "effective_from": "2026-01-01"})],
        [rec("partner", "P-b", partner_data("B", "CODE-B"))],
        [rec("payout", "PO-1", payout)],
        [rec("partner", "P-c", partner_data("C", "CODE-C"))]]
    for n, changes in enumerate(pages):
        with desk.store.write() as s:
            if writer is None:
                writer = MirrorWriter(dbapi(s))
            writer.db = writer.owned.db = dbapi(s)
            assert not writer.apply(changes).errors
        if n == 1:
            assert rows(desk, "SELECT uid FROM plan_assignments") == [("A-1",)]
    assert rows(desk, "SELECT p.uid, r.uid FROM payouts p JOIN partners r"
                      " ON r.id = p.partner_id") == [("PO-1", "P-c")]
    assert writer is not None and writer.owned.waiting == {}


def test_plan_terms_accrual_cannot_read_are_refused_alone(desk: Desk) -> None:
    float_rate = {**plan_data(), "rules": {"per_lot": [{"symbols": "*", "rate": 7}]}}
    result = page(desk, rec("commission_plan", "PL-bad", float_rate),
                  rec("commission_plan", "PL-1", plan_data()),
                  rec("plan_version", "V-bad", {
                      "plan_id": "PL-1", "effective_from": "2026-03-01",
                      "rules": {"per_lot": [{"rate": "7.00"}], "cpa": {"amount": "1"}},
                      "created_by": "admin"}))
    assert sorted((kind, rid) for kind, rid, _ in result.errors) == [
        ("commission_plan", "PL-bad"), ("plan_version", "V-bad")]
    assert "never a float" in next(r for k, _, r in result.errors if k == "commission_plan")
    assert rows(desk, "SELECT uid FROM commission_plans") == [("PL-1",)]
    # and the page after it still accrues: one bad plan never stops the desk
    assert not page(desk, rec("partner", "P-1", partner_data("One", "ONE"))).errors


def test_deals_that_arrived_before_their_client_was_referred_are_paid_later(
        desk: Desk) -> None:
    from app.services import commissions, partners
    from tests.sync.test_mirror_writer import account, deal

    pid = partners.create_partner(desk, "Late IB", "LATE", "USD")
    plan = partners.create_plan(desk, "Flat", "per_lot", "USD",
                                {"per_lot": [{"symbols": "*", "rate": "7.00"}],
                                 "count_on": "in"})
    partners.assign_plan(desk, plan, pid, date(2020, 1, 1))
    # the deal comes first, on a stand-in account; then the account; then the client's code
    closing = {**deal(1, 9100), "data": {**deal(1, 9100)["data"], "volume": "2.00"}}
    assert not page(desk, closing).errors
    assert not page(desk, client("C-9", None), account(9100, "C-9")).errors
    assert rows(desk, "SELECT count(*) FROM commission_accruals") == [(0,)]
    assert not page(desk, client("C-9", "LATE", version=2)).errors
    done = commissions.recalculate_after_sync(desk.store)
    assert done is not None and done.accruals_after == 1
    assert rows(desk, "SELECT amount_minor, partner_id FROM commission_accruals") == [
        (1400, pid)]   # 2.00 lots x 7.00
    assert commissions.recalculate_after_sync(desk.store) is None  # once
