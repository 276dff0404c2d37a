"""The client page's notes (add) and tasks with due dates (add, complete, reopen)."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.crm.client_page import NoteRow
from app.crm.tasks import TaskRow, complete_task, create_task, reopen_task
from app.services.outbox import add_note
from app.services.workspace import Desk
from ui.messages import user_message
from ui.views.client.format import ERROR_STYLE, day, when
from ui.widgets.tables import fill_table, read_only_table
from ui.worker import DbWorker


class _Section(QWidget):
    changed = Signal()

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.client_id: int | None = None
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()

    def _failed(self, error: BaseException) -> None:
        self.setEnabled(True)
        self.error.setText(user_message(error))
        self.error.show()

    def _saved(self) -> None:
        self.setEnabled(True)
        self.error.hide()
        self.changed.emit()


class NotesPanel(_Section):
    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(desk, worker, parent)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("What happened, what was agreed…")
        self.text.setMaximumHeight(70)
        self.add_button = QPushButton("Add note")
        self.add_button.clicked.connect(self.add)
        self.table = read_only_table(("Written", "By", "Note"))
        row = QHBoxLayout()
        row.addWidget(self.text, 1)
        row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)

    def show_notes(self, client_id: int, notes: list[NoteRow]) -> None:
        self.client_id = client_id
        fill_table(self.table, [(when(n.created_at), n.author, n.body) for n in notes])
        self.table.resizeRowsToContents()

    def add(self) -> None:
        if self.client_id is None:
            return
        desk, cid, body = self.desk, self.client_id, self.text.toPlainText()
        self.setEnabled(False)
        self.worker.submit(lambda: add_note(desk, cid, body), lambda _r: self._added(),
                           self._failed, owner=self)

    def _added(self) -> None:
        self.text.clear()
        self._saved()


class TasksPanel(_Section):
    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(desk, worker, parent)
        self.rows: list[TaskRow] = []
        self.title = QLineEdit()
        self.title.setPlaceholderText("e.g. Call about the missing proof of address")
        self.title.returnPressed.connect(self.add)
        self.due = QDateEdit()
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd")
        self.has_due = QCheckBox("Due")
        self.has_due.setChecked(True)
        self.has_due.toggled.connect(self.due.setEnabled)
        self.add_button = QPushButton("Add task")
        self.add_button.clicked.connect(self.add)
        self.done_button = QPushButton("Mark done")
        self.done_button.clicked.connect(lambda: self.set_done(True))
        self.reopen_button = QPushButton("Reopen")
        self.reopen_button.clicked.connect(lambda: self.set_done(False))
        self.table = read_only_table(("Due", "Task", "Assigned to", "State"))
        self.table.itemSelectionChanged.connect(self._selected)
        adding = QHBoxLayout()
        adding.addWidget(self.title, 1)
        adding.addWidget(self.has_due)
        adding.addWidget(self.due)
        adding.addWidget(self.add_button)
        acting = QHBoxLayout()
        acting.addStretch(1)
        acting.addWidget(self.done_button)
        acting.addWidget(self.reopen_button)
        layout = QVBoxLayout(self)
        layout.addLayout(adding)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)
        layout.addLayout(acting)
        self._reset_due()
        self._selected()

    def _reset_due(self) -> None:
        today = date.today()
        self.due.setMinimumDate(QDate(today.year, today.month, today.day))
        soon = today + timedelta(days=7)
        self.due.setDate(QDate(soon.year, soon.month, soon.day))

    def show_tasks(self, client_id: int, rows: list[TaskRow]) -> None:
        self.client_id, self.rows = client_id, list(rows)

        def state(t: TaskRow) -> str:
            if t.done:
                return f"done {when(t.done_at)}"
            return "overdue" if t.overdue else "open"

        fill_table(self.table, [(day(t.due_date) or "—", t.title, t.assignee_name, state(t))
                                for t in rows],
                   attention={i for i, t in enumerate(rows) if t.overdue})
        self._selected()

    def current(self) -> TaskRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows and rows[0].row() < len(self.rows) else None

    def _selected(self) -> None:
        task = self.current()
        self.done_button.setEnabled(task is not None and not task.done)
        self.reopen_button.setEnabled(task is not None and task.done)

    def add(self) -> None:
        if self.client_id is None:
            return
        desk, cid, title = self.desk, self.client_id, self.title.text()
        picked = self.due.date()
        due = date(picked.year(), picked.month(), picked.day()) \
            if self.has_due.isChecked() else None
        self.setEnabled(False)
        self.worker.submit(lambda: create_task(desk, title, client_id=cid, due_date=due),
                           lambda _r: self._added(), self._failed, owner=self)

    def _added(self) -> None:
        self.title.clear()
        self._reset_due()
        self._saved()

    def set_done(self, done: bool) -> None:
        task = self.current()
        if task is None:
            return
        desk, task_id = self.desk, task.id
        self.setEnabled(False)
        self.worker.submit(lambda: (complete_task if done else reopen_task)(desk, task_id),
                           lambda _r: self._saved(), self._failed, owner=self)
