"""Record retention: how long each kind of record is kept, what is never purged, a
preview of what a purge would remove (and which closed clients are held, and why),
and the purge itself after a confirmation.

Periods are checked as they are typed by the rule the service applies; the service
refuses regardless. Reading and purging run on the database worker.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import BackdeskError
from app.retention.policies import MAX_YEARS, NEVER_PURGED, Policy, check_years, counted
from app.retention.purge import HeldClient, KindDue, PurgePreview, PurgeResult
from app.roles import Permission
from app.services import retention
from app.services.workspace import Desk
from ui.messages import user_message
from ui.worker import DbWorker

RED = "#b3261e"


def _item(text: str, *, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _table(headers: list[str], stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setWordWrap(True)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    header = table.horizontalHeader()
    for column in range(len(headers)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch if column == stretch
                                    else QHeaderView.ResizeMode.ResizeToContents)
    return table


def _fit_height(table: QTableWidget) -> None:
    """As tall as its rows: these lists are short, the space is better left to others."""
    rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
    table.setFixedHeight(rows + table.horizontalHeader().height() + 2 * table.frameWidth())


class RetentionDialog(QDialog):
    purged = Signal(str)  # what the purge did, in words

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.allowed = desk.actor.can(Permission.MANAGE_WORKSPACE)
        self.policies: list[Policy] = []
        self.spins: dict[str, QSpinBox] = {}
        self.preview: PurgePreview | None = None
        self.confirm_box: QMessageBox | None = None
        self.busy = False
        self.setWindowTitle("Record retention")
        intro = QLabel(
            "Records are kept at least five years after a client relationship ends. A purge "
            "removes only what is past its period, and nothing of a closed client who is "
            "still held (frozen, an open alert or case, money left, a payment not settled)."
            + ("" if self.allowed else " Only an administrator changes periods and purges."))
        intro.setWordWrap(True)
        self.table = _table(["Record kind", "Kept", "At least (years)", "What it covers"], 3)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # A row is never lower than the spin box it holds.
        self.table.verticalHeader().setMinimumSectionSize(QSpinBox().sizeHint().height() + 4)
        self.check = QLabel()
        self.check.setWordWrap(True)
        self.check.setTextFormat(Qt.TextFormat.PlainText)
        self.save = QPushButton("Save periods")
        self.save.setEnabled(False)
        never = QLabel("<b>Never purged</b><ul style='margin: 0'>" + "".join(
            f"<li><b>{escape(what)}</b>: {escape(why)}</li>" for what, why in NEVER_PURGED)
            + "</ul>")
        never.setTextFormat(Qt.TextFormat.RichText)
        never.setWordWrap(True)
        self.due = _table(["Record kind", "Would go", "What", "Ended before"], 2)
        self.held = _table(["Client", "Ended", "Held because"], 2)
        self.due_title = QLabel()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.preview_button = QPushButton("Preview purge")
        self.purge_button = QPushButton("Purge now…")
        close = QPushButton("Close")
        for button in (self.save, self.preview_button, self.purge_button):
            button.setEnabled(False)
        self.save.clicked.connect(self.save_periods)
        self.preview_button.clicked.connect(self.run_preview)
        self.purge_button.clicked.connect(self.ask_purge)
        close.clicked.connect(self.reject)
        periods = QHBoxLayout()
        periods.addWidget(self.check, 1)
        periods.addWidget(self.save)
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.purge_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addLayout(periods)
        layout.addWidget(never)
        layout.addWidget(self.due_title)
        layout.addWidget(self.due)
        layout.addWidget(QLabel("<b>Closed clients held back</b>"))
        layout.addWidget(self.held, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.due_title.setText("<b>What a purge would remove</b> (preview to see)")
        self.resize(1040, 880)
        self.load()

    # -- the work, on the database worker ----------------------------------------------
    def _submit(self, job: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self._busy(True)
        self.worker.submit(job, lambda result: self._finish(done, result), self._failed,
                           owner=self)

    def _finish(self, done: Callable[[Any], None], result: Any) -> None:
        self._busy(False)
        done(result)

    def _failed(self, error: BaseException) -> None:
        self._busy(False)
        self.say(user_message(error), error=True)

    def _busy(self, busy: bool) -> None:
        self.busy = busy
        self.preview_button.setEnabled(self.allowed and not busy)
        self.purge_button.setEnabled(self.allowed and not busy)
        self.recheck()

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {RED};" if error else "")
        self.message.setText(text)

    def load(self) -> None:
        desk = self.desk
        self._submit(lambda: retention.policies(desk), self._show_policies)

    def save_periods(self) -> None:
        desk = self.desk
        changes = self.changed_periods()
        if not changes:
            return

        def job() -> list[Policy]:
            for key, years in changes.items():
                retention.set_policy(desk, key, years)
            return retention.policies(desk)

        def done(policies: list[Policy]) -> None:
            self._show_policies(policies)
            self.say("Saved: " + "; ".join(
                f"{p.kind.label} {p.years} year{'s' if p.years != 1 else ''}"
                for p in policies if p.kind.key in changes) + ".")

        self._submit(job, done)

    def run_preview(self) -> None:
        desk = self.desk
        self._submit(lambda: retention.preview_purge(desk), self._show_preview)

    def ask_purge(self) -> None:
        """Preview first: the confirmation says what will go, as of now."""
        desk = self.desk
        self._submit(lambda: retention.preview_purge(desk), self._confirm)

    def _confirm(self, preview: PurgePreview) -> None:
        self._show_preview(preview)
        if preview.total == 0:
            self.say("Nothing is past its retention period: there is nothing to purge.")
            return
        kinds = [k for k in preview.kinds if k.count]
        box = QMessageBox(QMessageBox.Icon.Warning, "Purge records",
                          f"Remove {preview.total:,} record(s) past their retention period "
                          f"({', '.join(k.label for k in kinds)})?\n\n"
                          "This cannot be undone. What is removed is recorded by number "
                          "only, in the purge record and the audit log."
                          + (f"\n\n{len(preview.held)} held client(s) keep everything."
                             if preview.held else ""),
                          QMessageBox.StandardButton.Cancel, self)
        self.confirm_yes = box.addButton("Purge now", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(
            lambda button: self._purge() if button is self.confirm_yes else None)
        self.confirm_box = box
        box.open()

    def _purge(self) -> None:
        desk = self.desk
        self._submit(lambda: retention.purge(desk), self._purged)

    # -- showing ------------------------------------------------------------------------
    def _show_policies(self, policies: list[Policy]) -> None:
        self.policies = policies
        self.table.setRowCount(len(policies))
        self.spins = {}
        for row, p in enumerate(policies):
            self.table.setItem(row, 0, _item(p.kind.label))
            spin = QSpinBox()
            spin.setRange(1, MAX_YEARS)
            spin.setValue(p.years)
            spin.setSuffix(" years")
            spin.setEnabled(self.allowed)
            spin.valueChanged.connect(lambda _v: self.recheck())
            self.spins[p.kind.key] = spin
            self.table.setCellWidget(row, 1, spin)
            self.table.setItem(row, 2, _item(f"{p.kind.floor_years}", right=True))
            self.table.setItem(row, 3, _item(p.kind.covers))
        self.table.resizeRowsToContents()
        _fit_height(self.table)
        self.recheck()

    def changed_periods(self) -> dict[str, int]:
        return {p.kind.key: self.spins[p.kind.key].value() for p in self.policies
                if p.kind.key in self.spins and self.spins[p.kind.key].value() != p.years}

    def recheck(self) -> None:
        """Says what is wrong with the periods typed; Save only when all are right."""
        problems = []
        for p in self.policies:
            spin = self.spins.get(p.kind.key)
            if spin is None:
                continue
            try:
                check_years(p.kind, spin.value())
            except BackdeskError as exc:
                problems.append(exc.message)
        self.check.setText(" ".join(problems))
        self.check.setStyleSheet(f"color: {RED};" if problems else "")
        self.save.setEnabled(self.allowed and not self.busy
                             and not problems and bool(self.changed_periods()))

    def _show_lines(self, title: str, lines: tuple[KindDue, ...],
                    held: tuple[HeldClient, ...]) -> None:
        self.due_title.setText(f"<b>{escape(title)}</b>")
        self.due.setHorizontalHeaderLabels(
            ["Record kind", "Would go" if self.preview else "Removed", "What", "Ended before"])
        self.due.setRowCount(len(lines))
        for row, k in enumerate(lines):
            self.due.setItem(row, 0, _item(k.label))
            self.due.setItem(row, 1, _item(f"{k.count:,}", right=True))
            self.due.setItem(row, 2, _item(counted(k.rows) or "nothing"))
            self.due.setItem(row, 3, _item(f"{k.cutoff} ({k.years} years)"))
        self.held.setRowCount(len(held))
        for row, h in enumerate(held):
            self.held.setItem(row, 0, _item(f"{h.name} (#{h.id})"))
            ended = f"{h.ended}" + (" (last change; no closing date recorded)"
                                    if h.inferred else "")
            self.held.setItem(row, 1, _item(ended))
            self.held.setItem(row, 2, _item("; ".join(h.reasons)))
        self.due.resizeRowsToContents()
        _fit_height(self.due)
        self.held.resizeRowsToContents()

    def _show_preview(self, preview: PurgePreview) -> None:
        self.preview = preview
        self._show_lines(f"What a purge would remove as of {preview.today}", preview.kinds,
                         preview.held)
        held = f" {len(preview.held)} closed client(s) are held." if preview.held else ""
        inferred = (f" {len(preview.inferred)} client(s) have no closing date recorded; their "
                    "last change is taken as the end." if preview.inferred else "")
        self.say(f"As of {preview.today}, a purge would remove {preview.total:,} record(s)."
                 + held + inferred)

    def _purged(self, result: PurgeResult) -> None:
        self.preview = None
        self._show_lines(f"What the purge of {result.today} removed", result.kinds, result.held)
        said = (f"Purged {result.removed:,} record(s) as of {result.today}; recorded as purge "
                f"{result.run_uid[:8]}." + (f" {len(result.held)} held client(s) kept "
                                            "everything." if result.held else ""))
        self.say(said)
        self.purged.emit(said)
