"""Everything that happened to the client, newest first, a page at a time."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.crm.timeline import TimelineEvent, client_timeline
from app.services.workspace import Desk
from ui.messages import user_message
from ui.views.client.format import ERROR_STYLE, when
from ui.widgets.tables import fill_table, read_only_table
from ui.worker import DbWorker

PAGE = 50
KINDS = {"change": "Change", "created": "Record", "account": "Account", "trades": "Trading",
         "balance": "Balance", "payment": "Money", "kyc": "KYC", "document": "Document",
         "note": "Note", "task": "Task"}


class TimelinePanel(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.client_id: int | None = None
        self.events: list[TimelineEvent] = []
        self.complete = False
        self._generation = 0
        self.table = read_only_table(("When", "Kind", "What", "Who", "Details"))
        self.note = QLabel("Loading…")
        self.more_button = QPushButton(f"Show {PAGE} more")
        self.more_button.clicked.connect(self.more)
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.more_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)

    def show_client(self, client_id: int) -> None:
        """Load the newest page again (after a change the top of the timeline moved)."""
        self.client_id, self.events, self.complete = client_id, [], False
        self._generation += 1
        self._load()

    def more(self) -> None:
        if self.client_id is not None and not self.complete:
            self._load()

    def _load(self) -> None:
        assert self.client_id is not None
        desk, cid, offset, gen = self.desk, self.client_id, len(self.events), self._generation
        self.more_button.setEnabled(False)
        self.worker.submit(lambda: client_timeline(desk, cid, offset, PAGE),
                           lambda events: self._arrived(gen, events), self._failed,
                           owner=self)

    def _arrived(self, gen: int, events: list[TimelineEvent]) -> None:
        if gen != self._generation:
            return  # another client, or a reload after a change, superseded this page
        self.events.extend(events)
        self.complete = len(events) < PAGE
        fill_table(self.table, [(when(e.at), KINDS.get(e.kind, e.kind), e.title, e.who,
                                 e.detail) for e in self.events])
        self.table.setColumnWidth(2, min(self.table.columnWidth(2), 320))
        self.note.setStyleSheet("")
        self.note.setText("Nothing recorded yet." if not self.events else
                          f"Newest first: {len(self.events):,} events"
                          + ("" if self.complete else " shown so far") + ".")
        self.more_button.setVisible(not self.complete)
        self.more_button.setEnabled(True)

    def _failed(self, error: BaseException) -> None:
        self.more_button.setEnabled(True)
        self.note.setStyleSheet(ERROR_STYLE)
        self.note.setText(user_message(error))
