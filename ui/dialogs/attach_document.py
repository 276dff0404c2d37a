"""Attach a scan or PDF to a KYC case: what it proves, its details, the file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.errors import ValidationFailed
from app.kyc.requirements import DOC_TYPES, Requirement, doc_types_for


class AttachDocumentDialog(QDialog):
    def __init__(self, requirements: tuple[Requirement, ...],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Attach a document")
        self.requirement = QComboBox()
        for req in requirements:
            self.requirement.addItem(req.label.capitalize(), req.value)
        self.doc_type = QComboBox()
        self.requirement.currentIndexChanged.connect(self._types)
        self.country = QLineEdit()
        self.country.setPlaceholderText("ISO code, e.g. CY")
        self.country.setMaxLength(2)
        self.number = QLineEdit()
        self.issued = QLineEdit()
        self.issued.setPlaceholderText("YYYY-MM-DD")
        self.expires = QLineEdit()
        self.expires.setPlaceholderText("YYYY-MM-DD (if it has one)")
        self.path = QLineEdit()
        self.path.setReadOnly(True)
        choose = QPushButton("Choose file…")
        choose.clicked.connect(self._choose)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(choose)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e;")
        self.error.hide()
        form = QFormLayout(self)
        form.addRow("Proves", self.requirement)
        form.addRow("Document", self.doc_type)
        form.addRow("Issuing country", self.country)
        form.addRow("Number", self.number)
        form.addRow("Issued on", self.issued)
        form.addRow("Expires on", self.expires)
        form.addRow("File", file_row)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Attach")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._types()

    def _types(self) -> None:
        self.doc_type.clear()
        value = self.requirement.currentData()
        if value is None:
            return
        for key in doc_types_for(Requirement(value)):
            self.doc_type.addItem(DOC_TYPES[key].label, key)

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Document", "",
                                              "Scans and PDFs (*.pdf *.png *.jpg *.jpeg "
                                              "*.tif *.tiff *.webp);;All files (*)")
        if path:
            self.path.setText(path)

    def details(self) -> dict[str, object]:
        """What attach_document takes besides the case; ValidationFailed if unreadable."""
        if not self.path.text():
            raise ValidationFailed("Choose the file to attach.", "file")
        return {"path": Path(self.path.text()), "requirement": self.requirement.currentData(),
                "doc_type": self.doc_type.currentData(),
                "issuing_country": self.country.text().strip().upper(),
                "number": self.number.text().strip(),
                "issue_date": _day(self.issued.text(), "issue date"),
                "expiry_date": _day(self.expires.text(), "expiry date")}

    def _accept(self) -> None:
        try:
            self.details()
        except ValidationFailed as exc:
            self.error.setText(exc.message)
            self.error.show()
            return
        self.accept()


def _day(text: str, what: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"The {what} “{text}” is not a date; write it as YYYY-MM-DD.",
                               what) from None
