"""Move a partner, with everything below it, under another upline from a date, and
assign a plan to a partner from a date. The services refuse a loop, a date inside a
period already paid out, or a plan that does not exist, and say why here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from app.commissions.performance import PlanRow, TreeRow
from app.commissions.recalc import Recalculated
from app.services import partners
from app.services.partner_performance import plans
from app.services.workspace import Desk
from ui.dialogs.partner_form import (
    NO_UPLINE,
    ServiceDialog,
    chosen_id,
    date_edit,
    long_date,
    partner_combo,
    partner_label,
    to_date,
    to_qdate,
)
from ui.worker import DbWorker


def recalculated(done: Recalculated) -> str:
    n = len(done.changed)
    if not n:
        return "No commission already accrued changed."
    return (f"Commission already accrued was recalculated from that date: {n} partner "
            f"balance{' has' if n == 1 else 's have'} changed.")


class MovePartnerDialog(ServiceDialog):
    def __init__(self, desk: Desk, worker: DbWorker, row: TreeRow, rows: Sequence[TreeRow],
                 parent: QWidget | None = None) -> None:
        super().__init__(desk, worker, f"Move {row.name}", "Move", parent)
        self.row = row
        self.say_intro(f"{partner_label(row)} and everyone below it report to the new "
                       "upline from the date on. Deals before it keep the uplines they had.")
        self.upline = partner_combo(rows, none_text=NO_UPLINE, skip=row.id)
        self.effective = date_edit(date.today())
        self.form.addRow("New upline", self.upline)
        self.form.addRow("From", self.effective)

    def choose(self, partner_id: int | None, day: date) -> None:
        self.upline.setCurrentIndex(self.upline.findData(partner_id))
        self.effective.setDate(to_qdate(day))

    def run(self) -> None:
        known, upline = chosen_id(self.upline)
        if not known:
            self.refuse("Choose the new upline from the list, or no upline.")
            return
        desk, pid, day = self.desk, self.row.id, to_date(self.effective.date())
        where = self.upline.currentText() if upline is not None else "the top of the tree"
        self.submit(lambda: partners.move_partner(desk, pid, upline, day),
                    lambda done: (f"{self.row.name} is under {where} from {long_date(day)}. "
                                  + recalculated(done)))


class AssignPlanDialog(ServiceDialog):
    def __init__(self, desk: Desk, worker: DbWorker, row: TreeRow,
                 parent: QWidget | None = None) -> None:
        super().__init__(desk, worker, f"Assign a plan to {row.name}", "Assign", parent)
        self.row = row
        self.plans: list[PlanRow] = []
        self.say_intro(f"The plan {partner_label(row)}'s clients earn commission under, "
                       "from the date on, for the accounts whose platform group matches.")
        self.plan = QComboBox()
        self.plan.setPlaceholderText("Loading the plans…")
        self.plan.currentIndexChanged.connect(lambda _i: self._terms())
        self.terms = QLineEdit()
        self.terms.setReadOnly(True)
        self.group = QLineEdit("*")
        self.group.setToolTip("A pattern over the trading account's platform group: * for "
                              "every account, pro-* for the pro groups.")
        self.effective = date_edit(date.today())
        self.effective.dateChanged.connect(lambda _d: self._terms())
        self.form.addRow("Plan", self.plan)
        self.form.addRow("Terms", self.terms)
        self.form.addRow("Accounts in group", self.group)
        self.form.addRow("From", self.effective)
        self.ok.setEnabled(False)
        d = desk
        worker.submit(lambda: plans(d), self._loaded, self._failed, owner=self)

    def _loaded(self, found: list[PlanRow]) -> None:
        self.plans = found
        for plan in found:
            self.plan.addItem(f"{plan.name} ({plan.kind.replace('_', ' ')}, {plan.currency})",
                              plan.id)
        if not found:
            self.refuse("There are no plans yet: make one on the Plans tab first.")
        else:
            self.plan.setCurrentIndex(0)
        self.ok.setEnabled(bool(found))

    def _terms(self) -> None:
        plan = next((p for p in self.plans if p.id == self.plan.currentData()), None)
        version = plan.on(to_date(self.effective.date())) or plan.versions[-1] if plan else None
        self.terms.setText(version.terms if version else "")

    def run(self) -> None:
        plan_id = self.plan.currentData()
        if plan_id is None:
            self.refuse("Choose a plan.")
            return
        desk, pid, day = self.desk, self.row.id, to_date(self.effective.date())
        group, name = self.group.text(), self.plan.currentText()
        self.submit(lambda: partners.assign_plan(desk, plan_id, pid, day, group),
                    lambda done: (f"{self.row.name} earns under {name} from "
                                  f"{long_date(day)}. " + recalculated(done)))
