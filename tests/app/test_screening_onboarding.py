"""Clients are screened when they are created and when their name changes, in the
same transaction as the change."""

from __future__ import annotations

from pathlib import Path

from app.models.crm import ClientKind
from app.services import screening
from app.services.clients import ClientData, create_client, get_client, update_client
from app.services.workspace import Desk

OFAC = Path(__file__).resolve().parents[2] / "resources" / "sanctions" / "ofac"


def test_onboarding_and_a_change_of_name_are_screened(desk: Desk) -> None:
    screening.import_list(desk, "ofac", [OFAC / "sdn.csv", OFAC / "alt.csv", OFAC / "add.csv"])
    listed = create_client(desk, ClientData(kind=ClientKind.PERSON, first_name="Rustam",
                                            last_name="Karimov", country="UZ"))
    assert [h.listed_name for h in screening.hits_for_client(desk, listed)] == [
        "KARIMOV, Rustam Bakhtiyorovich"]
    clean = create_client(desk, ClientData(kind=ClientKind.PERSON, first_name="Rustam",
                                           last_name="Kerimli", country="AZ"))
    assert screening.hits_for_client(desk, clean) == []
    data, version, _ = get_client(desk, clean)
    from dataclasses import replace

    update_client(desk, clean, replace(data, last_name="Karimov", country="UZ"), version)
    hits = screening.hits_for_client(desk, clean)
    assert len(hits) == 1 and hits[0].entry_ref == "10002"
    data, version, _ = get_client(desk, clean)
    update_client(desk, clean, replace(data, segment="vip"), version)  # not a name: no rerun
    assert len(screening.hits_for_client(desk, clean)) == 1
