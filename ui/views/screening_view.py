"""Sanctions and PEP screening: list versions, screening all clients, the hit queue
and the review of one hit (true match freezes the client; false positive needs why)."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.roles import Permission
from app.services import screening
from app.services.screening import HitView, ListVersion
from app.services.workspace import Desk
from ui.messages import user_message
from ui.operation import Cancelled, Operation, Progress
from ui.widgets.tables import read_only_table
from ui.worker import DbWorker

SOURCES = (("ofac", "OFAC SDN (sdn.csv, alt.csv, add.csv)"),
           ("un", "UN consolidated list (XML)"),
           ("eu", "EU financial sanctions (XML)"),
           ("opensanctions", "OpenSanctions targets.simple.csv"))
HIT_COLUMNS = ("Score", "Client", "Country", "Born", "Listed as", "Matched name", "List")
LIST_COLUMNS = ("List", "Version", "Published", "Entries", "Imported", "In use")


class ImportListDialog(QDialog):
    """Which list, which files. The files are read by the service, not here."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import a sanctions or PEP list")
        self.source = QComboBox()
        for key, label in SOURCES:
            self.source.addItem(label, key)
        self.files = QListWidget()
        self.files.setMinimumHeight(80)
        choose = QPushButton("Choose files…")
        choose.clicked.connect(self._choose)
        form = QFormLayout(self)
        form.addRow("List", self.source)
        form.addRow("Files", self.files)
        form.addRow("", choose)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _choose(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "List files", "",
                                                "List files (*.csv *.xml);;All files (*)")
        self.set_paths([Path(p) for p in paths])

    def set_paths(self, paths: list[Path]) -> None:
        self.files.clear()
        for path in paths:
            self.files.addItem(str(path))

    def chosen(self) -> tuple[str, list[Path]]:
        paths = [Path(self.files.item(i).text()) for i in range(self.files.count())]
        return str(self.source.currentData()), paths


