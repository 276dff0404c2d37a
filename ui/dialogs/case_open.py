"""Open a compliance case from the alerts chosen in the queue: its title, who works it
and by when. The alerts move into the case and leave the queue."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QLineEdit, QWidget

from app.compliance import cases
from app.compliance.views import Person
from app.services.workspace import Desk
from ui.dialogs.case_assign import DueDateField, people_combo
from ui.dialogs.partner_form import ServiceDialog
from ui.worker import DbWorker


class OpenCaseDialog(ServiceDialog):
    def __init__(self, desk: Desk, worker: DbWorker, alert_ids: Sequence[int], title: str,
                 people: Sequence[Person], parent: QWidget | None = None) -> None:
        super().__init__(desk, worker, "Open a compliance case", "Open case", parent)
        self.alert_ids = list(alert_ids)
        self.created: int | None = None
        n = len(self.alert_ids)
        self.say_intro(f"{'The chosen alert moves' if n == 1 else f'The {n} chosen alerts move'}"
                       " into the case and leave the queue. A case is about one client.")
        self.title = QLineEdit(title)
        self.title.setMaxLength(300)
        mine = desk.actor.id if any(p.id == desk.actor.id for p in people) else None
        self.assignee = people_combo(people, mine)
        self.due = DueDateField(None)
        self.due.on.setChecked(True)
        self.form.addRow("Title", self.title)
        self.form.addRow("Assignee", self.assignee)
        self.form.addRow("Due date", self.due)

    def run(self) -> None:
        desk, ids = self.desk, self.alert_ids
        title, person, due = self.title.text(), self.assignee.currentData(), self.due.value()

        def said(case_id: int) -> str:
            self.created = case_id
            return f"Opened the case “{' '.join(title.split())}”."

        self.submit(lambda: cases.open_case(desk, ids, title, assignee_id=person,
                                            due_date=due), said)
