"""Create or edit a client. The service validates; the form shows its message in place."""

from __future__ import annotations

import re
from datetime import date

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

from app.countries import countries
from app.errors import BackdeskError
from app.models.crm import ClientKind, ClientStatus, RiskRating
from app.services.clients import ClientData, create_client, update_client
from app.services.workspace import Desk
from ui.worker import DbWorker


def _enum_combo(values: type[ClientKind] | type[ClientStatus] | type[RiskRating]) -> QComboBox:
    box = QComboBox()
    for member in values:
        box.addItem(member.value.replace("_", " ").capitalize(), member)
    return box


class ClientForm(QDialog):
    def __init__(self, desk: Desk, worker: DbWorker, *, client_id: int | None = None,
                 data: ClientData | None = None, version: int = 0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.client_id, self.version = client_id, version
        self.saved_id: int | None = None
        self.setWindowTitle("Edit client" if client_id else "New client")
        self.kind = _enum_combo(ClientKind)
        self.first_name, self.last_name = QLineEdit(), QLineEdit()
        self.company_name, self.email, self.phone = QLineEdit(), QLineEdit(), QLineEdit()
        self.phone.setPlaceholderText("+357 22 123456")
        self.country = QComboBox()
        self.country.setEditable(True)
        for code, name in sorted(countries().items(), key=lambda kv: kv[1]):
            self.country.addItem(f"{name} ({code})", code)
        self.country.setCurrentIndex(-1)  # no silent default: the service asks for one
        self.dob = QLineEdit()
        self.dob.setPlaceholderText("YYYY-MM-DD")
        self.segment = QLineEdit()
        self.status = _enum_combo(ClientStatus)
        self.risk = _enum_combo(RiskRating)
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.hide()

        form = QFormLayout()
        for label, widget in (("Type", self.kind), ("First name", self.first_name),
                              ("Last name", self.last_name), ("Company", self.company_name),
                              ("Email", self.email), ("Phone", self.phone),
                              ("Country", self.country), ("Date of birth", self.dob),
                              ("Segment", self.segment), ("Status", self.status),
                              ("Risk rating", self.risk)):
            form.addRow(label, widget)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        if data is not None:
            self._load(data)

    def _load(self, d: ClientData) -> None:
        self.kind.setCurrentIndex(self.kind.findData(d.kind))
        self.first_name.setText(d.first_name)
        self.last_name.setText(d.last_name)
        self.company_name.setText(d.company_name)
        self.email.setText(d.email)
        self.phone.setText(d.phone)
        self.country.setCurrentIndex(self.country.findData(d.country))
        self.dob.setText(d.date_of_birth.isoformat() if d.date_of_birth else "")
        self.segment.setText(d.segment)
        self.status.setCurrentIndex(self.status.findData(d.status))
        self.risk.setCurrentIndex(self.risk.findData(d.risk_rating))

    def _data(self) -> ClientData:
        dob_text = self.dob.text().strip()
        try:
            dob = date.fromisoformat(dob_text) if dob_text else None
        except ValueError:
            raise BackdeskError(f"{dob_text} is not a date; write it as YYYY-MM-DD.") from None
        typed = self.country.currentText().strip()
        country = self.country.currentData()
        # An editable combo keeps the data of its selected row while the user types
        # something else: trust the data only when the text is that row's.
        if country is None or typed != self.country.itemText(self.country.currentIndex()):
            found = re.search(r"\(([A-Za-z]{2})\)$", typed)
            country = found.group(1) if found else typed
        return ClientData(
            kind=self.kind.currentData(), first_name=self.first_name.text(),
            last_name=self.last_name.text(), company_name=self.company_name.text(),
            email=self.email.text(), phone=self.phone.text(), country=str(country),
            date_of_birth=dob, segment=self.segment.text(), status=self.status.currentData(),
            risk_rating=self.risk.currentData())

    def save(self) -> None:
        try:
            data = self._data()
        except BackdeskError as exc:
            self._show_error(exc)
            return
        desk, cid, version = self.desk, self.client_id, self.version
        self.buttons.setEnabled(False)

        def job() -> int:
            if cid is None:
                return create_client(desk, data)
            update_client(desk, cid, data, version)
            return cid

        self.worker.submit(job, self._saved, self._show_error, owner=self)

    def _saved(self, client_id: int) -> None:
        self.saved_id = client_id
        self.accept()

    def _show_error(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.error.setText(getattr(exc, "message", None) or f"Could not save: {exc}")
        self.error.show()
