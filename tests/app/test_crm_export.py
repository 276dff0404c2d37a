"""Exports of a client list to CSV and XLSX, read back with the csv module and openpyxl;
formulas stay text; nothing but the chosen file is written; who may export."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import openpyxl.worksheet._writer  # type: ignore[import-untyped]
import pytest

from app.crm.client_export import HEADER, export_clients
from app.crm.client_import import commit_import, preview_import
from app.crm.filters import ClientFilter
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.models.users import Role
from app.services.clients import ClientData, create_client
from app.services.workspace import Desk, init_workspace
from tests.app.test_crm_support import as_role
from tests.conftest import PASSWORD


@pytest.fixture
def listed(desk: Desk) -> Desk:
    for first, last, country, email, phone in [
        ("Алексей", "Фёдоров", "RU", "a.fedorov@mail.ru", "+79123456789"),
        ("Σοφία", "Παπαδοπούλου", "GR", "", "+302101234567"),
        ("Zoë", "=HYPERLINK(\"http://x\")", "SE", "zoe@example.com", ""),
        ("Anna", "Nowak", "PL", "anna@example.pl", ""),
    ]:
        create_client(desk, ClientData(first_name=first, last_name=last, country=country,
                                       email=email, phone=phone))
    return desk


def test_csv_export_reads_back(listed: Desk, tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    result = export_clients(listed, ClientFilter(countries=("RU", "GR", "SE")), path)
    assert (result.rows, result.format) == (3, "csv")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(HEADER)
    assert [r["Last name"] for r in rows] == \
        ["'=HYPERLINK(\"http://x\")", "Παπαδοπούλου", "Фёдоров"]  # by name, formula defused
    fedorov = rows[2]
    assert (fedorov["First name"], fedorov["Email"], fedorov["Phone"], fedorov["Country"],
            fedorov["Status"]) == ("Алексей", "a.fedorov@mail.ru", "+79123456789", "RU",
                                   "lead")


def test_xlsx_export_reads_back(listed: Desk, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    def no_temp_files(*args: object, **kwargs: object) -> str:
        raise AssertionError("client data went to a temporary file")

    # openpyxl's writer would put each sheet, in plain text, in a temporary file
    monkeypatch.setattr(openpyxl.worksheet._writer, "create_temporary_file", no_temp_files)
    out = tmp_path / "out"
    out.mkdir()
    path = out / "clients.xlsx"
    result = export_clients(listed, ClientFilter(text="zoe"), path)
    assert result.rows == 1
    assert [p.name for p in out.iterdir()] == ["clients.xlsx"]
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(HEADER)
    row = dict(zip(HEADER, rows[1], strict=True))
    assert row["Last name"] == "=HYPERLINK(\"http://x\")"  # text, not a formula
    assert sheet.cell(2, HEADER.index("Last name") + 1).data_type == "s"
    assert (row["First name"], row["Email"], row["Country"]) == ("Zoë", "zoe@example.com",
                                                                 "SE")
    assert row["Created (UTC)"] is not None
    everyone = export_clients(listed, ClientFilter(), tmp_path / "all.xlsx")
    assert everyone.rows == 4
    assert openpyxl.load_workbook(tmp_path / "all.xlsx").active.max_row == 5


def test_an_export_imports_into_another_workspace(listed: Desk, tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    export_clients(listed, ClientFilter(countries=("RU", "GR", "PL")), path)
    other = init_workspace(tmp_path / "other", password=PASSWORD, broker_name="Other Ltd",
                           base_currency="EUR", admin_username="admin",
                           admin_full_name="Ada Admin")
    try:
        preview = preview_import(other, path)
        assert preview.importable == 3 and not preview.problems
        assert len(commit_import(other, preview).client_ids) == 3
    finally:
        other.close()


def test_export_refusals_leave_no_file(listed: Desk, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    finance = as_role(listed, Role.FINANCE, "piotr")
    with pytest.raises(PermissionDenied, match="export client lists"):
        export_clients(finance, ClientFilter(), tmp_path / "x.csv")
    with pytest.raises(ValidationFailed, match=r"\.csv or \.xlsx"):
        export_clients(listed, ClientFilter(), tmp_path / "x.pdf")
    with pytest.raises(ValidationFailed, match="does not exist"):
        export_clients(listed, ClientFilter(), tmp_path / "missing" / "x.csv")
    # the filter fails while the file is being written: the partial file goes
    with pytest.raises(NotFound):
        export_clients(listed, ClientFilter(segment_ids=(42,)), tmp_path / "x.csv")
    assert list(tmp_path.iterdir()) == []
