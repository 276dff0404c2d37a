"""The Reports page: choose a report and its parameters, preview it in memory, save it
through the service, print it (to a PDF file through QPrinter, as a printer would get
it), and see the history from the audit log. All of it on the worker thread."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication

from app.models.trading import TradingAccount
from app.models.users import Role
from app.services import users
from app.services.report_library import KINDS, Param
from app.services.workspace import Desk, init_workspace, open_workspace
from tests.app.test_commission_reports import SEPT_RUN, seed
from tests.app.test_compliance_report import GREEK, World, build_world, logical
from tests.app.test_reports_pdf import deposit, write
from tests.ui.conftest import not_blank
from ui.views.reports_form import EVERY_CLIENT, NO_RUN
from ui.views.reports_view import ReportsPage
from ui.worker import DbWorker

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
PASSWORD = "reports-page-password"
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


def shot(widget: object, name: str) -> Path:
    QApplication.processEvents()  # lay out what the test just changed before the grab
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    widget.grab().save(str(path))  # type: ignore[attr-defined]
    return path


@pytest.fixture(scope="module")
def world_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, World]:
    folder = tmp_path_factory.mktemp("reports-page") / "ws"
    desk = init_workspace(folder, password=PASSWORD, broker_name="Kestrel Markets Ltd",
                          base_currency="USD", admin_username="admin",
                          admin_full_name="Ada Admin")
    seed(desk)
    world = build_world(desk)
    with desk.store.write() as s:
        s.add(TradingAccount(platform="gw", login=660001, client_id=world.greek, group="real",
                             currency="USD", leverage=30, status="active"))
    write(desk, deposit("G1", 660001, 123_456, datetime(2026, 10, 3, 9, tzinfo=UTC)))
    desk.close()
    return folder, world


@pytest.fixture
def page_desk(world_folder: tuple[Path, World]) -> Iterator[Desk]:
    desk = open_workspace(world_folder[0], PASSWORD)
    yield desk
    desk.close()


def open_page(qtbot, desk: Desk, worker: DbWorker) -> ReportsPage:  # type: ignore[no-untyped-def]
    page = ReportsPage(desk, worker)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.form.partner_box.count() > 0 and worker.pending == 0,
                    timeout=10000)
    return page


def settle(qtbot, page: ReportsPage) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not page.busy and page.worker.pending == 0, timeout=30000)


def choose(page: ReportsPage, name: str, period: tuple[date, date] | None = OCTOBER) -> None:
    page.form.set_kind(name)
    if period is not None:
        page.form.use_period.setChecked(True)
        page.form.period.set_period(*period)


def test_preview_shows_the_report_in_memory_and_lists_it(qtbot, page_desk: Desk,  # type: ignore[no-untyped-def]
                                                         worker: DbWorker) -> None:
    page = open_page(qtbot, page_desk, worker)
    choose(page, "compliance")
    started = time.perf_counter()
    page.preview()
    returned = time.perf_counter() - started
    assert returned < 0.2 and page.busy and not page.preview_button.isEnabled()
    settle(qtbot, page)
    assert page.shown is not None
    pages = len(PdfReader(io.BytesIO(page.shown[2])).pages)
    assert page.viewer.pages == pages >= 1
    assert page.message.text() == (f"Preview of the KYC/AML compliance report, "
                                   f"2026-10-01 to 2026-10-31 ({pages} page"
                                   f"{'s' if pages != 1 else ''}).")
    qtbot.waitUntil(lambda: page.history.table.rowCount() > 0, timeout=10000)
    first = [page.history.table.item(0, c).text() for c in range(7)]
    assert first[1:6] == ["Ada Admin", "KYC/AML compliance report", "Preview",
                          "2026-10-01 to 2026-10-31", str(pages)]
    assert not_blank(shot(page, "reports_preview")) > 20
    page.viewer.next_page()
    assert page.viewer.page == min(1, pages - 1)


def test_save_writes_the_chosen_client_statement(qtbot, page_desk: Desk,  # type: ignore[no-untyped-def]
                                                 worker: DbWorker, tmp_path: Path) -> None:
    page = open_page(qtbot, page_desk, worker)
    choose(page, "statement")
    page.form.client_search.setText("Παπαδόπουλος")
    qtbot.waitUntil(lambda: page.form.client_box.currentText().startswith(GREEK),
                    timeout=10000)
    assert page.suggested_name() == (
        f"statement-client-{page.form.client_box.currentData()}-2026-10-01-2026-10-31.pdf")
    out = tmp_path / page.suggested_name()
    dialog = page.ask_save()
    assert dialog.isVisible() and Path(dialog.selectedFiles()[0]).name == out.name
    dialog.selectFile(str(out))
    dialog.accept()  # as the person pressing Save: the service writes the file
    settle(qtbot, page)
    assert page.message.text().startswith(
        f"Saved the Client account statement, {GREEK} (#")
    assert page.message.text().endswith(f"(1 page) to {out}.")
    text = logical(PdfReader(out).pages[0].extract_text())
    assert GREEK in text and "1,234.56" in text and "Kestrel Markets Ltd" in text
    qtbot.waitUntil(lambda: page.history.table.rowCount() > 0
                    and page.history.table.item(0, 6).text() == out.name, timeout=10000)
    assert page.history.table.item(0, 3).text() == "Saved"
    shot(page, "reports_saved")


def test_print_draws_every_page_onto_the_printer(qtbot, page_desk: Desk,  # type: ignore[no-untyped-def]
                                                 worker: DbWorker, tmp_path: Path,
                                                 world_folder: tuple[Path, World]) -> None:
    page = open_page(qtbot, page_desk, worker)
    choose(page, "audit", period=None)
    page.form.use_period.setChecked(False)
    page.form.client_search.setText("الهاشمي")
    qtbot.waitUntil(lambda: page.form.client_box.currentData() is None
                    and page.form.client_box.count() == 2, timeout=10000)
    page.form.client_box.setCurrentIndex(1)
    assert page.form.params().client_id == world_folder[1].arabic
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(printed))
    page.print_to(printer)  # no preview yet: it is made first, then printed
    qtbot.waitUntil(lambda: page.message.text().startswith("Sent"), timeout=30000)
    assert page.shown is not None
    expected = len(PdfReader(io.BytesIO(page.shown[2])).pages)
    assert page.message.text().startswith(f"Sent {expected} page")
    assert len(PdfReader(printed).pages) == expected
    # The printed page is the report drawn as an image: render it back and look.
    doc = QPdfDocument()
    doc.load(str(printed))
    image = QImage(QSize(595, 842), QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.drawImage(0, 0, doc.render(0, QSize(595, 842)))
    painter.end()
    doc.close()
    SHOTS.mkdir(exist_ok=True)
    image.save(str(SHOTS / "reports_printed_page.png"))
    assert not_blank(SHOTS / "reports_printed_page.png") > 10
    # Printing the same report again reuses the preview: no new audit entry.
    settle(qtbot, page)
    before = page.history.table.rowCount()
    assert page.history.lines[0].title == "Audit-trail extract" and page.history.lines[0].preview
    again = tmp_path / "again.pdf"
    printer.setOutputFileName(str(again))
    page.print_to(printer)
    qtbot.waitUntil(lambda: again.exists() and not page.busy, timeout=30000)
    page.load_history()
    settle(qtbot, page)
    assert page.history.table.rowCount() == before
    assert len(PdfReader(again).pages) == expected


def test_the_form_asks_for_what_each_report_needs(qtbot, page_desk: Desk,  # type: ignore[no-untyped-def]
                                                  worker: DbWorker) -> None:
    page = open_page(qtbot, page_desk, worker)
    form = page.form
    rows = {Param.CLIENT: form.client_row, Param.PARTNER: form.partner_box,
            Param.RUN: form.run_box, Param.PERIOD: form.period_row}
    for name, k in KINDS.items():
        form.set_kind(name)
        for param, widget in rows.items():
            assert form.layout_.isRowVisible(widget) == (param in k.params), (name, param)
        assert form.use_period.isVisibleTo(page) == (Param.PERIOD in k.optional), name
        assert form.about.text().startswith(k.help[:1].upper())
    form.set_kind("audit")
    assert form.client_box.itemText(0) == EVERY_CLIENT
    form.set_kind("statement")
    assert form.client_box.count() == 0 or form.client_box.itemText(0) != EVERY_CLIENT
    form.set_kind("payouts")
    assert form.run_box.itemText(0) == NO_RUN and form.use_period.isChecked()
    form.run_box.setCurrentIndex(form.run_box.findData(SEPT_RUN))
    assert not form.use_period.isChecked() and not form.period.isEnabled()
    assert form.params().run == SEPT_RUN and form.params().period is None
    form.set_kind("commission")
    form.partner_box.setCurrentIndex(form.partner_box.findData("AUR"))
    form.period.set_period(*OCTOBER)
    params = form.params()
    assert (params.partner, params.client_id, params.run) == ("AUR", None, None)
    assert params.period is not None and params.period.label == "2026-10-01 to 2026-10-31"
    shot(page, "reports_form_commission")


def test_mistakes_are_said_on_the_page(qtbot, page_desk: Desk,  # type: ignore[no-untyped-def]
                                       worker: DbWorker) -> None:
    page = open_page(qtbot, page_desk, worker)
    choose(page, "statement")
    page.form.client_search.setText("nobody-has-this-name")
    qtbot.waitUntil(lambda: page.form.client_box.count() == 0, timeout=10000)
    page.preview()
    settle(qtbot, page)
    assert page.message.text() == "Choose the client whose statement this is."
    assert page.preview_button.isEnabled() and page.viewer.pages == 0


def test_a_clerk_is_told_why_nothing_can_be_run(qtbot, page_desk: Desk,  # type: ignore[no-untyped-def]
                                                worker: DbWorker) -> None:
    clerk = Desk(page_desk.store, users.add_user(page_desk, f"cleo{time.time_ns()}",
                                                 "Cleo Clerk", Role.CLERK))
    page = ReportsPage(clerk, worker)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    assert worker.pending == 0  # nothing was asked of the store
    assert "Cleo Clerk (Clerk) may not run reports" in page.message.text()
    assert not page.preview_button.isEnabled() and not page.save_button.isEnabled()
    assert not page.print_button.isEnabled() and not page.form.isEnabled()


def test_print_asks_with_the_print_dialog_on_a4(qtbot, page_desk: Desk,  # type: ignore[no-untyped-def]
                                                worker: DbWorker) -> None:
    page = open_page(qtbot, page_desk, worker)
    choose(page, "reconciliation")
    page.ask_print()  # makes the preview first (on the worker), then asks
    qtbot.waitUntil(lambda: page.print_dialog is not None and page.print_dialog.isVisible(),
                    timeout=30000)
    dialog = page.print_dialog
    assert dialog is not None and page.viewer.pages >= 1
    layout = dialog.printer().pageLayout()
    assert layout.pageSize().id() == QPageSize.PageSizeId.A4
    assert layout.orientation() == QPageLayout.Orientation.Portrait
    dialog.reject()  # a real printer is not there to print on; print_to is tested above
    assert not page.busy and page.print_button.isEnabled()


@pytest.mark.qt_log_ignore("QPainter::begin")
def test_a_printer_that_cannot_start_is_said(qtbot, page_desk: Desk,  # type: ignore[no-untyped-def]
                                             worker: DbWorker, tmp_path: Path) -> None:
    page = open_page(qtbot, page_desk, worker)
    choose(page, "reconciliation")
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "no-such-folder" / "out.pdf"))
    page.print_to(printer)
    qtbot.waitUntil(lambda: "could not be started" in page.message.text(), timeout=30000)
    assert page.message.text() == ("The printer could not be started; check that it is "
                                   "connected.")
    assert not page.busy and page.print_button.isEnabled()
