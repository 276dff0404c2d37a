"""The Exceptions page: the queue as a table, oldest first, a part filter, the age, and
a double-click that hands over the record to open."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from sqlalchemy import select

from app.models.audit import AuditEntry
from app.models.compliance import Alert, AlertStatus, Severity
from app.models.payments import PaymentDirection, PaymentMethod, PaymentRequest, PaymentStatus
from app.models.reconciliation import BreakKind, BreakStatus, ReconException, ReconRun
from app.models.users import Role
from app.queries.exceptions import Part, RecordRef
from app.services import clients, users
from app.services.workspace import Desk
from tests.ui.conftest import not_blank
from ui.dialogs.exception_settings import ExceptionSettingsDialog
from ui.views.exceptions_view import ExceptionsPage
from ui.worker import DbWorker

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def _queue(desk: Desk) -> dict[str, int]:
    now = datetime.now(UTC)
    cid = clients.create_client(desk, clients.ClientData(first_name="Сергей",
                                                         last_name="Новиков", country="CY"))
    with desk.store.write() as s:
        run = ReconRun(trigger="on_demand")
        s.add(run)
        s.flush()
        brk = ReconException(kind=BreakKind.MISSING_AT_PROVIDER, key="k", signature="s",
                             summary="Deposit PR-1 is not on Stripe's statement",
                             status=BreakStatus.OPEN, client_id=cid, owner_id=desk.actor.id,
                             first_run_id=run.id, last_run_id=run.id,
                             created_at=now - timedelta(days=45))
        pay = PaymentRequest(uid=str(uuid.uuid4()), client_id=cid,
                             direction=PaymentDirection.WITHDRAWAL, method=PaymentMethod.CARD,
                             provider="Stripe", amount_minor=99_00, currency="USD",
                             status=PaymentStatus.APPROVED, created_at=now - timedelta(days=3),
                             updated_at=now - timedelta(days=3))
        alert = Alert(uid=str(uuid.uuid4()), rule="structuring", severity=Severity.MEDIUM,
                      client_id=cid, status=AlertStatus.OPEN, summary="Split deposits",
                      due_date=(now - timedelta(days=1)).date(),
                      created_at=now - timedelta(days=8))
        s.add_all([brk, pay, alert])
        s.flush()
        return {"break": brk.id, "payment": pay.id, "alert": alert.id}


def test_the_queue_its_filter_and_the_record_to_open(qtbot, qtmodeltester, desk: Desk,
                                                     worker: DbWorker) -> None:
    ids = _queue(desk)
    page = ExceptionsPage(desk, worker)
    qtbot.addWidget(page)
    page.resize(1200, 420)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=10000)
    qtmodeltester.check(page.model)
    model = page.model
    cells = [[model.index(r, c).data() for c in range(model.columnCount())]
             for r in range(model.rowCount())]
    assert [row[:3] for row in cells] == [
        ["45 d", "Reconciliation", "Reconciliation break"],
        ["8 d", "Compliance", "Alert past its due date"],
        ["3 d", "Payments", "Payment stuck"]]
    assert cells[0][3] == "Missing at the provider: Deposit PR-1 is not on Stripe's statement"
    assert cells[0][4] == "Новиков, Сергей" and cells[0][5] == "Ada Admin"
    assert cells[1][6] == f"{datetime.now(UTC).date() - timedelta(days=1):%Y-%m-%d}"
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is not None  # over 30 days
    assert model.index(1, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    assert page.summary.text().startswith("3 open exception(s), oldest first: 0 0–1 days, "
                                          "1 2–7 days, 1 8–30 days, 1 over 30 days")
    qtbot.wait(50)
    SHOTS.mkdir(exist_ok=True)
    page.grab().save(str(SHOTS / "exceptions.png"))
    assert not_blank(SHOTS / "exceptions.png") > 20

    opened: list[object] = []
    page.record_chosen.connect(opened.append)
    rect = page.table.visualRect(model.index(2, 3))
    # A double-click is a press and a double-click event, as a real mouse sends them.
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened == [RecordRef("payment", ids["payment"])]

    page.part.setCurrentIndex(page.part.findData(Part.COMPLIANCE.value))
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=10000)
    assert model.rows[0].ref == RecordRef("alert", ids["alert"])
    assert page.summary.text().startswith("1 open exception(s) in Compliance")
    page.part.setCurrentIndex(page.part.findData(Part.SYNC.value))
    qtbot.waitUntil(lambda: model.rowCount() == 0, timeout=10000)
    assert page.summary.text() == "Nothing is waiting in Sync: no open exception."


def test_only_the_latest_part_is_shown(qtbot, desk: Desk, worker: DbWorker) -> None:
    _queue(desk)
    page = ExceptionsPage(desk, worker)
    qtbot.addWidget(page)
    for part in (Part.PAYMENTS, Part.RECONCILIATION, Part.KYC):
        page.part.setCurrentIndex(page.part.findData(part.value))
    qtbot.waitUntil(lambda: worker.pending == 0, timeout=10000)
    assert page.model.rowCount() == 0 and "in KYC" in page.summary.text()


def test_settings_change_what_counts_and_only_an_administrator_saves(
        qtbot, desk: Desk, worker: DbWorker) -> None:
    _queue(desk)  # the withdrawal has waited 3 days in approved
    page = ExceptionsPage(desk, worker)
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=10000)
    dialog = page.open_settings()
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=10000)
    assert (dialog.hours.value(), dialog.days.value()) == (24, 30)
    dialog.hours.setValue(96)  # four days: the withdrawal is no longer stuck
    with qtbot.waitSignal(dialog.saved, timeout=10000) as saved:
        dialog.save_button.click()
    assert "stuck after 96 hours" in saved.args[0]
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=10000)
    assert all(r.part != Part.PAYMENTS for r in page.model.rows)
    with desk.store.read() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.entity_id.startswith("exceptions.")

    clerk = Desk(desk.store, users.add_user(desk, "carl", "Carl Clerk", Role.CLERK))
    read_only = ExceptionSettingsDialog(clerk, worker)
    qtbot.addWidget(read_only)
    qtbot.waitUntil(lambda: read_only.loaded is not None, timeout=10000)
    assert read_only.hours.value() == 96 and not read_only.save_button.isEnabled()
    assert read_only.message.text() == "Only an administrator changes these."
