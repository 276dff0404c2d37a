"""Close a case: the outcome (a confirmed risk or a false positive) and why, and for a
confirmed risk whether the client's withdrawals are frozen from now on."""

from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QCheckBox, QPlainTextEdit, QRadioButton, QWidget

from app.compliance import decisions
from app.compliance.views import CaseCard
from app.roles import Permission
from app.services.workspace import Desk
from ui.dialogs.partner_form import ServiceDialog
from ui.worker import DbWorker


class CloseCaseDialog(ServiceDialog):
    def __init__(self, desk: Desk, worker: DbWorker, card: CaseCard,
                 parent: QWidget | None = None) -> None:
        super().__init__(desk, worker, "Close the case", "Close case", parent)
        self.card = card
        self.say_intro(f"Closing “{card.title}” closes its {len(card.alerts)} alert(s) too. "
                       "The reason is kept with the case and in the audit log.")
        self.confirmed = QRadioButton("Confirmed risk")
        self.false_positive = QRadioButton("False positive")
        self.outcome = QButtonGroup(self)
        for button in (self.confirmed, self.false_positive):
            self.outcome.addButton(button)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("Why, e.g. the third-party payer is unrelated and the "
                                       "client could not explain the source of the funds.")
        self.reason.setFixedHeight(90)
        self.freeze = QCheckBox("Freeze the client: no money out and no new live accounts "
                                "until compliance lifts it")
        may_freeze = desk.actor.can(Permission.REVIEW_SCREENING) and card.client_id is not None
        self.freeze.setVisible(may_freeze)
        if card.client_frozen:
            self.freeze.setText(f"{card.client_name} is frozen already ({card.frozen_reason})")
        self.freeze.setEnabled(False)
        self.confirmed.toggled.connect(self._outcome_chosen)
        self.false_positive.toggled.connect(self._outcome_chosen)
        self.ok.setEnabled(False)
        self.reason.textChanged.connect(self._outcome_chosen)
        self.form.addRow("Outcome", self.confirmed)
        self.form.addRow("", self.false_positive)
        self.form.addRow("Reason", self.reason)
        self.form.addRow("", self.freeze)

    def _outcome_chosen(self, *_args: object) -> None:
        confirmed = self.confirmed.isChecked()
        self.freeze.setEnabled(confirmed and not self.card.client_frozen)
        if not confirmed:
            self.freeze.setChecked(False)
        self.ok.setEnabled(self.outcome.checkedButton() is not None
                           and bool(self.reason.toPlainText().strip()))

    def run(self) -> None:
        desk, card = self.desk, self.card
        outcome = "confirmed_risk" if self.confirmed.isChecked() else "false_positive"
        reason, freeze = self.reason.toPlainText(), self.freeze.isChecked()

        def said(_version: int) -> str:
            words = "a confirmed risk" if outcome == "confirmed_risk" else "a false positive"
            frozen = (f"; {card.client_name} is frozen (no money out, no new live accounts)"
                      if freeze else "")
            return f"Closed the case “{card.title}” as {words}{frozen}."

        self.submit(lambda: decisions.close_case(desk, card.id, card.version, outcome, reason,
                                                 freeze_withdrawals=freeze), said)
