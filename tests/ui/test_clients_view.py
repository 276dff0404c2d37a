"""The client list as a clerk uses it: search in any script, filters and their count,
saved filters, bulk tag and manager, export to CSV/XLSX, import with a preview."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QDialogButtonBox
from sqlalchemy import select

from app.crm.filters import ClientFilter, count_clients, matching_ids
from app.crm.saved_filters import list_filters, save_filter
from app.crm.setup import prepare_workspace
from app.demo.generator import fill
from app.models.crm import Client, ClientStatus, ClientTag
from app.models.users import Role
from app.services import users
from app.services.clients import ClientData, create_client
from app.services.workspace import Desk
from tests.ui.conftest import not_blank
from ui.dialogs.client_import import ClientImportDialog
from ui.dialogs.import_preview import DUPLICATE_ROW, PROBLEM_CELL, PROBLEM_ROW
from ui.views.clients_view import ClientsPage
from ui.worker import DbWorker

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
TOTAL = 152  # the demo's 150 and the two below


@pytest.fixture
def crm(desk: Desk) -> dict[str, int]:
    fill(desk, clients=150, seed=5)
    ids = {
        "greek": create_client(desk, ClientData(
            first_name="Ξανθίππη", last_name="Καραγιαννοπούλου", country="GR",
            email="xanthippi.k@example.gr", phone="+30 210 123 4567")),
        "russian": create_client(desk, ClientData(
            first_name="Алексей", last_name="Белозёров", country="RU",
            email="a.belozerov@example.ru")),
    }
    prepare_workspace(desk.store)
    return ids


def open_page(qtbot, desk: Desk, worker: DbWorker) -> ClientsPage:
    page = ClientsPage(desk, worker)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    page.refresh()
    wait_count(qtbot, page, TOTAL)
    qtbot.waitUntil(lambda: len(page.filters.country.choices()) > 3, timeout=5000)
    return page


def wait_count(qtbot, page: ClientsPage, n: int) -> None:
    qtbot.waitUntil(lambda: page.worker.pending == 0 and page.list.model.rowCount() == n
                    and page.list.count_label.text().startswith(f"{n:,} "), timeout=10000)


def search(qtbot, page: ClientsPage, text: str) -> None:
    page.list.search.setText(text)
    qtbot.waitUntil(lambda: page.list.model.search == text and page.worker.pending == 0,
                    timeout=5000)


def shot(widget, name: str) -> Path:
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    widget.grab().save(str(path))
    return path


def test_search_finds_names_in_another_script_emails_and_phones(qtbot, desk, worker,
                                                                  crm) -> None:
    page = open_page(qtbot, desk, worker)
    for text, who in (("karagiannopoulou", "greek"), ("ΚΑΡΑΓΙΑΝΝΟΠΟΥΛΟΥ", "greek"),
                      ("xanthippi kara", "greek"), ("alexey belozerov", "russian"),
                      ("белозеров", "russian"), ("2101234567", "greek"),
                      ("a.belozerov@example.ru", "russian")):
        search(qtbot, page, text)
        assert page.list.model.rowCount() == 1, text
        assert page.list.model.key_at(0) == crm[who], text
        assert page.list.count_label.text() == "1 client match"
    search(qtbot, page, "zzqx-nobody")
    assert page.list.model.rowCount() == 0
    assert page.list.stack.currentWidget() is page.list.empty
    assert "zzqx-nobody" in page.list.empty.text()


def test_filters_narrow_the_count_in_sql(qtbot, desk, worker, crm) -> None:
    page = open_page(qtbot, desk, worker)
    assert page.list.count_label.text() == f"{TOTAL} clients"
    active = count_clients(desk, ClientFilter(statuses=(ClientStatus.ACTIVE,)))
    page.filters.status.flip(ClientStatus.ACTIVE)
    wait_count(qtbot, page, active)
    assert 0 < active < TOTAL
    assert page.filters.status.text() == "Status: active"
    both = count_clients(desk, ClientFilter(statuses=(ClientStatus.ACTIVE,),
                                            countries=("GR", "CY")))
    page.filters.country.flip("GR")
    page.filters.country.flip("CY")
    wait_count(qtbot, page, both)
    assert 0 < both < active
    assert page.list.count_label.text() == f"{both} clients match"
    countries = {page.list.model.data(page.list.model.index(r, 3)) for r in range(both)}
    assert countries <= {"GR", "CY"}
    page.list.table.selectRow(0)
    qtbot.waitUntil(lambda: page.detail.data is not None and page.worker.pending == 0,
                    timeout=5000)
    path = shot(page, "clients_filtered")
    assert not_blank(path) > 30
    page.filters.clear()
    wait_count(qtbot, page, TOTAL)


def test_saved_filter_round_trips_and_only_the_owner_deletes(qtbot, desk, worker,
                                                              crm) -> None:
    colleague = Desk(desk.store, users.add_user(desk, "mara", "Mara Clerk", Role.CLERK))
    save_filter(colleague, "Mara's leads", ClientFilter(statuses=(ClientStatus.LEAD,)),
                shared=True)
    clerk = Desk(desk.store, users.add_user(desk, "tom", "Tom Clerk", Role.CLERK))
    page = open_page(qtbot, clerk, worker)
    bar = page.filters
    bar.status.flip(ClientStatus.ACTIVE)
    bar.country.flip("GR")
    expected = count_clients(desk, ClientFilter(statuses=(ClientStatus.ACTIVE,),
                                                countries=("GR",)))
    wait_count(qtbot, page, expected)

    bar.ask_save()
    dialog = bar.last_dialog
    assert dialog is not None
    dialog.name.setText("Active Greeks")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: bar.saved_box.currentText() == "Active Greeks", timeout=5000)
    assert bar.delete_button.isEnabled()

    bar.ask_save()  # the same name again is refused in words, nothing saved twice
    again = bar.last_dialog
    assert again is not None and again is not dialog
    again.name.setText("Active  Greeks")
    again.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: again.error.isVisible(), timeout=5000)
    assert "already have a filter called Active Greeks" in again.error.text()
    again.reject()  # the next ask_save disposes of it

    bar.clear()
    wait_count(qtbot, page, TOTAL)
    assert bar.status.selected() == () and bar.saved_box.currentIndex() == 0
    index = bar.saved_box.findText("Active Greeks")
    bar.saved_box.setCurrentIndex(index)
    bar.saved_box.activated.emit(index)
    wait_count(qtbot, page, expected)
    assert bar.status.selected() == (ClientStatus.ACTIVE,)
    assert bar.country.selected() == ("GR",)

    shared = bar.saved_box.findText("Mara's leads (Mara Clerk)")
    assert shared > 0
    bar.saved_box.setCurrentIndex(shared)
    assert not bar.delete_button.isEnabled()  # a colleague's filter: use it, not delete it

    bar.saved_box.setCurrentIndex(bar.saved_box.findText("Active Greeks"))
    bar.delete_button.click()
    qtbot.waitUntil(lambda: bar.saved_box.findText("Active Greeks") < 0, timeout=5000)
    assert [f.name for f in list_filters(clerk)] == ["Mara's leads"]


def test_bulk_tag_for_the_selection_and_manager_for_the_whole_filter(qtbot, desk, worker,
                                                                     crm) -> None:
    page = open_page(qtbot, desk, worker)
    selection = page.list.table.selectionModel()
    for row in (0, 2, 5):
        selection.select(page.list.model.index(row, 0),
                         QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)
    ids, missing = page.selected_ids()
    assert len(ids) == 3 and missing == 0
    page.list_actions.ask_bulk(tag=True)
    dialog = page.list_actions.dialog
    assert dialog is not None and dialog.only_selected.isChecked()
    dialog.tag.setText("Webinar   2025")
    path = shot(dialog, "clients_bulk_tag")
    assert not_blank(path) > 8
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: "added to 3 clients" in page.list_actions.message.text(),
                    timeout=5000)
    with desk.store.read() as s:
        tagged = set(s.scalars(select(ClientTag.client_id)
                               .where(ClientTag.tag == "webinar 2025")))
    assert tagged == set(ids)
    qtbot.waitUntil(lambda: "webinar 2025" in page.filters.tag_values(), timeout=5000)
    page.filters.tag.flip("webinar 2025")
    wait_count(qtbot, page, 3)

    page.filters.clear()
    page.filters.country.flip("GR")
    greeks = count_clients(desk, ClientFilter(countries=("GR",)))
    wait_count(qtbot, page, greeks)
    page.list.table.clearSelection()
    manager = users.add_user(desk, "lena", "Lena Manager", Role.MANAGER)
    page.list_actions.ask_bulk(tag=False)
    assign = page.list_actions.dialog
    assert assign is not None and assign.all_matching.isChecked()
    assert not assign.only_selected.isEnabled()
    qtbot.waitUntil(lambda: assign.manager.findData(manager.id) > 0, timeout=5000)
    assign.manager.setCurrentIndex(assign.manager.findData(manager.id))
    assign.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: "assigned to Lena Manager" in page.list_actions.message.text(),
                    timeout=5000)
    with desk.store.read() as s:
        managed = set(s.scalars(select(Client.id).where(Client.manager_id == manager.id)))
        expected = set(s.scalars(matching_ids(s, ClientFilter(countries=("GR",)))))
    assert managed == expected and len(managed) == greeks


def test_bulk_change_refusal_is_shown_in_the_dialog(qtbot, desk, worker, crm) -> None:
    page = open_page(qtbot, desk, worker)
    page.list.table.selectRow(0)
    page.list_actions.ask_bulk(tag=True)
    dialog = page.list_actions.dialog
    assert dialog is not None
    dialog.tag.setText("x" * 41)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=5000)
    assert "1 to 40 characters" in dialog.error.text()
    with desk.store.read() as s:
        assert s.scalar(select(ClientTag.client_id).where(ClientTag.tag == "x" * 41)) is None


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_writes_the_filtered_list(qtbot, desk, worker, crm, tmp_path: Path,
                                         fmt: str) -> None:
    page = open_page(qtbot, desk, worker)
    page.filters.country.flip("GR")
    greeks = count_clients(desk, ClientFilter(countries=("GR",)))
    wait_count(qtbot, page, greeks)
    target = tmp_path / f"greek clients.{fmt}"
    page.list_actions.export_to(target)
    assert page.list_actions.progress.isVisible()
    qtbot.waitUntil(lambda: page.list_actions.operation is None, timeout=10000)
    assert page.list_actions.message.text() == f"Exported {greeks} clients to {target}."
    if fmt == "csv":
        with target.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(target, read_only=True).active
        values = list(sheet.iter_rows(values_only=True))
        rows = [dict(zip(values[0], r, strict=True)) for r in values[1:]]
    assert len(rows) == greeks
    assert {r["Country"] for r in rows} == {"GR"}
    assert any(r["Last name"] == "Καραγιαννοπούλου" for r in rows)
    with desk.store.read() as s:
        assert {int(r["ID"]) for r in rows} == set(
            s.scalars(matching_ids(s, ClientFilter(countries=("GR",)))))


BROKEN_CSV = """first_name,last_name,email,phone,country,date_of_birth,shoe size
Anna,Schmidt,anna.schmidt@example.de,+49 30 1234567,DE,1980-02-03,38
Юлия,Морозова,yulia.morozova@example.ru,,RU,1990-05-06,37
Bad,Email,not-an-email,,GB,1985-01-01,41
No,Country,nocountry@example.com,,Atlantis,1985-01-01,42
Dupe,Schmidt,anna.schmidt@example.de,,DE,,39
Old,Client,xanthippi.k@example.gr,,GR,1970-01-01,40
"""


def test_import_shows_row_errors_and_imports_only_when_accepted(qtbot, desk, worker, crm,
                                                                tmp_path: Path) -> None:
    page = open_page(qtbot, desk, worker)
    source = tmp_path / "new clients.csv"
    source.write_text(BROKEN_CSV, encoding="utf-8")
    page.list_actions.ask_import()
    dialog = page.list_actions.import_dialog
    assert isinstance(dialog, ClientImportDialog)
    dialog.read_file(source)
    qtbot.waitUntil(lambda: dialog.preview is not None and not dialog.busy(), timeout=10000)
    text = dialog.summary.text()
    assert "6 rows read from new clients.csv: 2 rows can be imported." in text
    assert "2 rows have problems" in text and "2 rows are already here" in text
    assert "shoe size" in text and "Nothing has been imported yet" in text
    assert dialog.import_button.isEnabled() and dialog.import_button.text() == "Import 2 clients"

    model = dialog.model
    by_line = {model.row_at(r).line: r for r in range(model.rowCount())}
    email_col, country_col = 7, 9

    def colour(line: int, column: int) -> object:
        brush = model.data(model.index(by_line[line], column), Qt.ItemDataRole.BackgroundRole)
        return None if brush is None else brush.color()

    assert colour(2, 0) is None and colour(3, 0) is None
    assert colour(4, email_col) == PROBLEM_CELL and colour(4, 0) == PROBLEM_ROW
    assert colour(5, country_col) == PROBLEM_CELL
    assert colour(6, 0) == DUPLICATE_ROW and colour(7, 0) == DUPLICATE_ROW
    problems = model.data(model.index(by_line[5], 2))
    assert "country: Atlantis is not a country" in problems
    assert "Line 2 has the same email" in model.data(model.index(by_line[6], 2))
    dialog.only_attention.setChecked(True)
    assert model.rowCount() == 4
    dialog.only_attention.setChecked(False)
    dialog.show()
    path = shot(dialog, "client_import_preview")
    assert not_blank(path) > 30
    assert count_clients(desk, ClientFilter()) == TOTAL  # nothing yet: only a preview

    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.import_result is not None and not dialog.busy(),
                    timeout=10000)
    assert dialog.summary.text().startswith("Imported 2 clients")
    assert "Skipped 2 rows with problems and 2 rows already here" in dialog.summary.text()
    assert not dialog.import_button.isEnabled()
    assert count_clients(desk, ClientFilter()) == TOTAL + 2
    wait_count(qtbot, page, TOTAL + 2)
    assert page.list_actions.message.text() == "Imported 2 clients from the file."
    search(qtbot, page, "morozova")  # the imported client is searchable at once
    assert page.list.model.rowCount() == 1
    dialog.close()


def test_import_of_a_file_without_the_required_columns_imports_nothing(
        qtbot, desk, worker, tmp_path: Path) -> None:
    source = tmp_path / "contacts.csv"
    source.write_text("name;mail\nAnna Schmidt;anna@example.de\n", encoding="utf-8")
    dialog = ClientImportDialog(desk)
    qtbot.addWidget(dialog)
    dialog.read_file(source)
    qtbot.waitUntil(lambda: not dialog.busy() and dialog.summary.text() != ""
                    and not dialog.summary.text().startswith("Reading"), timeout=10000)
    assert "The header lacks required columns" in dialog.summary.text()
    assert "last_name (or company_name) and country are required" in dialog.summary.text()
    assert dialog.preview is None and not dialog.import_button.isEnabled()
    assert count_clients(desk, ClientFilter()) == 0
