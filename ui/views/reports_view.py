"""Reports: the library of PDF reports. Choose a report and what it asks for, then
Preview (made in memory and shown in the document viewer), Save as… (written by the
service to the file chosen) or Print… (the in-memory PDF drawn onto the printer).
Below, the reports generated in this workspace, from the audit log.

Every report is made on the database worker; the page only shows the results, so the
window keeps answering while a long report is laid out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.roles import Permission
from app.services import report_library
from app.services.report_library import HistoryLine, ReportParams
from app.services.workspace import Desk
from ui.messages import user_message
from ui.views.reports_form import ReportForm
from ui.views.reports_history import ReportHistory
from ui.views.reports_print import PdfPrintJob, match_paper
from ui.widgets.document_viewer import DocumentViewer
from ui.worker import DbWorker

PDF = "application/pdf"


def pages_text(pages: int) -> str:
    return f"{pages} page{'' if pages == 1 else 's'}"


class ReportsPage(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-reports")
        self.desk, self.worker = desk, worker
        self.allowed = desk.actor.can(Permission.RUN_REPORTS)
        self.busy = False
        # The PDF shown in the viewer and what it was made from: Print reuses it.
        self.shown: tuple[str, ReportParams, bytes] | None = None
        self.print_job: PdfPrintJob | None = None
        self.file_dialog: QFileDialog | None = None
        self.print_dialog: QPrintDialog | None = None
        title = QLabel("Reports")
        title.setObjectName("pageTitle")
        self.form = ReportForm(desk, worker)
        self.form.changed.connect(self._enable)
        self.preview_button = QPushButton("Preview")
        self.save_button = QPushButton("Save as…")
        self.print_button = QPushButton("Print…")
        # Lambdas: clicked(bool) would otherwise land in the slots' first parameter.
        self.preview_button.clicked.connect(lambda: self.preview())
        self.save_button.clicked.connect(lambda: self.ask_save())
        self.print_button.clicked.connect(lambda: self.ask_print())
        buttons = QHBoxLayout()
        for button in (self.preview_button, self.save_button, self.print_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.message = QLabel()
        self.message.setObjectName("reportMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.viewer = DocumentViewer()
        self.history = ReportHistory()
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.form)
        column.addLayout(buttons)
        column.addWidget(self.message)
        column.addWidget(self.history, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.viewer)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(split, 1)
        if not self.allowed:
            self.say(f"{desk.actor.full_name} ({desk.actor.role.label}) may not run reports; "
                     "compliance, finance officers and managers can.")
        self._enable()

    def refresh(self) -> None:
        if not self.allowed:
            return
        self.form.load_choices()
        self.load_history()

    # -- state ------------------------------------------------------------------------
    def say(self, text: str) -> None:
        self.message.setText(text)

    def _enable(self) -> None:
        free = self.allowed and not self.busy
        for button in (self.preview_button, self.save_button, self.print_button):
            button.setEnabled(free)
        self.form.setEnabled(self.allowed and not self.busy)

    def _start(self, text: str) -> None:
        self.busy = True
        self._enable()
        self.say(text)

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self._enable()
        self.say(user_message(error))

    def _key(self) -> tuple[str, ReportParams]:
        return self.form.kind().name, self.form.params()

    # -- preview ----------------------------------------------------------------------
    def preview(self, then: Callable[[bytes], None] | None = None) -> None:
        desk, kind, params = self.desk, self.form.kind(), self.form.params()
        what = self.form.describe()
        self._start(f"Making the preview of the {what}…")

        def done(data: bytes) -> None:
            self.busy = False
            self._enable()
            self.shown = (kind.name, params, data)
            if not self.viewer.show_document(data, PDF):
                self.say("The report was made but cannot be shown here.")
                return
            self.say(f"Preview of the {what} ({pages_text(self.viewer.pages)}).")
            self.load_history()
            if then is not None:
                then(data)

        self.worker.submit(lambda: kind.preview(desk, params), done, self._failed, owner=self)

    # -- save -------------------------------------------------------------------------
    def suggested_name(self) -> str:
        kind, params = self.form.kind(), self.form.params()
        parts = [kind.name]
        if params.client_id is not None:
            parts.append(f"client-{params.client_id}")
        if params.partner:
            parts.append(params.partner)
        if params.run:
            parts.append(params.run[:8])
        if params.period is not None:
            parts.append(f"{params.period.date_from}-{params.period.date_to}")
        return "-".join(parts) + ".pdf"

    def ask_save(self) -> QFileDialog:
        dialog = QFileDialog(self, "Save the report", self.suggested_name(), "PDF files (*.pdf)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(lambda path: self.save_to(Path(path)))
        if self.file_dialog is not None:
            self.file_dialog.deleteLater()
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def save_to(self, path: Path) -> None:
        desk, kind, params = self.desk, self.form.kind(), self.form.params()
        what = self.form.describe()
        self._start(f"Writing the {what}…")

        def done(pages: int) -> None:
            self.busy = False
            self._enable()
            self.say(f"Saved the {what} ({pages_text(pages)}) to {path}.")
            self.load_history()

        self.worker.submit(lambda: kind.write(desk, params, path), done, self._failed,
                           owner=self)

    # -- print ------------------------------------------------------------------------
    def ask_print(self) -> None:
        """Make the preview if the one shown is not of this report, then ask where to
        print it."""
        self._with_pdf(self._print_dialog)

    def _print_dialog(self, data: bytes) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        match_paper(printer, data)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Print the report")
        dialog.accepted.connect(lambda: self.print_to(printer))
        if self.print_dialog is not None:
            self.print_dialog.deleteLater()
        self.print_dialog = dialog
        dialog.setWindowModality(Qt.WindowModality.WindowModal)  # open(), as the stubs allow
        dialog.show()

    def print_to(self, printer: QPrinter) -> None:
        """Print the report chosen to `printer` (a real one, or a PDF file)."""
        self._with_pdf(lambda data: self._print(data, printer))

    def _with_pdf(self, use: Callable[[bytes], None]) -> None:
        if self.shown is not None and self.shown[:2] == self._key():
            use(self.shown[2])
        else:
            self.preview(then=use)

    def _print(self, data: bytes, printer: QPrinter) -> None:
        job = PdfPrintJob(data, printer, self)
        self.print_job = job
        self._start("Printing…")
        job.progress.connect(lambda n, of: self.say(f"Printing page {n} of {of}…"))

        def finished(pages: int) -> None:
            self.busy = False
            self._enable()
            self.say(f"Sent {pages_text(pages)} of the {self.form.describe()} to the printer.")
            job.deleteLater()

        def failed(text: str) -> None:
            self.busy = False
            self._enable()
            self.say(text)
            job.deleteLater()

        job.finished.connect(finished)
        job.failed.connect(failed)
        job.start()

    # -- history ----------------------------------------------------------------------
    def load_history(self) -> None:
        desk = self.desk

        def job() -> list[HistoryLine]:
            return report_library.report_history(desk)

        self.worker.submit(job, self.history.fill, self._history_failed, owner=self)

    def _history_failed(self, error: BaseException) -> None:
        self.history.title.setText(user_message(error))
