"""Import clients from a CSV file: choose the file, read the preview (every row with
what will happen to it and why), and import only when the person says so.

Reading and importing run on an Operation thread; the import is one transaction in the
service, so it either adds every row it announced or nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.crm.client_import import ImportPreview, ImportResult, commit_import, preview_import
from app.services.workspace import Desk
from ui.dialogs.import_preview import PROBLEMS, ImportPreviewModel
from ui.messages import user_message
from ui.operation import Cancelled, Operation, Progress

HELP = ("The first line names the columns. Required: last_name (or company_name) and "
        "country. Optional: first_name, email, phone, date_of_birth, kind, segment, status, "
        "manager, tags. Save the file as CSV UTF-8.")


def _rows(n: int) -> str:
    return f"{n:,} row{'' if n == 1 else 's'}"


class ClientImportDialog(QDialog):
    imported = Signal(object)  # ImportResult

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.preview: ImportPreview | None = None
        self.import_result: ImportResult | None = None
        self.operation: Operation | None = None
        self.setWindowTitle("Import clients from CSV")
        self.resize(1100, 620)

        self.choose_button = QPushButton("Choose file…")
        self.choose_button.clicked.connect(self.ask_file)
        self.file_label = QLabel("No file chosen.")
        self.help = QLabel(HELP)
        self.help.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setObjectName("importSummary")
        self.model = ImportPreviewModel()
        self.only_attention = QCheckBox("Only rows that will not be imported")
        self.only_attention.toggled.connect(self.model.set_only_attention)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(200)
        self.progress.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.import_button = QPushButton("Import")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.commit)
        self.buttons.rejected.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.file_label, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.only_attention)
        bottom.addStretch(1)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.import_button)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.help)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

    def ask_file(self) -> None:
        dialog = QFileDialog(self, "Clients file", "", "CSV files (*.csv *.txt);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.read_file(Path(path)))
        dialog.open()

    # -- preview ---------------------------------------------------------------------
    def read_file(self, path: Path) -> None:
        desk = self.desk
        self.preview = None
        self.model.set_preview(None)
        self.import_button.setEnabled(False)
        self.file_label.setText(str(path))
        self._say(f"Reading {path.name}…")

        def job(_progress: Progress, _cancelled: Cancelled) -> ImportPreview:
            return preview_import(desk, path)

        self._run(job, self._previewed)

    def _previewed(self, preview: ImportPreview) -> None:
        self.preview = preview
        self.model.set_preview(preview)
        self.table.resizeColumnsToContents()
        for column in range(self.model.columnCount()):
            widest = 340 if column == PROBLEMS else 220
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), widest))
        self.table.resizeRowsToContents()
        ready, bad, dupes = preview.importable, preview.invalid, preview.duplicates
        parts = [f"{_rows(len(preview.rows))} read from {preview.file_name}: "
                 + (f"{_rows(ready)} can be imported." if ready else "no row can be imported.")]
        if bad:
            parts.append(f"{_rows(bad)} {'has' if bad == 1 else 'have'} problems (red) and "
                         "will not be imported: fix them in the file and import it again.")
        if dupes:
            parts.append(f"{_rows(dupes)} {'is' if dupes == 1 else 'are'} already here "
                         "(yellow) and will be skipped.")
        if preview.ignored_columns:
            parts.append("Columns not used: " + ", ".join(preview.ignored_columns) + ".")
        if ready:
            parts.append(f"Nothing has been imported yet: press Import to add "
                         f"{'it' if ready == 1 else f'these {ready:,} clients'}.")
        self._say("\n".join(parts), error=not ready)
        self.import_button.setEnabled(ready > 0)
        self.import_button.setText(f"Import {ready:,} client{'' if ready == 1 else 's'}"
                                   if ready else "Import")

    # -- import ----------------------------------------------------------------------
    def commit(self) -> None:
        preview = self.preview
        if preview is None or not preview.importable:
            return
        desk = self.desk
        self.import_button.setEnabled(False)
        self._say(f"Importing {preview.importable:,} clients…")

        def job(_progress: Progress, _cancelled: Cancelled) -> ImportResult:
            return commit_import(desk, preview)

        self._run(job, self._committed)

    def _committed(self, result: ImportResult) -> None:
        self.import_result = result
        n = len(result.client_ids)
        text = f"Imported {n:,} client{'' if n == 1 else 's'}"
        if n:
            text += f" (numbers {result.client_ids[0]}–{result.client_ids[-1]})"
        skipped = []
        if result.skipped_invalid:
            skipped.append(f"{_rows(result.skipped_invalid)} with problems")
        if result.skipped_duplicates:
            skipped.append(f"{_rows(result.skipped_duplicates)} already here")
        text += (". Skipped " + " and ".join(skipped) + "." if skipped else ".")
        self._say(text)
        self.import_button.setText("Imported")
        self.imported.emit(result)

    # -- running ---------------------------------------------------------------------
    def _run(self, job: Any, on_done: Any) -> None:
        op = Operation(job, self)
        op.succeeded.connect(lambda result: self._finished(on_done, result))
        op.failed.connect(self._failed)
        self.operation = op
        self.choose_button.setEnabled(False)
        self.progress.show()
        op.start()

    def _end(self) -> None:
        if self.operation is not None:
            self.operation.wait()
            self.operation.deleteLater()
        self.operation = None
        self.progress.hide()
        self.choose_button.setEnabled(True)

    def _finished(self, on_done: Any, result: Any) -> None:
        self._end()
        on_done(result)

    def _failed(self, error: BaseException) -> None:
        self._end()
        self._say(user_message(error), error=True)
        self.import_button.setEnabled(self.preview is not None and self.import_result is None
                                      and self.preview.importable > 0)

    def _say(self, text: str, error: bool = False) -> None:
        # Our own sentences come one per line; only a service's message may need wrapping
        # (a wrapping label in this layout can be given too little height).
        self.summary.setWordWrap(error)
        self.summary.setStyleSheet("color: #b3261e;" if error else "")
        self.summary.setText(text)

    def busy(self) -> bool:
        return self.operation is not None

    def done(self, code: int) -> None:
        # Closing waits for a running read or import: the import is one transaction
        # and ends by itself (it has no safe point to stop at).
        if self.operation is not None:
            self.operation.wait()
        super().done(code)
