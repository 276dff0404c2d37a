"""Segments: rules checked with clear refusals, evaluated in SQL over deposits, volume,
country, tags and ages; counts per segment; the defaults seeded once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.crm.filters import ClientFilter, count_clients
from app.crm.segment_rules import describe, validate_rule
from app.crm.segments import (
    create_segment,
    delete_segment,
    list_segments,
    segment_counts,
    update_segment,
)
from app.crm.setup import prepare_workspace
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.models.crm import Client, ClientTag, Segment
from app.models.users import Role
from app.services.clients import ClientData, create_client
from app.services.workspace import Desk
from tests.app.test_crm_support import (
    DAY_MS,
    NOW_MS,
    account_rec,
    as_role,
    client_id,
    client_rec,
    deal_rec,
    mirror,
    payment_rec,
)


@pytest.fixture
def broker(desk: Desk) -> dict[str, int]:
    """Four platform clients with known deposits, volume and ages, and one lead."""
    mirror(
        desk,
        client_rec("W", "Whale", "Big", country="CY"), account_rec(1, "W"),
        payment_rec("W", 1, "8000.00"), payment_rec("W", 1, "4000.00"),
        payment_rec("W", 1, "9000.00", status="failed"),
        deal_rec(1, 1, NOW_MS - 5 * DAY_MS, volume="12.50"),
        deal_rec(2, 1, NOW_MS - 4 * DAY_MS, volume="12.50", action="SELL", entry="OUT"),
        client_rec("E", "Euro", "Saver", country="DE"), account_rec(2, "E", currency="EUR"),
        payment_rec("E", 2, "20000.00", currency="EUR"),
        deal_rec(3, 2, NOW_MS - 100 * DAY_MS, volume="3.00", currency="EUR"),
        client_rec("S", "Small", "Trader", country="GB"),
        account_rec(3, "S", opened_ms=NOW_MS - 20 * DAY_MS),
        payment_rec("S", 3, "250.00"), deal_rec(4, 3, NOW_MS - DAY_MS, volume="0.10"),
        client_rec("N", "No", "Deposit", country="GB"),
        account_rec(4, "N", opened_ms=NOW_MS - 10 * DAY_MS),
    )
    ids = {k: client_id(desk, k) for k in "WESN"}
    ids["L"] = create_client(desk, ClientData(last_name="Lead", country="FR"))
    old = datetime.now(UTC) - timedelta(days=500)
    with desk.store.write() as s:
        s.execute(update(Client).where(Client.id.in_([ids["W"], ids["E"]]))
                  .values(created_at=old))
        s.add(ClientTag(client_id=ids["S"], tag="webinar"))
    return ids


def members(desk: Desk, rule: dict[str, object]) -> set[int]:
    seg = create_segment(desk, f"t{len(list_segments(desk))}", rule)
    listing_filter = ClientFilter(segment_ids=(seg,))
    from app.crm.filters import client_listing

    listing = client_listing(desk, listing_filter)
    with desk.store.read() as s:
        rows = listing.page(s, "", None, False, 0, 100)
    assert count_clients(desk, listing_filter) == len(rows)
    return {listing.row_key(r) for r in rows}


def test_rules_select_by_data(desk: Desk, broker: dict[str, int]) -> None:
    b = broker

    def rule(*conds: dict[str, object]) -> set[int]:
        return members(desk, {"all": list(conds)})

    # completed deposits only, per currency
    assert rule({"field": "deposits", "currency": "USD", "op": ">=", "value": "10000"}) == \
        {b["W"]}
    assert rule({"field": "deposits", "currency": "EUR", "op": ">", "value": "0"}) == {b["E"]}
    # a client without any deposit has a total of zero
    assert rule({"field": "deposits", "currency": "USD", "op": "<", "value": "1000"}) == \
        {b["S"], b["N"], b["E"], b["L"]}
    assert rule({"field": "deposit_count", "op": "=", "value": 0}) == {b["N"], b["L"]}
    assert rule({"field": "deposit_count", "op": ">=", "value": 2}) == {b["W"]}
    # lots opened (closing deals do not count twice), optionally within a window
    assert rule({"field": "volume_lots", "op": ">=", "value": "3"}) == {b["W"], b["E"]}
    assert rule({"field": "volume_lots", "op": ">=", "value": "3", "days": 30}) == {b["W"]}
    assert rule({"field": "volume_lots", "op": "=", "value": "0", "days": 30}) == \
        {b["E"], b["N"], b["L"]}
    assert rule({"field": "country", "in": ["gb", "FR"]}) == {b["S"], b["N"], b["L"]}
    assert rule({"field": "tag", "in": ["webinar"]}) == {b["S"]}
    assert rule({"field": "status", "in": ["lead"]}) == {b["L"]}
    assert rule({"field": "client_age_days", "op": ">=", "value": 365}) == {b["W"], b["E"]}
    assert rule({"field": "client_age_days", "op": "<", "value": 30}) == \
        {b["S"], b["N"], b["L"]}
    assert rule({"field": "account_age_days", "op": ">=", "value": 365}) == {b["W"], b["E"]}
    assert rule({"field": "account_age_days", "op": "<=", "value": 15}) == {b["N"]}
    assert rule({"field": "country", "in": ["GB"]},
                {"field": "deposit_count", "op": ">=", "value": 1}) == {b["S"]}


def test_counts_per_segment_in_one_pass(desk: Desk, broker: dict[str, int]) -> None:
    prepared = prepare_workspace(desk.store)
    assert prepared.segments_added == 6
    counts = {c.name: c.count for c in segment_counts(desk)}
    assert counts == {"Active traders": 1, "Funded, not trading": 1, "High depositors": 1,
                      "Long-standing": 2, "New clients": 3, "Verified, no deposit": 0}
    with desk.store.write() as s:
        s.execute(update(Client).where(Client.id == broker["N"]).values(status="verified"))
    assert {c.name: c.count for c in segment_counts(desk)}["Verified, no deposit"] == 1


def test_defaults_are_seeded_once(desk: Desk) -> None:
    assert prepare_workspace(desk.store).segments_added == 6
    seg = next(s for s in list_segments(desk) if s.name == "New clients")
    delete_segment(desk, seg.id)
    again = prepare_workspace(desk.store)
    assert again.segments_added == 0 and again.search_terms is None
    assert "New clients" not in {s.name for s in list_segments(desk)}


@pytest.mark.parametrize(("rule", "message"), [
    ([], r'is \{"all": \[conditions\]\}'),
    ({"all": []}, "at least one condition"),
    ({"all": [{"field": "wealth", "op": ">", "value": 1}]}, "needs a field, one of"),
    ({"all": [{"field": "country", "in": ["XX"]}]}, "Unknown country: XX"),
    ({"all": [{"field": "status", "in": ["sleeping"]}]}, "Unknown status: sleeping"),
    ({"all": [{"field": "status", "in": []}]}, "needs a list of values"),
    ({"all": [{"field": "deposits", "currency": "XYZ", "op": ">", "value": "1"}]},
     "Unknown currency"),
    ({"all": [{"field": "deposits", "currency": "USD", "op": ">", "value": "1.001"}]},
     "more decimal places"),
    ({"all": [{"field": "deposits", "currency": "USD", "op": "~", "value": "1"}]},
     "comparison must be one of"),
    ({"all": [{"field": "volume_lots", "op": ">", "value": -1}]}, "zero or more"),
    ({"all": [{"field": "deposit_count", "op": ">", "value": "1.5"}]}, "whole number"),
    ({"all": [{"field": "volume_lots", "op": ">", "value": 1.5}]}, "as text"),
    ({"all": [{"field": "has_partner", "is": "yes"}]}, "true or false"),
])
def test_bad_rules_are_refused_in_words(desk: Desk, rule: object, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message) as err:
        validate_rule(rule)
    assert err.value.field == "rule"


def test_segment_services(desk: Desk) -> None:
    rule = {"all": [{"field": "deposits", "currency": "USD", "op": ">=", "value": "500",
                     "days": 90}, {"field": "has_partner", "is": True}]}
    seg = create_segment(desk, "  Partner   depositors ", rule, "IB clients who fund")
    row = next(s for s in list_segments(desk) if s.id == seg)
    assert row.name == "Partner depositors"
    assert row.summary == ("deposits in the last 90 days >= 500 USD; introduced by a partner")
    with pytest.raises(ValidationFailed, match="already a segment called"):
        create_segment(desk, "Partner depositors", rule)
    update_segment(desk, seg, "Partner funders", {"all": [{"field": "has_partner",
                                                           "is": False}]})
    assert describe(next(s for s in list_segments(desk) if s.id == seg).rule) == "no partner"
    officer = as_role(desk, Role.COMPLIANCE, "nadia")
    with pytest.raises(PermissionDenied):
        create_segment(officer, "Mine", rule)
    with pytest.raises(PermissionDenied):
        delete_segment(officer, seg)
    assert [c.name for c in segment_counts(officer)] == ["Partner funders"]  # may look
    delete_segment(desk, seg)
    with pytest.raises(NotFound):
        delete_segment(desk, seg)
    with desk.store.read() as s:
        assert s.scalar(select(Segment.id)) is None
