"""One partner's card: who it is (code, upline, plans with their terms, payout
account), what it brought in over a chosen period (clients, money, volume and
commission by level, month by month), and what can be done to it. Every read and
change runs on the database worker; a refusal is shown in the service's words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.commissions.performance import PartnerCard, Performance, TreeRow, from_the_start
from app.money import format_money, lots
from app.reports.commission_data import tier_label
from app.roles import Permission
from app.services import reports
from app.services.partner_performance import partner_card, partner_performance
from app.services.workspace import Desk
from ui.dialogs.partner_form import PayoutAccountDialog, ServiceDialog, long_date
from ui.dialogs.partner_move import AssignPlanDialog, MovePartnerDialog
from ui.messages import user_message
from ui.views.ledger_tabs import fit_rows, no_stretch
from ui.views.partners_period import PeriodPicker
from ui.widgets.tables import fill_table, read_only_table
from ui.worker import DbWorker

RED = "#b3261e"
FIGURES = (("clients", "Clients referred"), ("funded", "Funded"), ("active", "Active"),
           ("volume", "Volume"), ("money", "Net deposits"), ("sub_partners", "Sub-partners"))
MONTH_COLUMNS = ("Month", "New clients", "Volume (lots)", "Commission")
NOTHING_CHOSEN = "Select a partner to see its card."


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def figures(p: Performance) -> dict[str, str]:
    money = [f"{format_money(f.net, f.currency)} (in {format_money(f.deposits, f.currency)}"
             f", out {format_money(f.withdrawals, f.currency)})" for f in p.money]
    return {
        "clients": f"{p.clients:,} ({p.new_clients:,} new in the period)",
        "funded": f"{p.funded:,} ever, {p.funded_in_period:,} in the period",
        "active": f"{plural(p.active, 'client')} traded in the period",
        "volume": f"{lots(p.volume):,} lots",
        "money": "\n".join(money) or "—",
        "sub_partners": f"{p.sub_partners:,} directly below, {p.downline:,} in all",
    }


def commission_text(p: Performance) -> str:
    lines = [f"{tier_label(tier)}: {format_money(amount, cur)}"
             for tier, cur, amount in p.commission]
    if len(lines) > 1:
        lines.append("Total: " + ", ".join(format_money(a, c) for c, a in p.commission_total()))
    return "\n".join(lines) or "No commission in the period."


def plans_text(card: PartnerCard) -> str:
    if not card.plans:
        return "No plan assigned: its clients earn it no commission."
    lines = []
    for line in card.plans:
        accounts = "all accounts" if line.group == "*" else f"accounts in {line.group}"
        since = ("from the start" if from_the_start(line.effective_from)
                 else f"from {long_date(line.effective_from)}")
        lines.append(f"{line.name} — {line.terms} ({accounts}, {since}, {line.state})")
    return "\n".join(lines)


def section(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    label.setStyleSheet("font-weight: 600;")
    return label


class PartnerCardPanel(QWidget):
    changed = Signal(str)  # a change was made here; what, in words

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.row: TreeRow | None = None
        self.rows: Sequence[TreeRow] = ()
        self.day = date.today()
        self.card: PartnerCard | None = None
        self.performance: Performance | None = None
        self.dialog: ServiceDialog | None = None
        self.title = QLabel(NOTHING_CHOSEN)
        self.title.setObjectName("detailTitle")
        self.summary, self.upline, self.plans, self.payout = (QLabel() for _ in range(4))
        for label in (self.title, self.summary, self.upline, self.plans, self.payout):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)   # names are data
        manage = desk.actor.can(Permission.MANAGE_PARTNERS)
        self.move_button = QPushButton("Move under…")
        self.assign_button = QPushButton("Assign plan…")
        self.account_button = QPushButton("Payout account…")
        self.statement_button = QPushButton("Statement PDF…")
        self.statement_button.setToolTip("The partner's commission statement for the period "
                                         "below, as a PDF file.")
        self.move_button.clicked.connect(self.ask_move)
        self.assign_button.clicked.connect(self.ask_assign)
        self.account_button.clicked.connect(self.ask_account)
        self.statement_button.clicked.connect(self.ask_statement)
        for button in (self.move_button, self.assign_button, self.account_button):
            button.setVisible(manage)
        self.statement_button.setVisible(desk.actor.can(Permission.RUN_REPORTS))
        buttons = QHBoxLayout()
        for button in (self.move_button, self.assign_button, self.account_button,
                       self.statement_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.period = PeriodPicker("")
        self.period.changed.connect(self.load_performance)
        heading = QHBoxLayout()
        heading.addWidget(section("Performance"))
        heading.addStretch(1)
        heading.addWidget(self.period)
        self.values: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        for n, (key, text) in enumerate(FIGURES):
            name, value = QLabel(text), QLabel("—")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            value.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            self.values[key] = value
            grid.addWidget(name, n, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, n, 1)
        grid.setColumnStretch(1, 1)
        self.commission = QLabel()
        self.commission.setWordWrap(True)
        self.months = read_only_table(MONTH_COLUMNS)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        for label in (self.summary, self.upline, self.plans, self.payout):
            layout.addWidget(label)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(line)
        layout.addLayout(heading)
        layout.addLayout(grid)
        layout.addSpacing(6)
        layout.addWidget(section("Commission by level"))
        layout.addWidget(self.commission)
        layout.addSpacing(6)
        layout.addWidget(section("Month by month"))
        layout.addWidget(self.months)
        layout.addStretch(1)
        self.show_partner(None)

    # -- showing ----------------------------------------------------------------------
    @property
    def partner_id(self) -> int | None:
        return None if self.row is None else self.row.id

    def show_partner(self, row: TreeRow | None, rows: Sequence[TreeRow] = (),
                     day: date | None = None) -> None:
        if row is None or row.id != self.partner_id:
            self.message.clear()
        self.row, self.rows = row, rows or self.rows
        self.day = day or self.day
        for w in self.findChildren(QPushButton):
            w.setEnabled(row is not None)
        if row is None:
            self.card = self.performance = None
            self.title.setText(NOTHING_CHOSEN)
            for label in (self.summary, self.upline, self.plans, self.payout, self.commission):
                label.clear()
            for value in self.values.values():
                value.setText("—")
            self.months.setRowCount(0)
            fit_rows(self.months, 13)
            return
        self.title.setText(row.name)
        desk, pid, on = self.desk, row.id, self.day
        self.worker.submit(lambda: partner_card(desk, pid, on),
                           lambda card: self._show_card(pid, card), self._failed, owner=self)
        self.load_performance()

    def _show_card(self, pid: int, card: PartnerCard) -> None:
        if pid != self.partner_id:
            return
        self.card = card
        self.title.setText(card.name)
        self.summary.setText(f"Code {card.code} · paid in {card.currency} · "
                             + ("active" if card.active else
                                "inactive: earns nothing from deals after it was stopped"))
        self.upline.setText("Upline: " + (" › ".join(f"{n} ({c})" for _i, n, c in card.upline)
                                          or "none, at the top of the tree")
                            + f" (as on {long_date(self.day)})")
        self.plans.setText("Plans: " + plans_text(card))
        self.payout.setText(
            f"Payout account: {card.payout_login} ({card.payout_currency})"
            if card.payout_login is not None else
            "Payout account: none set — commission cannot be sent until one is.")

    def load_performance(self) -> None:
        if self.row is None:
            return
        desk, pid, (first, last) = self.desk, self.row.id, self.period.period()
        self.worker.submit(lambda: partner_performance(desk, pid, first, last),
                           lambda found: self._show_performance(pid, found), self._failed,
                           owner=self)

    def _show_performance(self, pid: int, p: Performance) -> None:
        if pid != self.partner_id or (p.first, p.last) != self.period.period():
            return
        self.performance = p
        for key, text in figures(p).items():
            self.values[key].setText(text)
        self.commission.setText(commission_text(p))
        fill_table(self.months, [
            (f"{m.first_day:%b %Y}", f"{m.new_clients:,}", f"{lots(m.volume):,}",
             ", ".join(format_money(a, c) for c, a in m.commission) or "—")
            for m in p.months], right=(1, 2, 3))
        no_stretch(self.months)
        fit_rows(self.months, 13)
        self.months.setFixedWidth(2 * self.months.frameWidth() + sum(
            self.months.columnWidth(c) for c in range(len(MONTH_COLUMNS))))

    def say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {RED};" if error else "")
        self.message.setText(text)

    def _failed(self, error: BaseException) -> None:
        self.say(user_message(error), error=True)

    # -- doing ------------------------------------------------------------------------
    def _open(self, dialog: ServiceDialog) -> ServiceDialog:
        if self.dialog is not None:
            self.dialog.deleteLater()
        dialog.changed.connect(self._changed)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _changed(self, said: str) -> None:
        self.say(said)
        self.changed.emit(said)

    def ask_move(self) -> ServiceDialog | None:
        if self.row is None:
            return None
        return self._open(MovePartnerDialog(self.desk, self.worker, self.row, self.rows, self))

    def ask_assign(self) -> ServiceDialog | None:
        if self.row is None:
            return None
        return self._open(AssignPlanDialog(self.desk, self.worker, self.row, self))

    def ask_account(self) -> ServiceDialog | None:
        if self.row is None:
            return None
        login = self.card.payout_login if self.card is not None else None
        return self._open(PayoutAccountDialog(self.desk, self.worker, self.row, login, self))

    def ask_statement(self) -> None:
        if self.row is None:
            return
        first, last = self.period.period()
        dialog = QFileDialog(self, "Save the commission statement",
                             f"commission-{self.row.code}-{first}-{last}.pdf",
                             "PDF files (*.pdf)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(lambda path: self.save_statement(Path(path)))
        dialog.open()

    def save_statement(self, path: Path) -> None:
        if self.row is None:
            return
        desk, pid, (first, last), name = self.desk, self.row.id, self.period.period(), \
            self.row.name
        self.say(f"Writing {name}'s statement…")
        self.worker.submit(
            lambda: reports.commission_statement_pdf(desk, pid, first, last, path),
            lambda pages: self.say(f"Saved {name}'s commission statement for "
                                   f"{long_date(first)} to {long_date(last)} "
                                   f"({plural(pages, 'page')}) to {path}."),
            self._failed, owner=self)
