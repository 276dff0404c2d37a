"""Add a tag to, or assign the manager of, many clients: the selected rows or every
client the list's filter and search give. The service does it in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.crm.bulk import BulkResult, Target, bulk_assign_manager, bulk_tag
from app.crm.filters import ClientFilter
from app.services.users import list_users
from app.services.workspace import Desk
from ui.messages import user_message
from ui.worker import DbWorker


def _clients(n: int) -> str:
    return f"{n:,} client{'' if n == 1 else 's'}"


class BulkChangeDialog(QDialog):
    """`tag=True` adds a tag; otherwise assigns a manager. `finished_with` carries the sentence
    that tells what happened."""

    finished_with = Signal(str)

    def __init__(self, desk: Desk, worker: DbWorker, *, tag: bool, selected: Sequence[int],
                 whole: ClientFilter, whole_count: int, tags: Sequence[str] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker, self.is_tag = desk, worker, tag
        self.selected_ids, self.whole = list(selected), whole
        self.setWindowTitle("Add a tag" if tag else "Assign a manager")
        self.only_selected = QRadioButton(f"The {_clients(len(self.selected_ids))} selected")
        self.all_matching = QRadioButton(f"All {_clients(whole_count)} in the list "
                                         "(its filter and search)")
        group = QButtonGroup(self)
        group.addButton(self.only_selected)
        group.addButton(self.all_matching)
        self.only_selected.setEnabled(bool(self.selected_ids))
        (self.only_selected if self.selected_ids else self.all_matching).setChecked(True)
        self.all_matching.setEnabled(whole_count > 0)

        self.tag = QLineEdit()
        self.tag.setPlaceholderText("e.g. webinar-2025")
        self.tag.setCompleter(QCompleter(list(tags), self.tag))
        self.manager = QComboBox()
        self.manager.addItem("No manager (unassign)", None)
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            "Add tag" if tag else "Assign")
        self.buttons.accepted.connect(self.run)
        self.buttons.rejected.connect(self.reject)

        scope = QVBoxLayout()
        scope.addWidget(self.only_selected)
        scope.addWidget(self.all_matching)
        form = QFormLayout()
        form.addRow("Clients", scope)
        if tag:
            form.addRow("Tag", self.tag)
        else:
            form.addRow("Manager", self.manager)
            self.manager.setEnabled(False)
            self.worker.submit(lambda: list_users(desk), self._users, self._failed,
                               owner=self)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)

    def _users(self, users: list[Any]) -> None:
        for u in users:
            self.manager.addItem(f"{u.full_name} ({u.role.label})", u.id)
        self.manager.setEnabled(True)

    def target(self) -> Target:
        return self.selected_ids if self.only_selected.isChecked() else self.whole

    def run(self) -> None:
        desk, target = self.desk, self.target()
        self.buttons.setEnabled(False)
        self.error.hide()
        if self.is_tag:
            tag = self.tag.text()
            self.worker.submit(lambda: bulk_tag(desk, target, add=[tag]),
                               lambda r: self._finished(r, f"Tag “{' '.join(tag.split())}”"),
                               self._failed, owner=self)
        else:
            manager_id = self.manager.currentData()
            name = self.manager.currentText().split(" (")[0]
            self.worker.submit(lambda: bulk_assign_manager(desk, target, manager_id),
                               lambda r: self._finished(r, name), self._failed, owner=self)

    def _finished(self, result: BulkResult, what: str) -> None:
        same = result.matched - result.changed
        if self.is_tag:
            text = f"{what} added to {_clients(result.changed)}"
            text += f" ({_clients(same)} already had it)" if same else ""
        elif self.manager.currentData() is None:
            text = f"Manager removed from {_clients(result.changed)}"
            text += f" ({_clients(same)} had none)" if same else ""
        else:
            text = f"{_clients(result.changed)} assigned to {what}"
            text += f" ({_clients(same)} already were)" if same else ""
        self.finished_with.emit(text + ".")
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.error.setText(user_message(error))
        self.error.show()
