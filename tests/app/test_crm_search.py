"""Client search: every kind of term, in several scripts, accents and case ignored; terms
follow edits, contacts, synced records and documents; the backfill of old workspaces."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from sqlalchemy import func, select, text

from app.crm import search_index
from app.crm.contacts import add_contact, remove_contact
from app.crm.filters import ClientFilter, client_listing
from app.crm.terms import TERMS_VERSION, client_terms, phone_terms, query_words
from app.models.crm import ClientSearchTerm, ContactKind
from app.models.kyc import DocumentStatus, KycDocument
from app.queries.catalogue import CLIENTS as LIKE_LISTING
from app.services.clients import ClientData, create_client, get_client, update_client
from app.services.workspace import Desk, get_setting, set_setting
from tests.app.test_crm_support import (
    account_rec,
    client_id,
    client_rec,
    mirror,
    open_kyc_case,
)

PEOPLE = {
    "fedorov": ClientData(first_name="Алексей", last_name="Фёдоров", country="RU",
                          email="a.fedorov@mail.ru", phone="+7 912 345 6789"),
    "papadopoulos": ClientData(first_name="Σωκράτης", last_name="Παπαδόπουλος", country="CY",
                               phone="+357 22 123456"),
    "angstrom": ClientData(first_name="Zoë", last_name="Ångström", country="SE",
                           email="Zoe.Angstrom@Example.com"),
    "muller": ClientData(first_name="Jürgen", last_name="Müller", country="DE",
                         phone="+49 30 1234567"),
    "mansouri": ClientData(first_name="محمد", last_name="المنصوري", country="AE"),
    "obrien": ClientData(first_name="Seán", last_name="O'Brien", country="IE",
                         email="sean.obrien@example.ie"),
    "smith": ClientData(first_name="John", last_name="Smith", country="GB",
                        email="john@smith.co.uk"),
    "dobrovolsky": ClientData(first_name="Игорь", last_name="Добровольский", country="RU"),
}


@pytest.fixture
def people(desk: Desk) -> dict[str, int]:
    return {key: create_client(desk, data) for key, data in PEOPLE.items()}


def found(desk: Desk, query: str) -> set[int]:
    listing = client_listing(desk, ClientFilter())
    with desk.store.read() as s:
        count = listing.count(s, query)
        rows = listing.page(s, query, None, False, 0, 100)
    assert count == len(rows)
    return {listing.row_key(r) for r in rows}


@pytest.mark.parametrize(("query", "who"), [
    # names: the script they were written in, Latin letters, accents and case ignored
    ("aleksei", "fedorov"), ("алексей", "fedorov"), ("ALEXEY", "fedorov"),
    ("Фёдоров", "fedorov"), ("федоров", "fedorov"), ("fedorov", "fedorov"),
    ("Παπαδόπουλος", "papadopoulos"), ("παπαδοπουλος", "papadopoulos"),
    ("papadopoulos", "papadopoulos"), ("sokratis", "papadopoulos"),
    ("Zoë", "angstrom"), ("zoe", "angstrom"), ("ÅNGSTRÖM", "angstrom"),
    ("smyth", "smith"),  # sounds alike
    ("angstrom", "angstrom"), ("müller", "muller"), ("MULLER", "muller"),
    ("jurgen", "muller"), ("محمد", "mansouri"), ("المنصوري", "mansouri"),
    ("mohammed", "mansouri"), ("muhammad", "mansouri"),
    ("obrien", "obrien"), ("o'brien", "obrien"), ("sean o'brien", "obrien"),
    ("SEAN", "obrien"),
    # the soft sign is no word break; -ский is written -sky, -skiy or -ski
    ("dobrovolsky", "dobrovolsky"), ("dobrovolskiy", "dobrovolsky"),
    ("dobrovolski", "dobrovolsky"), ("добровольский", "dobrovolsky"),
    # prefixes and several words (every word must match)
    ("papad", "papadopoulos"), ("aleksei fed", "fedorov"), ("smi jo", "smith"),
    # emails: whole, local part, domain
    ("a.fedorov@mail.ru", "fedorov"), ("zoe.angstrom@example.com", "angstrom"),
    ("sean.obrien", "obrien"), ("mail.ru", "fedorov"), ("smith.co.uk", "smith"),
    # phones: digits with or without the country code, with a trunk 0, as typed
    ("22123456", "papadopoulos"), ("35722123456", "papadopoulos"),
    ("+357 22 123456", "papadopoulos"), ("022123456", "papadopoulos"),
    ("9123456789", "fedorov"), ("+7 (912) 345-67-89", "fedorov"),
    ("0301234567", "muller"),
])
def test_search_finds_exactly_the_client(desk: Desk, people: dict[str, int], query: str,
                                         who: str) -> None:
    assert found(desk, query) == {people[who]}


def test_a_query_matching_nobody_finds_nobody(desk: Desk, people: dict[str, int]) -> None:
    assert found(desk, "aleksei smith") == set()
    assert found(desk, "zzz") == set()
    assert found(desk, "99999999") == set()
    # an empty search is no search: everybody
    assert found(desk, "   ") == set(people.values())


def test_logins_and_id_numbers_are_found(desk: Desk) -> None:
    mirror(desk, client_rec("C-1", "Nadia", "Haddad", country="AE"),
           account_rec(5_001_234, "C-1"), account_rec(5_009_876, "C-1"),
           client_rec("C-2", "Omar", "Farouk", country="EG"), account_rec(6_100_000, "C-2"))
    nadia, omar = client_id(desk, "C-1"), client_id(desk, "C-2")
    assert found(desk, "5001234") == {nadia}
    assert found(desk, "5009876") == {nadia}
    assert found(desk, "50") == {nadia}  # a login prefix
    assert found(desk, "6100000") == {omar}
    case = open_kyc_case(desk, omar)
    with desk.store.write() as s:
        s.add(KycDocument(uid=str(uuid.uuid4()), case_id=case, doc_type="passport",
                          number="AB 123-456", status=DocumentStatus.NEW, file_name="p.pdf",
                          mime_type="application/pdf", sha256="0" * 64, size=1))
        search_index.refresh_clients(s, [omar])  # what the KYC services call
    assert found(desk, "AB123456") == {omar}
    assert found(desk, "ab 123-456") == {omar}
    assert found(desk, "ab12") == {omar}


def test_a_login_moves_with_its_account(desk: Desk) -> None:
    mirror(desk, client_rec("C-1", "Nadia", "Haddad", country="AE"),
           client_rec("C-2", "Omar", "Farouk", country="EG"), account_rec(5_001_234, "C-1"))
    nadia, omar = client_id(desk, "C-1"), client_id(desk, "C-2")
    assert found(desk, "5001234") == {nadia}
    mirror(desk, account_rec(5_001_234, "C-2"))  # the platform gave it to Omar
    assert found(desk, "5001234") == {omar}
    mirror(desk, client_rec("C-1", "Nadia", "Haddad-Saleh", country="AE"))
    assert found(desk, "5001234") == {omar}  # a refresh of Nadia does not bring it back
    assert found(desk, "haddad saleh") == {nadia}


def test_terms_follow_client_edits(desk: Desk, people: dict[str, int]) -> None:
    cid = people["smith"]
    data, version, _ = get_client(desk, cid)
    update_client(desk, cid, replace(data, last_name="Jones", email="j.jones@example.org"),
                  version)
    assert found(desk, "smith") == set()
    assert found(desk, "john@smith") == set()
    assert found(desk, "jones") == {cid}
    assert found(desk, "j.jones@example.org") == {cid}


def test_extra_contacts_are_searched_until_removed(desk: Desk, people: dict[str, int]) -> None:
    cid = people["muller"]
    contact = add_contact(desk, cid, ContactKind.PHONE, "+44 7700 900123")
    add_contact(desk, cid, ContactKind.EMAIL, "juergen.mueller@firma.de")
    assert found(desk, "07700900123") == {cid}
    assert found(desk, "juergen.mueller@") == {cid}
    remove_contact(desk, contact)
    assert found(desk, "07700900123") == set()


def test_clients_from_the_gateway_get_terms_in_the_same_transaction(desk: Desk) -> None:
    mirror(desk, client_rec("C-9", "Ιωάννης", "Οικονόμου", country="GR",
                            email="ioannis@example.gr", phone="+30 210 1234567"))
    cid = client_id(desk, "C-9")
    assert found(desk, "oikonomou") == {cid}
    assert found(desk, "ioannis@example.gr") == {cid}
    assert found(desk, "2101234567") == {cid}
    # a newer version of the record renames the client: the old name is gone
    mirror(desk, client_rec("C-9", "Ιωάννης", "Βλάχος", country="GR"))
    assert found(desk, "oikonomou") == set()
    assert found(desk, "vlachos") == {cid}


def test_terms_of_one_client() -> None:
    terms = client_terms(names=["Алексей", "Фёдоров"], emails=["A.Fedorov@Mail.ru"],
                         phones=["+79123456789"], logins=[5001], documents=["AB 12-34"])
    assert {"алексеи", "aleksey", "aleksei", "федоров", "fedorov"} <= terms
    assert {"a.fedorov@mail.ru", "mail.ru", "fedorov"} <= terms
    assert {"79123456789", "9123456789", "09123456789", "5001", "ab1234", "1234"} <= terms
    # the country code is known from the number itself (ITU codes are prefix-free)
    assert phone_terms("+35722123456") == {"35722123456", "22123456", "022123456"}
    assert phone_terms("+442079460000") == {"442079460000", "2079460000", "02079460000"}
    assert phone_terms("22123456") == {"22123456"}  # not international: as it is


def test_query_words_keep_numbers_and_emails_whole() -> None:
    assert query_words("+357 22 123456") == [("35722123456",)]
    assert query_words("john@smith.co.uk") == [("john@smith.co.uk",)]
    words = query_words("O'Brien-Smith")
    assert [w in forms for w, forms in zip(("o", "brien", "smith"), words, strict=True)] \
        == [True, True, True]
    # a sound-alike form shorter than what was typed would match far too much
    assert all(len(f) >= 3 for f in query_words("zzz")[0])
    assert query_words("") == []


def test_backfill_fills_an_empty_table_once(desk: Desk, people: dict[str, int]) -> None:
    with desk.store.write() as s:
        s.execute(text("DELETE FROM client_search_terms"))
    assert found(desk, "aleksei") == set()

    def cancel(done: int, total: int) -> None:
        raise KeyboardInterrupt  # the person closed the workspace during the backfill

    with pytest.raises(KeyboardInterrupt):
        search_index.ensure_search_terms(desk.store, cancel)
    assert found(desk, "aleksei") == set()  # rolled back, still to be done
    steps: list[tuple[int, int]] = []
    rebuilt = search_index.ensure_search_terms(desk.store,
                                               lambda d, t: steps.append((d, t)))
    assert steps == [(len(people), len(people))]
    assert rebuilt is not None and rebuilt.clients == len(people) and rebuilt.terms > 50
    assert found(desk, "aleksei") == {people["fedorov"]}
    assert search_index.ensure_search_terms(desk.store) is None  # current: nothing to do
    with desk.store.read() as s:
        assert get_setting(s, search_index.VERSION_KEY) == TERMS_VERSION
        before = s.scalar(select(func.count()).select_from(ClientSearchTerm))
    # terms made by other rules are rebuilt, and come out the same
    with desk.store.write() as s:
        set_setting(s, search_index.VERSION_KEY, "0")
    assert search_index.ensure_search_terms(desk.store) is not None
    with desk.store.read() as s:
        assert s.scalar(select(func.count()).select_from(ClientSearchTerm)) == before


def test_search_pages_and_sorts_by_name_in_sql(desk: Desk) -> None:
    for i in range(30):
        create_client(desk, ClientData(first_name=f"Anna{i:02d}", last_name="Kowalska",
                                       country="PL"))
    listing = client_listing(desk, ClientFilter())
    with desk.store.read() as s:
        assert listing.count(s, "kowal") == 30
        first = listing.page(s, "kowal", None, False, 0, 10)
        second = listing.page(s, "kowal", None, False, 10, 10)
        last = listing.page(s, "kowal", None, True, 0, 1)
    names = [listing.cell(r, 1) for r in first + second]
    assert names == [f"Kowalska, Anna{i:02d}" for i in range(20)]
    assert listing.cell(last[0], 1) == "Kowalska, Anna29"


def test_other_lists_keep_their_like_search(desk: Desk, people: dict[str, int]) -> None:
    with desk.store.read() as s:  # the listing without a matcher: substring search
        assert LIKE_LISTING.count(s, "ngstr") == 1
    assert found(desk, "ngstr") == set()  # the term index matches word starts
