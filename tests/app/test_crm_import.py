"""Importing clients from CSV: the preview with per-row problems and duplicates, the
import of the valid new rows in one transaction (nothing on any failure), encodings,
delimiters, broken files, and who may import."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.crm import client_import
from app.crm.client_import import commit_import, preview_bytes, preview_import
from app.crm.filters import ClientFilter, count_clients
from app.errors import BackdeskError, PermissionDenied, ValidationFailed
from app.models.audit import AuditEntry
from app.models.crm import Client, ClientStatus, ClientTag
from app.models.users import Role
from app.services.clients import ClientData, create_client
from app.services.workspace import Desk
from tests.app.test_crm_support import as_role

BROKEN = """first_name,last_name,email,phone,country,date_of_birth,status,manager,tags
Anna,Nowak,anna@example.pl,+48 601 234 567,PL,1985-03-14,,chris,"webinar, gold"
Bob,Brown,bob@example,+44 20 7946 0000,GB,1990-01-01,,,
Cleo,,cleo@example.com,,GB,,,,
Dara,Murphy,dara@example.ie,0035318765432,Ireland,31.12.1979,registered,,
Eli,Cohen,eli@example.co.il,12345,XX,1980-02-30,active,nobody,
Fay,Adams,taken@example.com,,GB,,,,
Gus,Grey,anna@example.pl,,GB,,,,
Hana,Sato,hana@example.jp,,JP,2999-01-01,,,
"""


@pytest.fixture
def clerk(desk: Desk) -> Desk:
    clerk = as_role(desk, Role.CLERK, "chris")
    create_client(desk, ClientData(last_name="Existing", country="GB",
                                   email="taken@example.com"))
    return clerk


def problems(preview: client_import.ImportPreview) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for p in preview.problems:
        out.setdefault(p.line, {})[p.field] = p.message
    return out


def test_the_preview_names_each_problem_by_line_and_field(clerk: Desk) -> None:
    preview = preview_bytes(clerk, BROKEN.encode(), "leads.csv")
    assert (preview.encoding, preview.delimiter) == ("UTF-8", ",")
    assert len(preview.rows) == 8
    found = problems(preview)
    assert set(found) == {3, 4, 6, 9}
    assert found[3] == {"email": "bob@example is not a valid email address."}
    assert found[4] == {"last_name": "Enter the client's last name."}
    assert set(found[6]) == {"phone", "country", "date_of_birth", "status", "manager"}
    assert "international form" in found[6]["phone"]
    assert "XX is not a country we know" in found[6]["country"]
    assert "1980-02-30 is not a date" in found[6]["date_of_birth"]
    assert "starts as a lead or registered, not active" in found[6]["status"]
    assert "no active desk user called nobody" in found[6]["manager"]
    assert "in the past" in found[9]["date_of_birth"]
    by_line = {r.line: r for r in preview.rows}
    assert by_line[7].duplicate.startswith("A client with taken@example.com already exists")
    assert by_line[8].duplicate == "Line 2 has the same email anna@example.pl."
    assert (preview.importable, preview.invalid, preview.duplicates) == (2, 4, 2)
    anna, dara = by_line[2].data, by_line[5].data
    assert anna is not None and dara is not None
    assert (anna.phone, anna.manager_id, by_line[2].tags) == \
        ("+48601234567", clerk.actor.id, ("webinar", "gold"))
    assert (dara.country, dara.phone, str(dara.date_of_birth), dara.status) == \
        ("IE", "+35318765432", "1979-12-31", ClientStatus.REGISTERED)
    assert by_line[6].values["country"] == "XX"  # what the file said, for the dialog
    with clerk.store.read() as s:  # a preview writes nothing
        assert s.scalar(select(func.count()).select_from(Client)) == 1


def test_the_import_takes_valid_new_rows_only(clerk: Desk) -> None:
    preview = preview_bytes(clerk, BROKEN.encode(), "leads.csv")
    result = commit_import(clerk, preview)
    assert len(result.client_ids) == 2
    assert (result.skipped_invalid, result.skipped_duplicates) == (4, 2)
    with clerk.store.read() as s:
        rows = s.execute(select(Client.display_name, Client.status, Client.manager_id)
                         .where(Client.id.in_(result.client_ids))
                         .order_by(Client.id)).all()
        tags = sorted(s.scalars(select(ClientTag.tag)))
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "client.import")).one()
    assert [tuple(r) for r in rows] == [("Nowak, Anna", ClientStatus.LEAD, clerk.actor.id),
                                        ("Murphy, Dara", ClientStatus.REGISTERED, None)]
    assert tags == ["gold", "webinar"]
    assert entry.after is not None and entry.after["imported"] == 2
    assert entry.after["sha256"] == preview.sha256
    # imported clients are searchable at once
    assert count_clients(clerk, ClientFilter(text="nowak")) == 1
    assert count_clients(clerk, ClientFilter(text="18765432")) == 1
    # the same file again: every valid row is now a duplicate
    with pytest.raises(ValidationFailed, match="No row can be imported"):
        commit_import(clerk, preview_bytes(clerk, BROKEN.encode(), "leads.csv"))
    # and accepting the old preview again finds the duplicates at commit time
    with pytest.raises(ValidationFailed, match="No row can be imported"):
        commit_import(clerk, preview)


def test_a_failure_during_the_import_imports_nothing(clerk: Desk,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    preview = preview_bytes(clerk, BROKEN.encode(), "leads.csv")

    def crash(*args: object) -> int:
        raise OSError("disk I/O error")  # after the clients and tags were written

    monkeypatch.setattr(client_import.search_index, "refresh_clients", crash)
    with pytest.raises(BackdeskError, match="nothing was imported"):
        commit_import(clerk, preview)
    with clerk.store.read() as s:
        assert s.scalar(select(func.count()).select_from(Client)) == 1
        assert s.scalar(select(func.count()).select_from(ClientTag)) == 0
        assert s.scalar(select(AuditEntry.id).where(
            AuditEntry.action == "client.import")) is None
    monkeypatch.undo()
    assert len(commit_import(clerk, preview).client_ids) == 2


def test_excel_files_from_europe_and_other_encodings(clerk: Desk, tmp_path: Path) -> None:
    semicolons = ("Vorname;Nachname;E-Mail;Land;Geburtsdatum\n"
                  "Jürgen;Müller;jm@example.de;Germany;01.02.1970\n"
                  "Σοφία;Παπαδοπούλου;;GR;\n")
    path = tmp_path / "kunden.csv"
    path.write_bytes(b"\xef\xbb\xbf" + semicolons.replace("Vorname", "first name")
                     .replace("Nachname", "surname").replace("E-Mail", "email")
                     .replace("Land", "country").replace("Geburtsdatum", "dob").encode())
    preview = preview_import(clerk, path)
    assert (preview.encoding, preview.delimiter, preview.importable) == \
        ("UTF-8 with BOM", ";", 2)
    assert [r.data.last_name for r in preview.rows if r.data] == ["Müller", "Παπαδοπούλου"]
    utf16 = preview_bytes(clerk, "last_name\tcountry\nÅngström\tSE\n".encode("utf-16"), "x")
    assert (utf16.encoding, utf16.delimiter, utf16.importable) == ("UTF-16", "\t", 1)
    with pytest.raises(ValidationFailed, match=r"not UTF-8 text.*CSV UTF-8"):
        preview_bytes(clerk, "last_name,country\nСмирнов,RU\n".encode("cp1251"), "x")
    ignored = preview_bytes(clerk, b"ID,last_name,country,Notes\n7,Smith,GB,vip\n", "x")
    assert ignored.ignored_columns == ["Notes"]  # an export's ID column is expected


@pytest.mark.parametrize(("content", "message"), [
    (b"", "The file is empty"),
    (b"  \n\n", "The file is empty"),
    (b"last_name,country\n", "a header but no clients"),
    (b"name,email\nSmith,s@example.com\n", "lacks required columns"),
    (b"Smith,s@example.com,GB\n", "first line holds data"),
    (b"last_name,Surname,country\nA,B,GB\n", "names last name twice"),
    (b"PK\x03\x04\x14\x00\x00\x00", "not a CSV text file"),
    (b'last_name,country\n"Smith,GB\n', "not valid CSV near line"),
])
def test_broken_files_are_refused_as_a_whole(clerk: Desk, content: bytes,
                                             message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        preview_bytes(clerk, content, "bad.csv")


def test_a_missing_file_is_a_clear_refusal(clerk: Desk, tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="cannot be read"):
        preview_import(clerk, tmp_path / "nope.csv")


def test_only_people_allowed_to_import_may_import(desk: Desk, clerk: Desk) -> None:
    officer = as_role(desk, Role.COMPLIANCE, "nadia")
    with pytest.raises(PermissionDenied, match="import clients from files"):
        preview_bytes(officer, BROKEN.encode(), "x")
    preview = preview_bytes(clerk, BROKEN.encode(), "x")
    with pytest.raises(PermissionDenied):
        commit_import(officer, preview)
