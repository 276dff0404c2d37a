"""Unlock an existing workspace, or create the first one. Key derivation and opening
run on the worker thread; the dialog stays responsive and says what went wrong."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.money import CURRENCIES
from app.services.workspace import Desk, init_workspace, open_workspace
from ui.worker import DbWorker


class _WorkspaceDialog(QDialog):
    def __init__(self, folder: Path, worker: DbWorker, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.folder, self.worker = folder, worker
        self.desk: Desk | None = None
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

    def submit(self) -> None:
        raise NotImplementedError

    def _busy(self, text: str) -> None:
        self.buttons.setEnabled(False)
        self.error.setText(text)
        self._set_busy(True)
        self.error.show()

    def _set_busy(self, busy: bool) -> None:
        # A dynamic property only restyles after a re-polish (grey "Unlocking…", red errors).
        self.error.setProperty("busy", busy)
        self.error.style().unpolish(self.error)
        self.error.style().polish(self.error)

    def _opened(self, desk: Desk) -> None:
        self.desk = desk
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self._set_busy(False)
        self.error.setText(getattr(exc, "message", None) or f"Could not open: {exc}")
        self.error.show()


class UnlockDialog(_WorkspaceDialog):
    def __init__(self, folder: Path, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(folder, worker, parent)
        self.setObjectName("unlockDialog")
        self.setWindowTitle("Unlock Backdesk")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Workspace password")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Unlock")
        title = QLabel("Backdesk is locked")
        title.setObjectName("pageTitle")
        where = QLabel(f"Workspace: {folder}")
        where.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(where)
        layout.addWidget(self.password)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def submit(self) -> None:
        password, folder = self.password.text(), self.folder
        self._busy("Unlocking…")
        self.worker.submit(lambda: open_workspace(folder, password), self._opened,
                           self._wrong)

    def _wrong(self, exc: BaseException) -> None:
        self.password.clear()
        self.password.setFocus()
        self._failed(exc)


class FirstRunDialog(_WorkspaceDialog):
    def __init__(self, folder: Path, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(folder, worker, parent)
        self.setObjectName("firstRunDialog")
        self.setWindowTitle("Set up Backdesk")
        self.broker = QLineEdit()
        self.currency = QComboBox()
        self.currency.addItems(sorted(CURRENCIES))
        self.currency.setCurrentText("USD")
        self.username = QLineEdit("admin")
        self.full_name = QLineEdit()
        self.password, self.repeat = QLineEdit(), QLineEdit()
        for field in (self.password, self.repeat):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create workspace")
        intro = QLabel(f"A new encrypted workspace will be created in {folder}. Everything "
                       "in it is encrypted with a key made from this password; it cannot be "
                       "recovered if the password is lost.")
        intro.setWordWrap(True)
        form = QFormLayout()
        for label, widget in (("Broker name", self.broker), ("Base currency", self.currency),
                              ("Administrator username", self.username),
                              ("Administrator full name", self.full_name),
                              ("Password", self.password), ("Repeat password", self.repeat)):
            form.addRow(label, widget)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)

    def submit(self) -> None:
        if self.password.text() != self.repeat.text():
            self._failed(ValueError("The two passwords are not the same."))
            return
        folder = self.folder
        values = dict(password=self.password.text(), broker_name=self.broker.text(),
                      base_currency=self.currency.currentText(),
                      admin_username=self.username.text(), admin_full_name=self.full_name.text())
        self._busy("Creating the encrypted workspace…")
        self.worker.submit(lambda: init_workspace(folder, **values), self._opened, self._failed)
