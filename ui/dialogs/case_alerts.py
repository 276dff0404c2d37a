"""Add more of the client's open alerts to a case (ticked in a list)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from app.compliance import cases
from app.compliance.views import AlertView, CaseCard, rule_label
from app.services.workspace import Desk
from ui.dialogs.partner_form import ServiceDialog
from ui.worker import DbWorker


def alert_line(a: AlertView) -> str:
    return (f"{a.raised_at:%Y-%m-%d} · {a.severity.value.capitalize()} · {rule_label(a.rule)}"
            f" — {a.summary}")


class AddAlertsDialog(ServiceDialog):
    def __init__(self, desk: Desk, worker: DbWorker, card: CaseCard,
                 alerts: Sequence[AlertView], parent: QWidget | None = None) -> None:
        super().__init__(desk, worker, "Add alerts to the case", "Add to case", parent)
        self.card = card
        who = card.client_name or "no client"
        self.say_intro(f"Open alerts about {who} that are in no case yet." if alerts else
                       f"There are no open alerts about {who} to add.")
        self.list = QListWidget()
        self.list.setMinimumSize(560, 160)
        for alert in alerts:
            item = QListWidgetItem(alert_line(alert))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setData(Qt.ItemDataRole.UserRole, alert.id)
            self.list.addItem(item)
        self.form.addRow(self.list)
        self.ok.setEnabled(bool(alerts))

    def chosen(self) -> list[int]:
        return [int(self.list.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.list.count())
                if self.list.item(i).checkState() is Qt.CheckState.Checked]

    def tick(self, alert_ids: Sequence[int]) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) in alert_ids:
                item.setCheckState(Qt.CheckState.Checked)

    def run(self) -> None:
        desk, card, ids = self.desk, self.card, self.chosen()
        self.submit(lambda: cases.add_alerts(desk, card.id, card.version, ids),
                    lambda _v: f"Added {len(ids)} alert(s) to the case “{card.title}”.")
