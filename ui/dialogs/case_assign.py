"""Who works a case and by when: the assignee (only people who may work alerts and
cases are offered; the service refuses anyone else) and the due date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QWidget

from app.compliance import cases
from app.compliance.views import CaseCard, Person
from app.services.workspace import Desk
from ui.dialogs.partner_form import ServiceDialog, date_edit, long_date, to_date, to_qdate
from ui.worker import DbWorker

NOBODY = "Nobody yet"
DEFAULT_DAYS = 14  # a new case is due in two weeks unless told otherwise


def people_combo(people: Sequence[Person], current: int | None) -> QComboBox:
    combo = QComboBox()
    combo.addItem(NOBODY, None)
    for person in people:
        combo.addItem(person.name, person.id)
    found = combo.findData(current)
    combo.setCurrentIndex(max(found, 0))
    return combo


class DueDateField(QWidget):
    """A date, or none: the box unticked means the case has no due date."""

    def __init__(self, value: date | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.on = QCheckBox("Due by")
        self.on.setChecked(value is not None)
        self.day = date_edit(value or date.today() + timedelta(days=DEFAULT_DAYS))
        self.day.setMinimumDate(to_qdate(min(value or date.today(), date.today())))
        self.day.setEnabled(value is not None)
        self.on.toggled.connect(self.day.setEnabled)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.on)
        row.addWidget(self.day, 1)

    def value(self) -> date | None:
        return to_date(self.day.date()) if self.on.isChecked() else None

    def set_value(self, value: date | None) -> None:
        self.on.setChecked(value is not None)
        if value is not None:
            self.day.setDate(to_qdate(value))


def due_text(value: date | None) -> str:
    return "no due date" if value is None else f"due by {long_date(value)}"


class AssignDialog(ServiceDialog):
    def __init__(self, desk: Desk, worker: DbWorker, card: CaseCard, people: Sequence[Person],
                 parent: QWidget | None = None) -> None:
        super().__init__(desk, worker, "Assign the case", "Assign", parent)
        self.card = card
        self.say_intro(f"Who works the case “{card.title}”. Only people who may work "
                       "compliance alerts and cases are listed.")
        self.person = people_combo(people, card.assignee_id)
        self.form.addRow("Assignee", self.person)

    def run(self) -> None:
        desk, card, user = self.desk, self.card, self.person.currentData()
        name = self.person.currentText()
        self.submit(lambda: cases.assign_case(desk, card.id, card.version, user),
                    lambda _v: f"The case “{card.title}” is now with {name}." if user else
                    f"The case “{card.title}” is with nobody now.")


class DueDateDialog(ServiceDialog):
    def __init__(self, desk: Desk, worker: DbWorker, card: CaseCard,
                 parent: QWidget | None = None) -> None:
        super().__init__(desk, worker, "Due date", "Save", parent)
        self.card = card
        self.say_intro(f"By when the case “{card.title}” should be decided.")
        self.due = DueDateField(card.due_date)
        self.form.addRow("Due date", self.due)

    def run(self) -> None:
        desk, card, due = self.desk, self.card, self.due.value()
        self.submit(lambda: cases.set_due_date(desk, card.id, card.version, due),
                    lambda _v: f"The case “{card.title}” is {due_text(due)}.")
