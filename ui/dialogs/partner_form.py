"""New partner and a partner's payout account, plus what every partner dialog shares:
the change runs on the database worker, the dialog stays open while it does, and a
refusal is shown in the service's own words above the buttons."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.commissions.performance import TreeRow
from app.services import partners
from app.services.workspace import Desk
from ui.messages import user_message
from ui.worker import DbWorker

CURRENCIES = ("USD", "EUR", "GBP", "CHF", "JPY", "AUD", "CAD")
NO_UPLINE = "No upline (top of the tree)"


def to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def date_edit(value: date) -> QDateEdit:
    edit = QDateEdit(to_qdate(value))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


def long_date(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def partner_label(row: TreeRow) -> str:
    return f"{row.name} ({row.code})"


def partner_combo(rows: Sequence[TreeRow], *, none_text: str = "",
                  skip: int | None = None) -> QComboBox:
    """Partners by name, typed to search (two thousand do not fit a drop-down)."""
    combo = QComboBox()
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    if none_text:
        combo.addItem(none_text, None)
    for row in sorted(rows, key=lambda r: r.name.casefold()):
        if row.id != skip:
            combo.addItem(partner_label(row), row.id)
    completer = combo.completer()
    assert completer is not None
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    return combo


def chosen_id(combo: QComboBox) -> tuple[bool, int | None]:
    """(whether the typed text names an entry, its id)."""
    n = combo.findText(combo.currentText(), Qt.MatchFlag.MatchFixedString)
    return (n >= 0, combo.itemData(n) if n >= 0 else None)


class ServiceDialog(QDialog):
    changed = Signal(str)  # what was done, in words

    def __init__(self, desk: Desk, worker: DbWorker, title: str, action: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.run)
        self.buttons.rejected.connect(self.reject)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.hide()
        # The layout, not a fixed minimum, sizes the dialog: it grows when a refusal shows.
        self.intro.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def say_intro(self, text: str) -> None:
        self.intro.setText(text)
        self.intro.show()

    def run(self) -> None:
        raise NotImplementedError

    def submit(self, job: Callable[[], Any], said: Callable[[Any], str]) -> None:
        self.ok.setEnabled(False)
        self.error.hide()
        self.worker.submit(job, lambda result: self._done(said(result)), self._failed,
                           owner=self)

    def refuse(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.fit()

    def fit(self) -> None:
        """Tall enough for the wrapped text at the current width (a window does not grow
        by itself when a wrapped label appears)."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        need = (layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth()
                else layout.totalSizeHint().height())
        if self.height() < need:
            self.resize(self.width(), need)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit()

    def _done(self, text: str) -> None:
        self.changed.emit(text)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.ok.setEnabled(True)
        self.refuse(user_message(error))


class NewPartnerDialog(ServiceDialog):
    def __init__(self, desk: Desk, worker: DbWorker, rows: Sequence[TreeRow],
                 upline: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(desk, worker, "New partner", "Create partner", parent)
        self.created: int | None = None
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Kestrel Introducers Ltd")
        self.code = QLineEdit()
        self.code.setPlaceholderText("the referral code clients sign up with, e.g. KESTREL-1")
        self.currency = QComboBox()
        self.currency.addItems(CURRENCIES)
        self.upline = partner_combo(rows, none_text=NO_UPLINE)
        if upline is not None:
            self.upline.setCurrentIndex(max(0, self.upline.findData(upline)))
        self.form.addRow("Name", self.name)
        self.form.addRow("Referral code", self.code)
        self.form.addRow("Paid in", self.currency)
        self.form.addRow("Upline", self.upline)

    def run(self) -> None:
        known, upline = chosen_id(self.upline)
        if not known:
            self.refuse("Choose the upline from the list, or no upline.")
            return
        desk, name, code = self.desk, self.name.text(), self.code.text()
        currency = self.currency.currentText()

        def job() -> int:
            return partners.create_partner(desk, name, code, currency, parent_id=upline)

        def said(pid: int) -> str:
            self.created = pid
            return f"{name.strip()} ({code.strip().upper()}) is a partner now."

        self.submit(job, said)


class PayoutAccountDialog(ServiceDialog):
    def __init__(self, desk: Desk, worker: DbWorker, row: TreeRow, login: int | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(desk, worker, "Payout account", "Save", parent)
        self.row = row
        self.say_intro(f"The trading account {partner_label(row)}'s commission is paid "
                       "into. Leave it empty to pay nowhere until one is set.")
        self.login = QLineEdit("" if login is None else str(login))
        self.login.setPlaceholderText("trading account number")
        self.form.addRow("Account", self.login)

    def run(self) -> None:
        text = self.login.text().strip()
        if text and not text.isdigit():
            self.refuse("A trading account number has digits only.")
            return
        desk, pid, login = self.desk, self.row.id, int(text) if text else None
        self.submit(lambda: partners.set_payout_account(desk, pid, login),
                    lambda _r: (f"{self.row.name}'s commission is paid into account "
                                f"{login}." if login is not None else
                                f"{self.row.name} has no payout account now."))