class ScreeningPage(QWidget):
    hits_changed = Signal(int)  # open hits in the queue

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-screening")
        self.desk, self.worker = desk, worker
        self.can_review = desk.actor.can(Permission.REVIEW_SCREENING)
        self.can_import = desk.actor.can(Permission.IMPORT_LISTS)
        self.hits: list[HitView] = []
        self.unscreened = 0
        self.operation: Operation | None = None

        title = QLabel("Sanctions and PEP screening")
        title.setObjectName("pageTitle")
        self.import_button = QPushButton("Import list…")
        self.import_button.setVisible(self.can_import)
        self.import_button.clicked.connect(self.ask_import)
        self.rescreen_button = QPushButton("Screen all clients")
        self.rescreen_button.setVisible(self.can_import or self.can_review)
        self.rescreen_button.clicked.connect(lambda: self.start_rescreen("manual"))
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel_rescreen)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        for w in (self.progress, self.cancel_button, self.rescreen_button, self.import_button):
            top.addWidget(w)
        self.message = QLabel()
        self.message.setObjectName("pageMessage")
        self.message.setWordWrap(True)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.hide()

        self.list_table = read_only_table(LIST_COLUMNS)
        self.list_table.setMaximumHeight(150)
        self.hit_table = read_only_table(HIT_COLUMNS)
        self.hit_table.itemSelectionChanged.connect(self._hit_selected)
        self.queue_title = QLabel("Hits to review")
        self.queue_title.setObjectName("sectionTitle")

        self.detail = QLabel("Select a hit to see why it was found.")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why (required for a false positive), e.g. "
                                       "different date of birth and nationality")
        self.false_button = QPushButton("False positive")
        self.true_button = QPushButton("True match — freeze client")
        self.true_button.setObjectName("dangerButton")
        self.false_button.clicked.connect(lambda: self.review(False))
        self.true_button.clicked.connect(lambda: self.review(True))
        decide = QHBoxLayout()
        decide.addWidget(self.false_button)
        decide.addWidget(self.true_button)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.detail, 1)
        side_layout.addWidget(self.reason)
        side_layout.addLayout(decide)
        self._enable_decision(False)

        queue = QWidget()
        queue_layout = QVBoxLayout(queue)
        queue_layout.setContentsMargins(0, 0, 0, 0)
        queue_layout.addWidget(self.queue_title)
        queue_layout.addWidget(self.hit_table)
        splitter = QSplitter()
        splitter.addWidget(queue)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        side.setVisible(self.can_review)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.notice)
        layout.addWidget(QLabel("List versions"))
        layout.addWidget(self.list_table)
        layout.addWidget(splitter, 1)
        if not self.can_review:
            self.queue_title.setText("Screening hits are reviewed by compliance officers.")
            self.hit_table.hide()

    # -- loading --------------------------------------------------------------------------

    def refresh(self) -> None:
        desk = self.desk
        self.worker.submit(lambda: (screening.lists(desk), screening.unscreened_clients(desk)),
                           self._show_lists, self._error, owner=self)
        if self.can_review:
            self.worker.submit(lambda: screening.open_hits(desk), self._show_hits,
                               self._error, owner=self)

    def _show_lists(self, result: tuple[list[ListVersion], int]) -> None:
        versions, self.unscreened = result
        self.list_table.setRowCount(len(versions))
        for r, v in enumerate(versions):
            published = (f"{v.published:%Y-%m-%d}" if v.published else
                         "not dated (files' checksum)")
            for c, text in enumerate((v.name, v.version, published, f"{v.entry_count:,}",
                                      f"{v.imported_at:%Y-%m-%d %H:%M} by {v.imported_by or '—'}",
                                      "yes" if v.active else "replaced")):
                self.list_table.setItem(r, c, QTableWidgetItem(text))
        self.list_table.resizeColumnsToContents()
        if not versions:
            self._say("No lists imported yet. Import the official OFAC, UN, EU or "
                      "OpenSanctions files to screen clients.")
        self.notice.setVisible(bool(versions) and self.unscreened > 0)
        self.notice.setText(f"{self.unscreened:,} client(s) have not been screened against "
                            "the lists in use yet (new from the platform or an import). "
                            "Press “Screen all clients”.")

    def _show_hits(self, hits: list[HitView]) -> None:
        self.hits = hits
        self.hit_table.setRowCount(len(hits))
        for r, h in enumerate(hits):
            born = f"{h.client_birth_date:%Y-%m-%d}" if h.client_birth_date else ""
            for c, text in enumerate((str(h.score), h.client_name, h.client_country, born,
                                      h.listed_name, h.matched_name,
                                      f"{h.list_name} {h.list_version}")):
                item = QTableWidgetItem(text)
                if c == 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.hit_table.setItem(r, c, item)
        self.hit_table.resizeColumnsToContents()
        self.queue_title.setText(f"Hits to review ({len(hits):,})" if hits else
                                 "No hits to review.")
        self._enable_decision(False)
        self.detail.setText("Select a hit to see why it was found." if hits else "")
        self.hits_changed.emit(len(hits))

    def _hit_selected(self) -> None:
        hit = self.current_hit()
        self._enable_decision(hit is not None)
        if hit is None:
            return
        facts = [("Client", f"{hit.client_name} ({hit.client_country}"
                  + (f", born {hit.client_birth_date:%Y-%m-%d})" if hit.client_birth_date
                     else ")")),
                 ("Listed as", hit.listed_name),
                 ("Matched name", hit.matched_name),
                 ("List", f"{hit.list_name} {hit.list_version}, entry {hit.entry_ref}"),
                 ("Listed born", ", ".join(hit.listed_birth_dates) or "not given"),
                 ("Listed countries", ", ".join(hit.listed_countries) or "not given"),
                 ("Programmes", ", ".join(hit.programs) or "—")]
        if hit.remarks:
            facts.append(("Remarks", hit.remarks))
        rows = "".join(f"<tr><td><b>{escape(k)}</b>&nbsp;&nbsp;</td><td>{escape(v)}</td></tr>"
                       for k, v in facts)
        why = "".join(f"<li>{escape(w)}</li>" for w in hit.why)
        self.detail.setText(f"<h3>Score {hit.score}</h3><table>{rows}</table>"
                            f"<p><b>Why it was found</b></p><ul>{why}</ul>")

    def current_hit(self) -> HitView | None:
        rows = self.hit_table.selectionModel().selectedRows()
        return self.hits[rows[0].row()] if rows and rows[0].row() < len(self.hits) else None

    def _enable_decision(self, on: bool) -> None:
        for w in (self.reason, self.false_button, self.true_button):
            w.setEnabled(on)

    # -- review ---------------------------------------------------------------------------

    def review(self, true_match: bool) -> None:
        hit = self.current_hit()
        if hit is None:
            return
        desk, reason = self.desk, self.reason.text()
        self._enable_decision(False)

        def done(_result: Any) -> None:
            self.reason.clear()
            self._say(f"{hit.client_name}: " + (
                "confirmed as a match; the client is frozen (no new accounts, no money "
                "out) until compliance lifts it." if true_match else
                "recorded as a false positive."))
            self.refresh()

        self.worker.submit(lambda: screening.review_hit(desk, hit.id, true_match, reason),
                           done, self._error, owner=self)

    # -- importing and rescreening ----------------------------------------------------------

    def ask_import(self) -> None:
        dialog = ImportListDialog(self)
        dialog.accepted.connect(lambda: self.import_files(*dialog.chosen()))
        dialog.open()

    def import_files(self, source: str, paths: list[Path]) -> None:
        if not paths:
            self._say("Choose the list's files to import.", error=True)
            return
        desk = self.desk
        self._say("Importing the list…")

        def imported(_list_id: Any) -> None:
            self.refresh()
            self.start_rescreen("list_update")

        self.worker.submit(lambda: screening.import_list(desk, source, paths), imported,
                           self._error, owner=self)

    def start_rescreen(self, trigger: str) -> None:
        if self.operation is not None:
            return
        desk = self.desk

        def job(progress: Progress, cancelled: Cancelled) -> object:
            return screening.rescreen_all(desk, trigger, progress, cancelled)

        op = Operation(job, self)
        op.progressed.connect(self._progressed)
        op.succeeded.connect(self._rescreened)
        op.failed.connect(self._rescreen_failed)
        self.operation = op
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        self.rescreen_button.setEnabled(False)
        self.import_button.setEnabled(False)
        self._say("Screening all clients against the lists in use…")
        op.start()

    def cancel_rescreen(self) -> None:
        if self.operation is not None:
            self.operation.cancel()
            self._say("Stopping after the current batch…")

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done:,} of {total:,} clients")

    def _finish_operation(self) -> None:
        if self.operation is not None:
            self.operation.wait()
            self.operation.deleteLater()
        self.operation = None
        self.progress.hide()
        self.cancel_button.hide()
        self.rescreen_button.setEnabled(True)
        self.import_button.setEnabled(True)

    def _rescreened(self, result: screening.RunResult) -> None:
        self._finish_operation()
        t = result.tally
        if result.finished:
            self._say(f"Screened {t.clients:,} clients: {t.new:,} new hits, "
                      f"{t.reopened:,} reopened.")
        else:
            self._say(f"Stopped after {t.clients:,} clients. “Screen all clients” "
                      "continues where it stopped; nothing screened so far is lost.")
        self.refresh()

    def _rescreen_failed(self, error: BaseException) -> None:
        self._finish_operation()
        self._error(error)

    def stop(self) -> None:
        """Before the window closes: let a running screening stop at a batch boundary."""
        if self.operation is not None:
            self.operation.cancel()
            self.operation.wait()

    # -- messages -------------------------------------------------------------------------

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setProperty("error", error)
        self.message.setStyleSheet("color: #b3261e;" if error else "")
        self.message.setText(text)

    def _error(self, error: BaseException) -> None:
        self._enable_decision(self.current_hit() is not None)
        self._say(user_message(error), error=True)
