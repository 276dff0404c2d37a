"""When something counts as an exception: how long a payment may wait unchanged, and
how far ahead an expiring document shows. Administrators change it; the queue follows."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.queries.exceptions.settings import (
    DAYS_RANGE,
    HOURS_RANGE,
    QueueSettings,
    queue_settings,
    set_queue_settings,
)
from app.roles import Permission
from app.services.workspace import Desk
from ui.messages import user_message
from ui.worker import DbWorker

RED = "#b3261e"


class ExceptionSettingsDialog(QDialog):
    saved = Signal(str)  # what changed, in words

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.setWindowTitle("Exception queue settings")
        self.setMinimumWidth(460)
        self.hours = QSpinBox()
        self.hours.setRange(*HOURS_RANGE)
        self.hours.setSuffix(" hours")
        self.days = QSpinBox()
        self.days.setRange(*DAYS_RANGE)
        self.days.setSuffix(" days")
        form = QFormLayout()
        form.addRow("A payment is stuck when unchanged for", self.hours)
        form.addRow("Show documents expiring within", self.days)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        # Everyone may read what counts; only administrators change it (the service
        # refuses others whatever the screen shows).
        allowed = desk.actor.can(Permission.MANAGE_WORKSPACE)
        for widget in (self.hours, self.days, self.save_button):
            widget.setEnabled(False)
        self._allowed = allowed
        if not allowed:
            self.message.setText("Only an administrator changes these.")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.loaded: QueueSettings | None = None
        store = desk.store

        def job() -> QueueSettings:
            with store.read() as s:
                return queue_settings(s)

        worker.submit(job, self._show, self._failed, owner=self)

    def _show(self, settings: QueueSettings) -> None:
        self.loaded = settings
        self.hours.setValue(settings.stuck_payment_hours)
        self.days.setValue(settings.document_days)
        for widget in (self.hours, self.days, self.save_button):
            widget.setEnabled(self._allowed)

    def save(self) -> None:
        desk, hours, days = self.desk, self.hours.value(), self.days.value()
        self.save_button.setEnabled(False)
        self.worker.submit(
            lambda: set_queue_settings(desk, stuck_payment_hours=hours, document_days=days),
            self._saved, self._failed, owner=self)

    def _saved(self, settings: QueueSettings) -> None:
        self.saved.emit(f"Payments count as stuck after {settings.stuck_payment_hours} hours; "
                        f"documents show {settings.document_days} days before they expire.")
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(self._allowed)
        self.message.setStyleSheet(f"color: {RED};")
        self.message.setText(user_message(error))
