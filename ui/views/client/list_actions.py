"""What the client list does with many clients: bulk tag and manager, CSV import,
CSV/XLSX export of the list as filtered. Results and refusals show in one message line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QToolButton,
    QWidget,
)

from app.crm.client_export import ExportResult, export_clients
from app.crm.client_import import ImportResult
from ui.dialogs.bulk_change import BulkChangeDialog
from ui.dialogs.client_import import ClientImportDialog
from ui.messages import user_message
from ui.operation import Cancelled, Operation, Progress

if TYPE_CHECKING:
    from ui.views.clients_view import ClientsPage

FORMATS = {"csv": "CSV files (*.csv)", "xlsx": "Excel workbooks (*.xlsx)"}


class ListActions:
    def __init__(self, page: ClientsPage, *, can_edit: bool, can_import: bool,
                 can_export: bool) -> None:
        self.page = page
        self.count = 0
        self.operation: Operation | None = None
        self.dialog: BulkChangeDialog | None = None
        self.import_dialog: ClientImportDialog | None = None
        self.tag_button = QPushButton("Add tag…")
        self.manager_button = QPushButton("Assign manager…")
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("Import clients from a CSV file (with a preview)")
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setToolTip("Export the clients in the list as filtered")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for fmt, label in (("csv", "CSV…"), ("xlsx", "Excel (XLSX)…")):
            action = QAction(label, menu)
            action.triggered.connect(lambda _on=False, f=fmt: self.ask_export(f))
            menu.addAction(action)
        self.export_button.setMenu(menu)
        self.tag_button.clicked.connect(lambda: self.ask_bulk(tag=True))
        self.manager_button.clicked.connect(lambda: self.ask_bulk(tag=False))
        self.import_button.clicked.connect(self.ask_import)
        self.tag_button.setVisible(can_edit)
        self.manager_button.setVisible(can_edit)
        self.import_button.setVisible(can_import)
        self.export_button.setVisible(can_export)
        self.buttons: list[QWidget] = [self.tag_button, self.manager_button,
                                       self.import_button, self.export_button]

        self.bar = QWidget()
        self.message = QLabel()
        self.message.setObjectName("pageMessage")
        self.message.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(180)
        self.progress.hide()
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.message, 1)
        row.addWidget(self.progress)
        self.bar.hide()

    # -- state ------------------------------------------------------------------------
    def counted(self, count: int) -> None:
        self.count = count

    def selection_changed(self, selected: int) -> None:
        tip = (f"For the {selected:,} selected clients or the whole list" if selected
               else "For the whole list (select rows to change only those)")
        self.tag_button.setToolTip(tip)
        self.manager_button.setToolTip(tip)

    def say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b3261e;" if error else "")
        self.message.setText(text)
        self.bar.setVisible(bool(text) or self.operation is not None)

    # -- bulk changes -----------------------------------------------------------------
    def ask_bulk(self, *, tag: bool) -> None:
        page = self.page
        ids, missing = page.selected_ids()
        if missing:
            self.say(f"{missing:,} of the selected rows are still loading; wait a moment, or "
                     "choose “All clients in the list” in the next step.", error=True)
            ids = []
        dialog = BulkChangeDialog(page.desk, page.worker, tag=tag, selected=ids,
                                  whole=page.whole_filter(), whole_count=self.count,
                                  tags=page.filters.tag_values(), parent=page)
        dialog.finished_with.connect(self._bulk_done)
        if self.dialog is not None:
            self.dialog.deleteLater()  # the last one is done with
        self.dialog = dialog
        dialog.open()

    def _bulk_done(self, text: str) -> None:
        self.say(text)
        self.page.after_bulk()

    # -- import -----------------------------------------------------------------------
    def ask_import(self) -> None:
        dialog = ClientImportDialog(self.page.desk, self.page)
        dialog.imported.connect(self._imported)
        if self.import_dialog is not None and not self.import_dialog.busy():
            self.import_dialog.deleteLater()
        self.import_dialog = dialog
        dialog.open()

    def _imported(self, result: ImportResult) -> None:
        n = len(result.client_ids)
        self.say(f"Imported {n:,} client{'' if n == 1 else 's'} from the file.")
        self.page.after_bulk()

    # -- export -----------------------------------------------------------------------
    def ask_export(self, fmt: str) -> None:
        dialog = QFileDialog(self.page, "Export clients", f"clients.{fmt}", FORMATS[fmt])
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(fmt)
        dialog.fileSelected.connect(lambda path: self.export_to(Path(path)))
        dialog.open()

    def export_to(self, path: Path) -> None:
        if self.operation is not None:
            self.say("An export is still running; wait for it to finish.", error=True)
            return
        desk, f = self.page.desk, self.page.whole_filter()

        def job(_progress: Progress, _cancelled: Cancelled) -> ExportResult:
            return export_clients(desk, f, path)

        op = Operation(job, self.page)
        op.succeeded.connect(self._exported)
        op.failed.connect(self._export_failed)
        self.operation = op
        self.export_button.setEnabled(False)
        self.progress.show()
        self.say(f"Exporting {self.count:,} clients to {path.name}…")
        op.start()

    def _end(self) -> None:
        if self.operation is not None:
            self.operation.wait()
            self.operation.deleteLater()
        self.operation = None
        self.progress.hide()
        self.export_button.setEnabled(True)

    def _exported(self, result: ExportResult) -> None:
        self._end()
        self.say(f"Exported {result.rows:,} client{'' if result.rows == 1 else 's'} to "
                 f"{result.path}.")

    def _export_failed(self, error: BaseException) -> None:
        self._end()
        self.say(user_message(error), error=True)

    def stop(self) -> None:
        """An export or an import still running finishes (neither has a safe point to
        stop at: an import is one transaction, an export one file)."""
        if self.operation is not None:
            self.operation.wait()
        importing = self.import_dialog
        if importing is not None and importing.operation is not None:
            importing.operation.wait()
