"""The client page's left column: the profile, the partner, and the contacts (further
emails, phones and addresses, validated by the service when added)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.countries import countries
from app.crm.client_page import Profile
from app.crm.contacts import ContactRow, add_contact, remove_contact
from app.models.crm import ContactKind
from app.services.workspace import Desk
from ui.messages import user_message
from ui.views.client.format import ERROR_STYLE, day, label, when
from ui.worker import DbWorker

FIELDS = ("Type", "Email", "Phone", "Country", "Date of birth", "Segment", "Tags",
          "Risk rating", "PEP", "Manager", "Occupation", "Source of funds", "Client since",
          "Last changed", "Platform ID")


def _selectable(widget: QLabel) -> QLabel:
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    widget.setWordWrap(True)
    return widget


class ProfilePanel(QWidget):
    changed = Signal()  # a contact was added or removed

    def __init__(self, desk: Desk, worker: DbWorker, *, can_edit: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.client_id: int | None = None
        self.values = {name: _selectable(QLabel()) for name in FIELDS}
        profile = QGroupBox("Profile")
        form = QFormLayout(profile)
        for name in FIELDS:
            form.addRow(name, self.values[name])

        partner = QGroupBox("Partner")
        self.partner = _selectable(QLabel())
        QVBoxLayout(partner).addWidget(self.partner)

        contacts = QGroupBox("Contacts")
        self.contacts = QListWidget()
        self.contacts.setMaximumHeight(110)
        self.contacts.setWordWrap(True)
        self.kind = QComboBox()
        for kind in ContactKind:
            self.kind.addItem(kind.value.capitalize(), kind.value)
        self.value = QLineEdit()
        self.value.setPlaceholderText("Phone, email or address")
        self.value.returnPressed.connect(self.add)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self.add)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self.remove)
        self.contacts.currentRowChanged.connect(
            lambda row: self.remove_button.setEnabled(can_edit and row >= 0))
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        adding = QHBoxLayout()
        adding.addWidget(self.kind)
        adding.addWidget(self.value, 1)
        adding.addWidget(self.add_button)
        box = QVBoxLayout(contacts)
        box.addWidget(self.contacts)
        if can_edit:
            box.addLayout(adding)
            box.addWidget(self.remove_button)
        box.addWidget(self.error)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(profile)
        layout.addWidget(partner)
        layout.addWidget(contacts)
        layout.addStretch(1)

    def show_profile(self, p: Profile) -> None:
        self.client_id = p.id
        names = countries()
        person = p.kind.value == "person"
        v = self.values
        v["Type"].setText("Person" if person else f"Company ({p.company_name})")
        v["Email"].setText(p.email or "—")
        v["Phone"].setText(p.phone or "—")
        v["Country"].setText(f"{names.get(p.country, p.country)} ({p.country})")
        v["Date of birth"].setText(day(p.date_of_birth) or "—")
        v["Segment"].setText(p.segment or "—")
        v["Tags"].setText(", ".join(p.tags) or "—")
        v["Risk rating"].setText(label(p.risk_rating))
        v["PEP"].setText("Yes: politically exposed person" if p.pep else "No")
        v["Manager"].setText(p.manager_name or "None assigned")
        v["Occupation"].setText(p.occupation or "—")
        v["Source of funds"].setText(p.source_of_funds or "—")
        v["Client since"].setText(when(p.created_at))
        v["Last changed"].setText(f"{when(p.updated_at)} (version {p.version})")
        v["Platform ID"].setText(p.external_id or "Not on the trading platform yet")
        self.partner.setText(f"{p.partner_name} (referral code {p.partner_code})"
                             if p.partner_id is not None else
                             "Not introduced by a partner.")

    def show_contacts(self, rows: list[ContactRow]) -> None:
        self.contacts.clear()
        for c in rows:
            star = "  ★ preferred" if c.is_primary else ""
            item = QListWidgetItem(f"{c.kind.value.capitalize()}: {c.value}{star}")
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            self.contacts.addItem(item)
        if not rows:
            empty = QListWidgetItem("No further contacts.")
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.contacts.addItem(empty)

    def add(self) -> None:
        if self.client_id is None:
            return
        desk, cid = self.desk, self.client_id
        kind = ContactKind(self.kind.currentData())  # Qt hands enum members back as str
        value = self.value.text()
        self.add_button.setEnabled(False)
        self.worker.submit(lambda: add_contact(desk, cid, kind, value), self._added,
                           self._failed, owner=self)

    def _added(self, _contact_id: int) -> None:
        self.add_button.setEnabled(True)
        self.value.clear()
        self.error.hide()
        self.changed.emit()

    def remove(self) -> None:
        item = self.contacts.currentItem()
        contact_id = None if item is None else item.data(Qt.ItemDataRole.UserRole)
        if contact_id is None:
            return
        desk = self.desk
        self.worker.submit(lambda: remove_contact(desk, int(contact_id)),
                           lambda _r: self.changed.emit(), self._failed, owner=self)

    def _failed(self, error: BaseException) -> None:
        self.add_button.setEnabled(True)
        self.error.setText(user_message(error))
        self.error.show()
