"""The Payouts tab: prepare a payout run for a period, decide each payout with four
eyes, send the approved ones, and save the payout summary PDF.

Approve and Reject are offered only on a payout the person may decide
(`PayoutRow.can_decide`: a finance officer who did not prepare it, while it waits);
the service refuses everyone else anyway. A rejection needs a reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.money import format_money
from app.roles import Permission
from app.services import commissions, reports
from app.services.commissions import PayoutRow, RunResult
from app.services.workspace import Desk
from ui.dialogs.partner_form import long_date
from ui.dialogs.reason import ReasonDialog
from ui.messages import user_message
from ui.views.partners_period import PeriodPicker
from ui.widgets.tables import fill_table, read_only_table
from ui.worker import DbWorker

COLUMNS = ("Partner", "Code", "Period", "Amount", "Currency", "Status", "Prepared by",
           "Approved by", "Reason")
STATUS_WORDS = {"proposed": "Waiting for approval", "approved": "Approved, not sent",
                "sent": "Sent to the platform", "paid": "Paid", "rejected": "Rejected"}
FILTERS = {"All": None, "Waiting for approval": "proposed", "Approved": "approved",
           "Sent": "sent", "Paid": "paid", "Rejected": "rejected"}
RED = "#b3261e"


def amount(row: PayoutRow) -> str:
    return format_money(row.amount_minor, row.currency).rsplit(" ", 1)[0]


def run_text(run: RunResult) -> str:
    if not run.payouts:
        said = "No partner has commission above zero to pay for this period."
    else:
        totals = ", ".join(format_money(a, c) for c, a in sorted(run.totals.items()))
        said = (f"Prepared {run.payouts} payout{'' if run.payouts == 1 else 's'} "
                f"({totals}); another finance officer approves them.")
    if run.carried:
        said += (f" {run.carried} partner balance{' is' if run.carried == 1 else 's are'} "
                 "zero or below and carried to the next run.")
    return said


def reject_payout_dialog(row: PayoutRow, parent: QWidget | None = None) -> ReasonDialog:
    return ReasonDialog(
        "Reject payout",
        f"Reject the payout of {format_money(row.amount_minor, row.currency)} to "
        f"{row.partner}? Its commission goes back to unpaid, for the next run.",
        "Why, e.g. the gold rate in the plan is wrong", "Reject payout", parent)


class PayoutsTab(QWidget):
    changed = Signal(str)

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.rows: list[PayoutRow] = []
        self.reject_dialog: ReasonDialog | None = None
        self.busy = False
        actor = desk.actor
        self.decides = actor.can(Permission.APPROVE_PAYOUTS)
        self.period = PeriodPicker("Period")
        self.period.set_period(*self.period.choices["Last month"])
        self.period.changed.connect(self.refresh)
        self.status = QComboBox()
        self.status.addItems(list(FILTERS))
        self.status.currentTextChanged.connect(lambda _t: self.refresh())
        self.prepare_button = QPushButton("Prepare run")
        self.prepare_button.setToolTip("Propose a payout per partner and currency for the "
                                       "unpaid commission up to the end of the period.")
        self.prepare_button.setVisible(actor.can(Permission.MANAGE_PARTNERS))
        self.prepare_button.clicked.connect(self.prepare)
        self.summary_button = QPushButton("Payout summary PDF…")
        self.summary_button.setVisible(actor.can(Permission.RUN_REPORTS))
        self.summary_button.clicked.connect(self.ask_summary)
        top = QHBoxLayout()
        top.addWidget(self.period)
        top.addWidget(QLabel("Status"))
        top.addWidget(self.status)
        top.addWidget(self.prepare_button)
        top.addStretch(1)
        top.addWidget(self.summary_button)
        self.title = QLabel("Loading the payouts…")
        self.table = read_only_table(COLUMNS)
        self.table.itemSelectionChanged.connect(self._enable)
        self.approve_button = QPushButton("Approve")
        self.reject_button = QPushButton("Reject…")
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip("Pay the approved payout into the partner's payout "
                                    "account through the platform.")
        self.approve_button.clicked.connect(lambda: self.decide(True))
        self.reject_button.clicked.connect(self.ask_reject)
        self.send_button.clicked.connect(self.send)
        self.who_decides = QLabel("Finance officers approve, reject and send payouts.")
        self.who_decides.setVisible(not self.decides)
        bottom = QHBoxLayout()
        bottom.addWidget(self.who_decides)
        bottom.addStretch(1)
        for button in (self.reject_button, self.approve_button, self.send_button):
            button.setVisible(self.decides)
            bottom.addWidget(button)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.message)
        self._enable()

    # -- the list ---------------------------------------------------------------------
    def refresh(self, select: set[int] | None = None) -> None:
        desk, status = self.desk, FILTERS[self.status.currentText()]
        first, last = self.period.period()

        def job() -> list[PayoutRow]:
            return [r for r in commissions.payouts(desk, status)
                    if first <= r.period_end <= last]
        self.worker.submit(job, lambda rows: self._fill(rows, select), self._failed,
                           owner=self)

    def _fill(self, rows: list[PayoutRow], select: set[int] | None) -> None:
        keep = select or {r.id for r in self.chosen_rows()}
        self.rows = rows
        self.table.blockSignals(True)
        fill_table(self.table, [
            (r.partner, r.code, f"{long_date(r.period_start)} – {long_date(r.period_end)}",
             amount(r), r.currency, STATUS_WORDS.get(r.status, r.status), r.prepared_by,
             r.approved_by or "—", r.reason) for r in rows], right=(3,),
            attention={n for n, r in enumerate(rows) if r.status == "rejected"})
        again = next((n for n, r in enumerate(rows) if r.id in keep), None)
        if again is not None:
            self.table.selectRow(again)
        self.table.blockSignals(False)
        first, last = self.period.period()
        waiting = sum(r.status == "proposed" for r in rows)
        self.title.setText(
            f"{len(rows)} payout{'' if len(rows) == 1 else 's'} for periods ending "
            f"{long_date(first)} to {long_date(last)}"
            + (f", {waiting} waiting for approval." if waiting else ".")
            if rows else f"No payouts for periods ending {long_date(first)} to "
            f"{long_date(last)}.")
        self._enable()

    def chosen_rows(self) -> list[PayoutRow]:
        return [self.rows[i.row()] for i in self.table.selectionModel().selectedRows()
                if i.row() < len(self.rows)]

    def current(self) -> PayoutRow | None:
        rows = self.chosen_rows()
        return rows[0] if rows else None

    def select(self, payout_id: int) -> None:
        self.table.selectRow(next(n for n, r in enumerate(self.rows) if r.id == payout_id))

    def _enable(self) -> None:
        row, free = self.current(), not self.busy
        self.approve_button.setEnabled(free and row is not None and row.can_decide)
        self.reject_button.setEnabled(free and row is not None and row.can_decide)
        self.send_button.setEnabled(free and self.decides and row is not None
                                    and row.status == "approved")
        self.prepare_button.setEnabled(free)
        why = ""
        if row is not None and row.status == "proposed" and self.decides and not row.can_decide:
            why = "You prepared this run: another finance officer approves or rejects it."
        self.approve_button.setToolTip(why)
        self.reject_button.setToolTip(why)

    # -- doing ------------------------------------------------------------------------
    def _run(self, job: Callable[[], Any], said: Callable[[Any], str] | str,
             select: set[int] | None = None) -> None:
        self.busy = True
        self._enable()

        def done(result: Any) -> None:
            self.busy = False
            text = said if isinstance(said, str) else said(result)
            self.say(text)
            self.refresh(select)
            self.changed.emit(text)
        self.worker.submit(job, done, self._failed, owner=self)

    def prepare(self) -> None:
        desk, (first, last) = self.desk, self.period.period()
        self.say(f"Preparing the payout run for {long_date(first)} to {long_date(last)}…")
        self._run(lambda: commissions.prepare_run(desk, first, last), run_text)

    def decide(self, approve: bool, reason: str = "") -> None:
        row = self.current()
        if row is None:
            return
        desk = self.desk
        verb = "Approved" if approve else "Rejected"
        self._run(lambda: commissions.decide_payout(desk, row.id, approve, reason),
                  f"{verb} the payout of {format_money(row.amount_minor, row.currency)} to "
                  f"{row.partner}.", {row.id})

    def ask_reject(self) -> ReasonDialog | None:
        row = self.current()
        if row is None:
            return None
        if self.reject_dialog is not None:
            self.reject_dialog.deleteLater()
        dialog = reject_payout_dialog(row, self)
        dialog.accepted.connect(lambda: self.decide(False, dialog.reason_text()))
        self.reject_dialog = dialog
        dialog.open()
        return dialog

    def send(self) -> None:
        row = self.current()
        if row is None:
            return
        desk = self.desk
        self._run(lambda: commissions.send_payout(desk, row.id),
                  f"The payout to {row.partner} is queued; it is paid once the platform "
                  "has it.", {row.id})

    def ask_summary(self) -> None:
        first, last = self.period.period()
        dialog = QFileDialog(self, "Save the payout summary", f"payouts-{first}-{last}.pdf",
                             "PDF files (*.pdf)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(lambda path: self.save_summary(Path(path)))
        dialog.open()

    def save_summary(self, path: Path) -> None:
        desk, (first, last) = self.desk, self.period.period()
        self.say("Writing the payout summary…")
        self.worker.submit(
            lambda: reports.payout_summary_pdf(desk, path, date_from=first, date_to=last),
            lambda pages: self.say(f"Saved the payout summary for periods ending "
                                   f"{long_date(first)} to {long_date(last)} ({pages} "
                                   f"page{'' if pages == 1 else 's'}) to {path}."),
            self._failed, owner=self)

    def say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {RED};" if error else "")
        self.message.setText(text)

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self._enable()
        self.say(user_message(error), error=True)
