"""The Plans tab: every commission plan with the terms it has now, and the versions of
the selected plan (the terms from each date on). New plan… and Change from date…
open the plan form; the service checks the terms again and refuses a date inside a
period already paid out."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from app.commissions.performance import PlanRow, from_the_start
from app.roles import Permission
from app.services.partner_performance import plans
from app.services.workspace import Desk
from ui.dialogs.partner_form import long_date
from ui.dialogs.plan_form import KIND_LABELS, PlanForm
from ui.messages import user_message
from ui.widgets.tables import fill_table, read_only_table
from ui.worker import DbWorker

PLAN_COLUMNS = ("Plan", "Kind", "Currency", "Versions", "Partners", "Terms now")
VERSION_COLUMNS = ("From", "Made by", "Terms")
RED = "#b3261e"


def since(day: date) -> str:
    return "the start" if from_the_start(day) else long_date(day)


def kind_label(kind: str) -> str:
    return next((text for k, text in KIND_LABELS.items() if k.value == kind), kind)


class PlansTab(QWidget):
    changed = Signal(str)

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.rows: list[PlanRow] = []
        self.form: PlanForm | None = None
        manage = desk.actor.can(Permission.MANAGE_PARTNERS)
        self.title = QLabel("Loading the plans…")
        self.title.setObjectName("sectionTitle")
        self.new_button = QPushButton("New plan…")
        self.change_button = QPushButton("Change from date…")
        self.change_button.setToolTip("New terms for the selected plan from a date on; "
                                      "deals before it keep the terms they had.")
        self.new_button.clicked.connect(lambda: self.ask_new())
        self.change_button.clicked.connect(lambda: self.ask_change())
        for button in (self.new_button, self.change_button):
            button.setVisible(manage)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.new_button)
        top.addWidget(self.change_button)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        self.table = read_only_table(PLAN_COLUMNS)
        self.table.itemSelectionChanged.connect(self._selected)
        self.versions_title = QLabel()
        self.versions = read_only_table(VERSION_COLUMNS)
        lower = QWidget()
        column = QVBoxLayout(lower)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.versions_title)
        column.addWidget(self.versions, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setSizes([300, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)
        self._selected()

    def refresh(self) -> None:
        desk = self.desk
        self.worker.submit(lambda: plans(desk), self._fill, self._failed, owner=self)

    def _fill(self, rows: list[PlanRow]) -> None:
        keep = self.current()
        self.rows = rows
        today = date.today()
        self.table.blockSignals(True)
        fill_table(self.table, [
            (p.name, kind_label(p.kind), p.currency, f"{len(p.versions)}", f"{p.partners:,}",
             (p.on(today) or p.versions[0]).terms) for p in rows], right=(3, 4))
        self.table.blockSignals(False)
        self.title.setText(f"Commission plans ({len(rows)})" if rows else
                           "No commission plans yet: New plan… makes the first.")
        again = next((n for n, p in enumerate(rows) if keep and p.id == keep.id), 0)
        if rows:
            self.table.selectRow(again)
        self._selected()

    def current(self) -> PlanRow | None:
        chosen = self.table.selectionModel().selectedRows()
        n = chosen[0].row() if chosen else -1
        return self.rows[n] if 0 <= n < len(self.rows) else None

    def select(self, name: str) -> None:
        self.table.selectRow(next(n for n, p in enumerate(self.rows) if p.name == name))

    def _selected(self) -> None:
        plan = self.current()
        self.change_button.setEnabled(plan is not None)
        if plan is None:
            self.versions_title.setText("Select a plan to see its versions.")
            self.versions.setRowCount(0)
            return
        self.versions_title.setText(f"Versions of {plan.name}: the terms from each date on")
        fill_table(self.versions, [(since(v.effective_from), v.created_by or "—", v.terms)
                                   for v in plan.versions])

    def ask_new(self) -> PlanForm:
        return self._open(PlanForm(self.desk, self.worker, None, self))

    def ask_change(self) -> PlanForm | None:
        plan = self.current()
        return None if plan is None else self._open(PlanForm(self.desk, self.worker, plan,
                                                             self))

    def _open(self, form: PlanForm) -> PlanForm:
        if self.form is not None:
            self.form.deleteLater()
        form.changed.connect(self._changed)
        self.form = form
        form.open()
        return form

    def _changed(self, said: str) -> None:
        self.say(said)
        self.refresh()
        self.changed.emit(said)

    def say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {RED};" if error else "")
        self.message.setText(text)
        self.message.show()

    def _failed(self, error: BaseException) -> None:
        self.say(user_message(error), error=True)
