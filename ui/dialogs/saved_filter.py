"""Save the client list's current filter under a name, for oneself or for the desk."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.crm.filters import ClientFilter
from app.crm.saved_filters import save_filter
from app.services.workspace import Desk
from ui.messages import user_message
from ui.worker import DbWorker


class SaveFilterDialog(QDialog):
    saved = Signal(int)  # the new filter's id

    def __init__(self, desk: Desk, worker: DbWorker, f: ClientFilter, summary: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker, self.filter = desk, worker, f
        self.setWindowTitle("Save filter")
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Greek VIPs without a manager")
        self.shared = QCheckBox("Colleagues can use it too")
        shown = QLabel(summary or "every client (no filter set)")
        shown.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Filter", shown)
        form.addRow("Name", self.name)
        form.addRow("", self.shared)
        form.addRow(self.error)
        form.addRow(self.buttons)
        self.setMinimumWidth(420)

    def save(self) -> None:
        desk, name, f, shared = self.desk, self.name.text(), self.filter, \
            self.shared.isChecked()
        self.buttons.setEnabled(False)
        self.worker.submit(lambda: save_filter(desk, name, f, shared=shared), self._saved,
                           self._failed, owner=self)

    def _saved(self, filter_id: int) -> None:
        self.saved.emit(filter_id)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.error.setText(user_message(error))
        self.error.show()
