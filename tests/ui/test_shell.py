"""The desktop shell, driven as a clerk would drive it, on the offscreen platform."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.services import clients as client_service
from app.services.workspace import open_workspace
from tests.conftest import PASSWORD
from tests.ui.conftest import not_blank
from ui.app import Controller
from ui.dialogs.unlock import FirstRunDialog, UnlockDialog
from ui.lazy_model import SqlPageModel
from ui.main_window import MainWindow
from ui.views.clients_view import ClientsPage
from ui.views.list_page import ListPage
from ui.worker import DbWorker

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def _unlock(qtbot, controller: Controller, password: str) -> None:
    dialog = controller.dialog
    assert isinstance(dialog, UnlockDialog)
    dialog.password.setText(password)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


@pytest.fixture
def controller(qtbot, demo_folder: Path, settings: QSettings):
    c = Controller(demo_folder, settings)
    c.start()
    yield c
    c.shutdown()
    assert not c.worker.isRunning()


def test_unlock_wrong_then_right_password(qtbot, controller: Controller) -> None:
    dialog = controller.dialog
    assert isinstance(dialog, UnlockDialog)
    qtbot.addWidget(dialog)
    SHOTS.mkdir(exist_ok=True)
    dialog.grab().save(str(SHOTS / "unlock.png"))
    assert not_blank(SHOTS / "unlock.png") > 8
    _unlock(qtbot, controller, "wrong password")
    qtbot.waitUntil(lambda: dialog.error.isVisible() and "not correct" in dialog.error.text())
    assert controller.window is None and dialog.password.text() == ""
    with qtbot.waitSignal(controller.unlocked, timeout=15000):
        _unlock(qtbot, controller, PASSWORD)
    assert isinstance(controller.window, MainWindow)


def test_main_window_shows_every_part(qtbot, controller: Controller) -> None:
    with qtbot.waitSignal(controller.unlocked, timeout=15000):
        _unlock(qtbot, controller, PASSWORD)
    window = controller.window
    assert window is not None
    names = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert names == ["Dashboard", "Clients", "KYC", "Screening", "Payments", "Accounting",
                     "Partners", "Compliance", "Exceptions", "Reports", "Audit", "Sync"]
    for name in names:
        page = window.part(name)
        target = getattr(page, "list", page)
        if isinstance(target, ListPage):
            qtbot.waitUntil(lambda t=target: t.count_label.text() != "Loading…", timeout=10000)
            if name in ("Clients", "KYC", "Payments", "Partners", "Compliance", "Audit"):
                assert target.model.rowCount() > 0, name
            else:  # Accounting and Sync are empty in the demo: a clear empty state
                assert target.stack.currentWidget() is target.empty, name
                assert len(target.empty.text()) > 20
    from sqlalchemy import func, select

    from app.models.crm import ClientSearchTerm

    def indexed() -> int:  # the demo's clients become searchable after unlock
        assert controller.desk is not None
        with controller.desk.store.read() as s:
            return s.scalar(select(func.count()).select_from(ClientSearchTerm)) or 0

    qtbot.waitUntil(lambda: indexed() > 400, timeout=15000)
    compliance = window.part("Compliance")
    qtbot.waitUntil(lambda: compliance.alerts.model.rowCount() > 0, timeout=10000)
    compliance.alerts.table.selectRow(0)  # an alert links to its client's page
    qtbot.waitUntil(lambda: compliance.alerts.client_button.isEnabled(), timeout=10000)
    chosen = compliance.alerts.current
    assert chosen is not None and chosen.client_id is not None
    compliance.alerts.client_button.click()
    assert window.nav.currentItem().text() == "Clients"
    client_page = window.part("Clients").client_page
    qtbot.waitUntil(lambda: client_page.client_id == chosen.client_id, timeout=10000)
    exceptions = window.part("Exceptions")
    qtbot.waitUntil(lambda: exceptions.model.rowCount() > 0, timeout=10000)
    from app.queries.exceptions import RecordRef

    window.open_record(RecordRef("payment", 1))  # an exception opens where it is worked
    assert window.nav.currentItem().text() == "Payments"
    dash = window.part("Dashboard")
    qtbot.waitUntil(lambda: dash.figures is not None, timeout=10000)
    assert dash.figures.clients == 400
    window.part("Clients")
    page = window.part("Clients")
    qtbot.waitUntil(lambda: page.list.model.rowCount() == 400, timeout=10000)
    page.list.table.selectRow(0)
    qtbot.waitUntil(lambda: page.detail.data is not None, timeout=10000)
    window.resize(1280, 800)
    qtbot.wait(200)
    window.grab().save(str(SHOTS / "main_window.png"))
    assert not_blank(SHOTS / "main_window.png") > 30
    assert window.sync_label.text().startswith("Offline")
    assert "Ada Admin" in window.user_label.text() and "Admin" in window.user_label.text()


def test_window_layout_is_remembered(qtbot, demo_folder: Path, settings: QSettings) -> None:
    for expected_part in (None, 3):
        c = Controller(demo_folder, settings)
        try:
            c.start()
            with qtbot.waitSignal(c.unlocked, timeout=15000):
                _unlock(qtbot, c, PASSWORD)
            assert c.window is not None
            if expected_part is None:  # the offscreen screen is 800x600
                c.window.resize(711, 466)
                c.window.nav.setCurrentRow(3)
            else:
                assert c.window.nav.currentRow() == expected_part
                assert (c.window.width(), c.window.height()) == (711, 466)
        finally:
            c.shutdown()
    assert "geometry" in " ".join(settings.allKeys())
    for key in settings.allKeys():  # nothing but layout is ever stored there
        assert key.startswith("window/"), key


def test_idle_lock_closes_the_store_and_asks_again(qtbot, controller: Controller) -> None:
    with qtbot.waitSignal(controller.unlocked, timeout=15000):
        _unlock(qtbot, controller, PASSWORD)
    assert controller.idle is not None
    controller.idle.timer.setInterval(50)
    controller.idle.start()
    with qtbot.waitSignal(controller.locked, timeout=5000):
        pass
    assert controller.window is None and controller.desk is None
    assert isinstance(controller.dialog, UnlockDialog)
    with qtbot.waitSignal(controller.unlocked, timeout=15000):
        _unlock(qtbot, controller, PASSWORD)


def test_first_run_creates_a_workspace(qtbot, tmp_path: Path, settings: QSettings) -> None:
    c = Controller(tmp_path / "fresh", settings)
    c.start()
    dialog = c.dialog
    assert isinstance(dialog, FirstRunDialog)
    dialog.broker.setText("Kestrel Markets")
    dialog.full_name.setText("Kim Admin")
    dialog.password.setText("short")
    dialog.repeat.setText("short")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: "at least 8" in dialog.error.text(), timeout=5000)
    dialog.password.setText("long enough pw")
    dialog.repeat.setText("long enough pw")
    with qtbot.waitSignal(c.unlocked, timeout=15000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert c.window is not None and "Kestrel Markets" in c.window.windowTitle()
    page = c.window.part("Clients")
    qtbot.waitUntil(lambda: page.list.stack.currentWidget() is page.list.empty, timeout=5000)
    c.shutdown()


def test_clients_model_passes_qt_model_tester(qtbot, qtmodeltester, demo_folder: Path,
                                              worker: DbWorker) -> None:
    from app.queries import catalogue

    desk = open_workspace(demo_folder, PASSWORD)
    model = SqlPageModel(catalogue.CLIENTS, desk.store, worker)
    with qtbot.waitSignal(model.loaded, timeout=10000):
        model.reload()
    qtmodeltester.check(model, force_py=True)
    # Sorting and searching run in SQL and come back through the same checks.
    with qtbot.waitSignal(model.loaded, timeout=10000):
        model.sort(3, Qt.SortOrder.DescendingOrder)
    first_country = model.data(model.index(0, 3))
    assert first_country == max(model.data(model.index(r, 3)) for r in range(model.rowCount())
                                if model.row(r) is not None)
    with qtbot.waitSignal(model.loaded, timeout=10000):
        model.set_search("example.net")
    assert 0 < model.rowCount() < 400
    qtmodeltester.check(model, force_py=True)
    worker.stop()
    desk.close()


def test_create_and_edit_a_client_through_the_ui(qtbot, desk, worker: DbWorker) -> None:
    page = ClientsPage(desk, worker)
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.list.stack.currentWidget() is page.list.empty, timeout=5000)
    page.new_client()
    form = page.last_form
    assert form is not None
    form.last_name.setText("Οικονόμου")
    form.first_name.setText("Ελένη")
    form.email.setText("not an email")
    form.country.setCurrentIndex(form.country.findData("GR"))
    form.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: form.error.isVisible(), timeout=5000)
    assert "not a valid email" in form.error.text()
    form.email.setText("eleni@example.gr")
    with qtbot.waitSignal(page.list.model.loaded, timeout=5000):
        form.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert page.list.model.rowCount() == 1
    page.list.table.selectRow(0)
    qtbot.waitUntil(lambda: page.detail.data is not None, timeout=5000)
    page.edit_client()
    edit = page.last_form
    assert edit is not None and edit.last_name.text() == "Οικονόμου"
    edit.segment.setText("VIP")
    with qtbot.waitSignal(page.list.model.loaded, timeout=5000):
        edit.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    data, version, _ = client_service.get_client(desk, 1)
    assert data.segment == "VIP" and version == 2
    from app import audit

    with desk.store.read() as s:
        result = audit.verify(s)
    assert result.ok and result.checked == 3  # workspace, create, update


def test_hidden_buttons_are_not_the_guard_services_refuse(qtbot, desk,
                                                          worker: DbWorker) -> None:
    """A compliance officer sees no 'New client'; forcing the form open still fails
    in the service, with the reason shown in the form."""
    from app.models.users import Role
    from app.services import users
    from app.services.workspace import Desk
    from ui.dialogs.client_form import ClientForm
    from ui.views.audit_view import AuditPage

    officer = Desk(desk.store, users.add_user(desk, "nadia", "Nadia", Role.COMPLIANCE))
    page = ClientsPage(officer, worker)
    qtbot.addWidget(page)
    assert page.new_button.isHidden() and page.edit_button.isHidden()
    form = ClientForm(officer, worker)
    qtbot.addWidget(form)
    form.show()
    form.last_name.setText("Forced")
    form.country.setEditText("CY")  # typed rather than picked from the list
    form.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: form.error.isVisible(), timeout=5000)
    assert "not allowed to create and edit clients" in form.error.text()
    with desk.store.read() as s:
        from sqlalchemy import func, select

        from app.models.crm import Client

        assert s.scalar(select(func.count()).select_from(Client)) == 0
    audit_page = AuditPage(officer, worker)
    qtbot.addWidget(audit_page)
    assert not audit_page.verify_button.isHidden()  # compliance may verify the chain


def test_typed_country_code_is_accepted(qtbot, desk, worker: DbWorker) -> None:
    from ui.dialogs.client_form import ClientForm

    for typed in ("CY", "Cyprus (CY)"):
        form = ClientForm(desk, worker)
        qtbot.addWidget(form)
        form.last_name.setText("Ioannou")
        form.country.setEditText(typed)
        with qtbot.waitSignal(form.accepted, timeout=5000):
            form.buttons.button(QDialogButtonBox.StandardButton.Save).click()
        assert client_service.get_client(desk, form.saved_id)[0].country == "CY"


def test_event_loop_keeps_turning_while_the_worker_is_busy(qtbot, worker: DbWorker) -> None:
    """A long database job runs off the UI thread: timers keep firing meanwhile."""
    from PySide6.QtCore import QTimer

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    done: list[bool] = []
    worker.submit(lambda: time.sleep(1.0), lambda _r: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    timer.stop()
    assert len(ticks) > 50
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert max(gaps) < 0.2


def test_results_for_a_deleted_model_are_dropped(qtbot, demo_folder: Path,
                                                 worker: DbWorker) -> None:
    """A model replaced while its query runs must not be called back (it would crash)."""
    from PySide6.QtCore import QObject

    from app.queries import catalogue

    desk = open_workspace(demo_folder, PASSWORD)
    model = SqlPageModel(catalogue.CLIENTS, desk.store, worker)
    gate: list[bool] = []
    worker.submit(lambda: time.sleep(0.3))  # keep the worker busy while the model goes
    model.reload()
    model.deleteLater()
    marker = QObject()
    with qtbot.waitSignal(marker.destroyed, timeout=5000):
        worker.submit(lambda: None, lambda _r: (gate.append(True), marker.deleteLater()))
    assert gate  # the later job was delivered; the deleted model's was skipped silently
    worker.stop()
    desk.close()
