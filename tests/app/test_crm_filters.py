"""Client list filters (in SQL, combinable, with search text), saved filters per user and
shared, bulk tagging and manager assignment (one transaction, audited, sent to the
gateway for platform clients), and who may do what."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select, update

from app.crm import bulk
from app.crm.bulk import bulk_assign_manager, bulk_tag
from app.crm.filters import ClientFilter, client_listing, count_clients, filter_choices
from app.crm.saved_filters import (
    delete_filter,
    list_filters,
    load_filter,
    save_filter,
    update_filter,
)
from app.crm.segments import create_segment
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.models.crm import Client, ClientStatus, ClientTag, RiskRating
from app.models.partners import Partner
from app.models.users import Role
from app.services.clients import ClientData, create_client
from app.services.workspace import Desk
from tests.app.test_crm_support import (
    as_role,
    audit_actions,
    client_rec,
    mirror,
    outbox,
)


@pytest.fixture
def book(desk: Desk) -> dict[str, int]:
    """Six clients with every filtered property set differently."""
    manager = as_role(desk, Role.CLERK, "chris").actor.id
    with desk.store.write() as s:
        partner = Partner(uid="p-1", name="Aegean Introducers", referral_code="IB001",
                          currency="USD")
        s.add(partner)
        s.flush()
        partner_id = partner.id
    rows = {
        "anna": ("Anna", "Nowak", "PL", "Retail", RiskRating.LOW, ClientStatus.LEAD),
        "bob": ("Bob", "Brown", "GB", "VIP", RiskRating.HIGH, ClientStatus.REGISTERED),
        "cleo": ("Cleo", "Brown", "GB", "Retail", RiskRating.MEDIUM, ClientStatus.REGISTERED),
        "dara": ("Dara", "Nowak", "IE", "Professional", RiskRating.LOW, ClientStatus.LEAD),
        "eli": ("Eli", "Cohen", "IL", "Retail", RiskRating.HIGH, ClientStatus.LEAD),
        "fay": ("Fay", "Adams", "GB", "VIP", RiskRating.UNRATED, ClientStatus.LEAD),
    }
    ids = {}
    for key, (first, last, country, segment, risk, status) in rows.items():
        ids[key] = create_client(desk, ClientData(
            first_name=first, last_name=last, country=country, segment=segment,
            risk_rating=risk, status=status,
            manager_id=manager if key in ("bob", "cleo") else None))
    with desk.store.write() as s:
        s.execute(update(Client).where(Client.id.in_([ids["anna"], ids["bob"]]))
                  .values(partner_id=partner_id))
        s.add_all([ClientTag(client_id=ids["cleo"], tag="webinar"),
                   ClientTag(client_id=ids["eli"], tag="newsletter"),
                   ClientTag(client_id=ids["fay"], tag="webinar")])
    ids["manager"], ids["partner"] = manager, partner_id
    return ids


def names(desk: Desk, f: ClientFilter, search: str = "") -> list[str]:
    listing = client_listing(desk, f)
    with desk.store.read() as s:
        rows = listing.page(s, search, None, False, 0, 100)
        assert listing.count(s, search) == len(rows)
    return [listing.cell(r, 1) for r in rows]


def test_each_filter_alone(desk: Desk, book: dict[str, int]) -> None:
    assert names(desk, ClientFilter(statuses=(ClientStatus.REGISTERED,))) == \
        ["Brown, Bob", "Brown, Cleo"]
    assert names(desk, ClientFilter(countries=("GB",))) == \
        ["Adams, Fay", "Brown, Bob", "Brown, Cleo"]
    assert names(desk, ClientFilter(segments=("VIP",))) == ["Adams, Fay", "Brown, Bob"]
    assert names(desk, ClientFilter(tags=("webinar",))) == ["Adams, Fay", "Brown, Cleo"]
    assert names(desk, ClientFilter(manager_ids=(book["manager"],))) == \
        ["Brown, Bob", "Brown, Cleo"]
    assert names(desk, ClientFilter(manager_ids=(None,))) == \
        ["Adams, Fay", "Cohen, Eli", "Nowak, Anna", "Nowak, Dara"]
    assert names(desk, ClientFilter(risks=(RiskRating.HIGH,))) == ["Brown, Bob", "Cohen, Eli"]
    assert names(desk, ClientFilter(partner_ids=(book["partner"],))) == \
        ["Brown, Bob", "Nowak, Anna"]
    assert len(names(desk, ClientFilter(partner_ids=(None,)))) == 4


def test_filters_combine_with_each_other_and_the_search(desk: Desk,
                                                        book: dict[str, int]) -> None:
    f = ClientFilter(countries=("GB", "PL"), risks=(RiskRating.LOW, RiskRating.HIGH))
    assert names(desk, f) == ["Brown, Bob", "Nowak, Anna"]
    assert names(desk, replace(f, tags=("webinar",))) == []
    assert names(desk, f, "brown") == ["Brown, Bob"]
    assert names(desk, ClientFilter(manager_ids=(book["manager"], None)), "brown") == \
        ["Brown, Bob", "Brown, Cleo"]
    assert count_clients(desk, replace(f, text="nowak")) == 1


def test_a_rule_segment_filters_the_list(desk: Desk, book: dict[str, int]) -> None:
    seg = create_segment(desk, "Irish and Israeli", {"all": [
        {"field": "country", "in": ["IE", "IL"]}]})
    assert names(desk, ClientFilter(segment_ids=(seg,))) == ["Cohen, Eli", "Nowak, Dara"]
    assert names(desk, ClientFilter(segment_ids=(seg,), risks=(RiskRating.HIGH,))) == \
        ["Cohen, Eli"]
    with pytest.raises(NotFound, match="no longer exists"):
        client_listing(desk, ClientFilter(segment_ids=(seg + 99,)))


def test_filter_choices_offer_what_is_there(desk: Desk, book: dict[str, int]) -> None:
    choices = filter_choices(desk)
    assert choices.countries == ["GB", "IE", "IL", "PL"]
    assert choices.segments == ["Professional", "Retail", "VIP"]
    assert choices.tags == ["newsletter", "webinar"]
    assert choices.managers == [(book["manager"], "Chris")]
    assert choices.partners == [(book["partner"], "Aegean Introducers")]


def test_filters_survive_saving(desk: Desk, book: dict[str, int]) -> None:
    f = ClientFilter(text="brown", statuses=(ClientStatus.REGISTERED,), countries=("GB",),
                     tags=("webinar",), manager_ids=(book["manager"], None),
                     risks=(RiskRating.MEDIUM,), partner_ids=(None,), segment_ids=(3,))
    assert ClientFilter.from_json(f.to_json()) == f
    assert ClientFilter().to_json() == {}
    with pytest.raises(ValidationFailed, match="does not know"):
        ClientFilter.from_json({"statuses": ["sleeping"]})


def test_saved_filters_are_per_user_and_optionally_shared(desk: Desk,
                                                          book: dict[str, int]) -> None:
    clerk = as_role(desk, Role.CLERK, "maria")
    officer = as_role(desk, Role.COMPLIANCE, "nadia")
    gb = ClientFilter(countries=("GB",))
    mine = save_filter(clerk, "UK clients", gb)
    shared = save_filter(clerk, "High risk", ClientFilter(risks=(RiskRating.HIGH,)),
                         shared=True)
    with pytest.raises(ValidationFailed, match="already have a filter called UK clients"):
        save_filter(clerk, "  UK   clients ", gb)
    save_filter(officer, "UK clients", gb)  # the same name is fine for someone else
    assert [(r.name, r.mine) for r in list_filters(clerk)] == \
        [("High risk", True), ("UK clients", True)]
    assert [(r.name, r.mine, r.owner) for r in list_filters(officer)] == \
        [("UK clients", True, "Nadia"), ("High risk", False, "Maria")]
    assert load_filter(officer, shared).risks == (RiskRating.HIGH,)
    with pytest.raises(NotFound):
        load_filter(officer, mine)  # not shared
    with pytest.raises(PermissionDenied, match="belongs to a colleague"):
        update_filter(officer, shared, name="Mine now")
    with pytest.raises(PermissionDenied):
        delete_filter(officer, shared)
    update_filter(clerk, mine, f=replace(gb, statuses=(ClientStatus.LEAD,)), shared=True)
    assert load_filter(officer, mine).statuses == (ClientStatus.LEAD,)
    delete_filter(desk, mine)  # an administrator may tidy up
    assert [r.name for r in list_filters(clerk)] == ["High risk"]


def test_bulk_tagging_a_selection_and_a_filter_result(desk: Desk,
                                                      book: dict[str, int]) -> None:
    result = bulk_tag(desk, [book["anna"], book["bob"]], add=["Gold ", "webinar"])
    assert (result.matched, result.changed) == (2, 2)
    result = bulk_tag(desk, ClientFilter(countries=("GB",)), add=["webinar"])
    assert (result.matched, result.changed) == (3, 0)  # Bob, Cleo and Fay had it already
    result = bulk_tag(desk, ClientFilter(tags=("webinar",)), remove=["webinar"],
                      add=["seminar"])
    assert (result.matched, result.changed) == (4, 4)
    with desk.store.read() as s:
        tags = sorted(tuple(r) for r in s.execute(select(ClientTag.client_id, ClientTag.tag)))
    assert tags == sorted([(book["anna"], "gold"), (book["anna"], "seminar"),
                           (book["bob"], "gold"), (book["bob"], "seminar"),
                           (book["cleo"], "seminar"), (book["eli"], "newsletter"),
                           (book["fay"], "seminar")])
    assert audit_actions(desk, book["anna"]).count("client.tags") == 2
    assert audit_actions(desk, book["dara"]).count("client.tags") == 0


def test_bulk_changes_of_platform_clients_go_to_the_gateway(desk: Desk) -> None:
    mirror(desk, client_rec("C-1", "Lena", "Fischer", country="DE"),
           client_rec("C-2", "Felix", "Weber", country="DE"))
    clerk = as_role(desk, Role.CLERK, "chris")
    bulk_tag(desk, ClientFilter(countries=("DE",)), add=["dach"])
    bulk_assign_manager(desk, ClientFilter(countries=("DE",)), clerk.actor.id)
    profiles = [c.payload["data"] for c in outbox(desk)
                if c.payload.get("kind") == "client_profile"]
    assert len(profiles) == 4
    assert {p["client_id"] for p in profiles} == {"C-1", "C-2"}
    assert all(p["tags"] == ["dach"] for p in profiles)
    assert [p["manager"] for p in profiles[2:]] == ["chris", "chris"]


def test_bulk_manager_assignment(desk: Desk, book: dict[str, int]) -> None:
    other = as_role(desk, Role.MANAGER, "svetlana").actor.id
    with desk.store.read() as s:
        before = s.get(Client, book["bob"]).version  # type: ignore[union-attr]
    result = bulk_assign_manager(desk, ClientFilter(segments=("VIP",)), other)
    assert (result.matched, result.changed) == (2, 2)
    assert bulk_assign_manager(desk, [book["bob"]], other).changed == 0
    with desk.store.read() as s:
        bob = s.get(Client, book["bob"])
        assert bob is not None and bob.manager_id == other and bob.version == before + 1
    assert "client.assign_manager" in audit_actions(desk, book["fay"])
    assert bulk_assign_manager(desk, [book["bob"], book["fay"]], None).changed == 2
    assert names(desk, ClientFilter(manager_ids=(other,))) == []


def test_bulk_refusals_change_nobody(desk: Desk, book: dict[str, int],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    officer = as_role(desk, Role.COMPLIANCE, "nadia")
    with pytest.raises(PermissionDenied, match="create and edit clients"):
        bulk_tag(officer, [book["anna"]], add=["x"])
    with pytest.raises(PermissionDenied):
        bulk_assign_manager(officer, [book["anna"]], None)
    with pytest.raises(NotFound, match="Client 999 no longer exists"):
        bulk_tag(desk, [book["anna"], 999], add=["x"])
    with pytest.raises(ValidationFailed, match="No clients"):
        bulk_tag(desk, ClientFilter(countries=("FR",)), add=["x"])
    with pytest.raises(ValidationFailed, match="1 to 40"):
        bulk_tag(desk, [book["anna"]], add=["x" * 41])
    with pytest.raises(ValidationFailed, match="active user"):
        bulk_assign_manager(desk, [book["anna"]], 999)
    monkeypatch.setattr(bulk, "MAX_CLIENTS", 3)
    with pytest.raises(ValidationFailed, match="would change 6 clients"):
        bulk_tag(desk, ClientFilter(), add=["x"])
    with desk.store.read() as s:
        assert s.scalar(select(func.count()).select_from(ClientTag)
                        .where(ClientTag.tag == "x")) == 0


def test_a_bulk_change_is_one_transaction(desk: Desk, book: dict[str, int],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def failing_on_third(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")

    monkeypatch.setattr(bulk, "_send_profile", failing_on_third)
    with pytest.raises(OSError):
        bulk_tag(desk, ClientFilter(), add=["x"])
    with desk.store.read() as s:
        assert s.scalar(select(func.count()).select_from(ClientTag)
                        .where(ClientTag.tag == "x")) == 0
    assert "client.tags" not in audit_actions(desk, book["anna"])
