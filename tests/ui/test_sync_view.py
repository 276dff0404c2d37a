"""The Sync view: the outbox with its actions, and a conflict shown side by side."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QPlainTextEdit

from app.models.sync_state import OutboxCommand, OutboxStatus
from sync.engine import SyncStatus
from tests.ui.conftest import not_blank
from tests.ui.test_shell import SHOTS
from ui.views.sync_view import ConflictDialog, SyncPage
from ui.worker import DbWorker


def test_conflict_row_can_be_resolved_and_is_shown_side_by_side(qtbot, desk,
                                                                  worker: DbWorker) -> None:
    ours = {"kind": "kyc_case", "id": "k1", "base_version": 1, "deleted": False,
            "data": {"client_id": "C1", "status": "approved", "notes": "ID checked"}}
    theirs = {"seq": 9, "kind": "kyc_case", "id": "k1", "version": 2, "deleted": False,
              "data": {"client_id": "C1", "status": "rejected", "notes": "ID expired"}}
    with desk.store.write() as s:
        s.add(OutboxCommand(device_seq=1, idempotency_key="k" * 32, kind="put-record",
                            payload=ours, status=OutboxStatus.CONFLICT, entity="kyc_case",
                            entity_ref="k1", conflict=theirs,
                            last_error="This kyc case was changed at another desk"))
    page = SyncPage(desk, worker, SyncStatus(online=True, message="Online: Test gateway",
                                             conflicts=1))
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.list.model.rowCount() == 1, timeout=10000)
    assert "1 conflict" in page.state.text()
    page.list.table.selectRow(0)
    qtbot.waitUntil(page.resolve_button.isEnabled, timeout=5000)
    assert not page.retry_button.isEnabled()
    dialog = ConflictDialog(ours, theirs, page)
    qtbot.addWidget(dialog)
    shown = [w.toPlainText() for w in dialog.findChildren(QPlainTextEdit)]
    assert len(shown) == 2 and "ID checked" in shown[0] and "ID expired" in shown[1]
    fields = dialog.findChild(QLabel, "conflictFields")
    assert fields is not None and fields.text() == "Different: notes, status"
    SHOTS.mkdir(exist_ok=True)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.grab().save(str(SHOTS / "conflict.png"))
    assert not_blank(Path(SHOTS / "conflict.png")) > 10
