"""One compliance case: what it is about and how far it is, its alerts with what each
rule saw, its notes and attached files, and what can be done to it. Every read and
change runs on the database worker; a refusal shows in the service's own words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.compliance import cases, decisions, views
from app.compliance.views import AlertView, CaseCard, Person
from app.errors import StaleRecord
from app.models.compliance import CaseStatus
from app.roles import Permission
from app.services.workspace import Desk
from ui.dialogs.case_alerts import AddAlertsDialog
from ui.dialogs.case_assign import AssignDialog, DueDateDialog, due_text
from ui.dialogs.case_close import CloseCaseDialog
from ui.dialogs.partner_form import long_date
from ui.dialogs.reason import ReasonDialog
from ui.messages import user_message
from ui.views.compliance_alerts import alert_facts, facts_html
from ui.views.compliance_case_notes import CaseWorkPanel
from ui.views.partners_card import section
from ui.widgets.tables import fill_table, read_only_table
from ui.worker import DbWorker

RED = "#b3261e"
NOTHING_CHOSEN = "Select a case to see its alerts, notes and files."
ALERT_COLUMNS = ("Raised", "Severity", "Rule", "Status", "Summary")
RESTRICTED = ("Notes and files are shown only to those who work compliance alerts and "
              "cases.")


def case_facts(c: CaseCard, today: date | None = None) -> str:
    late = " — overdue" if c.overdue(today) else ""
    lines = [f"{c.status.value.capitalize()} · about {c.client_name or 'no client'} · "
             f"with {c.assignee_name or 'nobody yet'} · {due_text(c.due_date)}{late}",
             f"Opened {long_date(c.opened_at.date())}" + (f" by {c.opened_by}"
                                                          if c.opened_by else "")]
    if c.status is CaseStatus.CLOSED:
        by = f" by {c.closed_by}" if c.closed_by else ""
        when = f" on {long_date(c.closed_at.date())}" if c.closed_at else ""
        lines.append(f"Closed{by}{when} as {c.outcome.replace('_', ' ')}: {c.outcome_reason}")
    if c.froze_withdrawals:
        lines.append("This case froze the client's withdrawals.")
    if c.client_frozen:
        lines.append(f"{c.client_name} is frozen: {c.frozen_reason}")
    if not c.shared:
        lines.append("Kept on this desk only: the client is not on the trading platform, so "
                     "other desks do not see this case.")
    return "\n".join(lines)


class CaseCardPanel(QWidget):
    changed = Signal(str)  # a change was made here; what, in words

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.can_work = desk.actor.can(Permission.WORK_ALERTS)
        self.case_id: int | None = None
        self.card: CaseCard | None = None
        self.people: list[Person] = []
        self.dialog: QDialog | None = None
        self.title = QLabel(NOTHING_CHOSEN)
        self.title.setObjectName("detailTitle")
        self.facts = QLabel()
        self.message = QLabel()
        for label in (self.title, self.facts, self.message):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)  # titles and reasons are data
        self.message.hide()
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for name, text, slot in (("investigate", "Start investigating", self.investigate),
                                 ("assign", "Assign…", self.ask_assign),
                                 ("due", "Due date…", self.ask_due_date),
                                 ("add_alerts", "Add alerts…", self.ask_add_alerts),
                                 ("close", "Close case…", self.ask_close),
                                 ("reopen", "Reopen…", self.ask_reopen)):
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, run=slot: run())
            self.buttons[name] = button
            row.addWidget(button)
        row.addStretch(1)
        self.alerts = read_only_table(ALERT_COLUMNS)
        self.alerts.itemSelectionChanged.connect(self._alert_chosen)
        self.evidence = QLabel()
        self.evidence.setWordWrap(True)
        self.evidence.setTextFormat(Qt.TextFormat.RichText)
        self.take_out = QPushButton("Take out of the case")
        self.take_out.setToolTip("The alert goes back to the queue, open.")
        self.take_out.clicked.connect(lambda: self.take_out_alert())
        self.restricted = QLabel(RESTRICTED)
        self.restricted.setWordWrap(True)
        self.body = QWidget()
        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(section("Alerts"))
        layout.addWidget(self.alerts)
        layout.addWidget(self.evidence)
        layout.addWidget(self.take_out, 0, Qt.AlignmentFlag.AlignLeft)
        self.work = CaseWorkPanel(desk, worker, self._run, self._open, self._failed)
        layout.addWidget(self.work)
        layout.addWidget(self.restricted)
        outer = QVBoxLayout(self)
        outer.addWidget(self.title)
        outer.addWidget(self.facts)
        outer.addWidget(self.message)
        outer.addWidget(self.body)
        outer.addStretch(1)
        self.body.hide()

    # -- loading ----------------------------------------------------------------------------

    def show_case(self, case_id: int | None) -> None:
        if case_id != self.case_id:
            self.message.hide()
        self.case_id = case_id
        if case_id is None:
            self.card = None
            self.title.setText(NOTHING_CHOSEN)
            self.facts.clear()
            self.body.hide()
            return
        desk = self.desk
        self.worker.submit(lambda: (views.case_card(desk, case_id), views.assignable_users(desk)),
                           self._fill, self._failed, owner=self)

    def reload(self) -> None:
        self.show_case(self.case_id)

    def _fill(self, found: tuple[CaseCard, list[Person]]) -> None:
        card, self.people = found
        if card.id != self.case_id:
            return  # another case was chosen meanwhile
        self.card = card
        self.title.setText(card.title)
        self.facts.setText(case_facts(card))
        closed = card.status is CaseStatus.CLOSED
        shown = {"investigate": card.status is CaseStatus.OPEN, "reopen": closed}
        for name, button in self.buttons.items():
            button.setVisible(self.can_work and shown.get(name, not closed))
        self.alerts.clearSelection()
        fill_table(self.alerts, [(f"{a.raised_at:%Y-%m-%d}", a.severity.value.capitalize(),
                                  views.rule_label(a.rule), a.status.value.replace("_", " "),
                                  a.summary) for a in card.alerts])
        self.alerts.setFixedHeight(30 + 26 * min(max(len(card.alerts), 1), 6))
        self.evidence.setText("<i>Select an alert to see what its rule saw.</i>")
        self.take_out.setVisible(self.can_work and not closed)
        self.take_out.setEnabled(False)
        self.work.setVisible(not card.restricted)
        self.restricted.setVisible(card.restricted)
        self.work.fill(card)
        self.body.show()

    def current_alert(self) -> AlertView | None:
        rows = self.alerts.selectionModel().selectedRows()
        if self.card is None or not rows or rows[0].row() >= len(self.card.alerts):
            return None
        return self.card.alerts[rows[0].row()]

    def _alert_chosen(self) -> None:
        alert = self.current_alert()
        self.take_out.setEnabled(alert is not None)
        if alert is not None:
            self.evidence.setText(facts_html(alert.summary, alert_facts(alert)[:4],
                                             alert.evidence, tag="b"))

    # -- changes ----------------------------------------------------------------------------

    def _run(self, job: Callable[[], object], said: str) -> None:
        self.worker.submit(job, lambda _r: self._changed(said), self._failed, owner=self)

    def _changed(self, said: str) -> None:
        self.message.hide()  # the page says what was done; this says what was refused
        self.changed.emit(said)
        self.reload()

    def _open(self, dialog: QDialog) -> QDialog:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dialog
        changed = getattr(dialog, "changed", None)
        if changed is not None:
            changed.connect(self._changed)
        dialog.open()
        return dialog

    def investigate(self) -> None:
        if (card := self.card) is not None:
            desk = self.desk
            self._run(lambda: cases.start_investigation(desk, card.id, card.version),
                      f"The case “{card.title}” is being investigated.")

    def ask_assign(self) -> QDialog | None:
        if self.card is None:
            return None
        return self._open(AssignDialog(self.desk, self.worker, self.card, self.people, self))

    def ask_due_date(self) -> QDialog | None:
        if self.card is None:
            return None
        return self._open(DueDateDialog(self.desk, self.worker, self.card, self))

    def ask_add_alerts(self) -> None:
        if (card := self.card) is None:
            return
        desk = self.desk
        def chosen(found: list[AlertView]) -> None:
            self._open(AddAlertsDialog(desk, self.worker, card, found, self))

        self.worker.submit(lambda: views.open_alerts_of(desk, card.client_id), chosen,
                           self._failed, owner=self)

    def ask_close(self) -> QDialog | None:
        if self.card is None:
            return None
        return self._open(CloseCaseDialog(self.desk, self.worker, self.card, self))

    def ask_reopen(self) -> QDialog | None:
        if (card := self.card) is None:
            return None
        dialog = ReasonDialog("Reopen the case", f"Why is “{card.title}” reopened? The reason "
                              "is kept as a note on the case.",
                              "e.g. new deposits from the same third party", "Reopen", self)
        desk = self.desk
        dialog.accepted.connect(lambda: self._run(
            lambda: decisions.reopen_case(desk, card.id, card.version, dialog.reason_text()),
            f"Reopened the case “{card.title}”."))
        return self._open(dialog)

    def take_out_alert(self) -> None:
        card, alert = self.card, self.current_alert()
        if card is not None and alert is not None:
            desk = self.desk
            self._run(lambda: cases.remove_alert(desk, card.id, card.version, alert.id),
                      f"Took “{alert.summary}” out of the case; it is open in the queue.")

    def say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {RED};" if error else "")
        self.message.setText(text)
        self.message.show()

    def _failed(self, error: BaseException) -> None:
        self.say(user_message(error), error=True)
        if isinstance(error, StaleRecord):
            self.reload()  # what the others changed, to redo the change on

