"""The client list's filter bar: one drop-down per kind (status, country, segment, tag,
manager, risk, partner), each allowing several values, and the saved filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.countries import countries
from app.crm.filters import ClientFilter, FilterChoices, filter_choices
from app.crm.saved_filters import SavedFilterRow, delete_filter, list_filters
from app.models.crm import ClientStatus, RiskRating
from app.models.users import Role
from app.services.workspace import Desk
from ui.dialogs.saved_filter import SaveFilterDialog
from ui.messages import user_message
from ui.views.client.format import label
from ui.worker import DbWorker

Choice = tuple[str, Any]  # what the menu says, the value the filter takes


class ChoiceButton(QToolButton):
    """A drop-down of checkable values; none checked means any."""

    changed = Signal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setMenu(QMenu(self))
        self._base: list[Choice] = []
        self._choices: list[Choice] = []
        self._actions: list[tuple[QAction, Any]] = []
        self._selected: list[Any] = []
        self._rebuild()

    def set_choices(self, choices: Sequence[Choice]) -> None:
        self._base = list(choices)
        self._rebuild()

    def choices(self) -> list[Choice]:
        return list(self._base)

    def selected(self) -> tuple[Any, ...]:
        return tuple(self._selected)

    def set_selected(self, values: Sequence[Any]) -> None:
        self._selected = list(dict.fromkeys(values))
        self._rebuild()

    def flip(self, value: Any) -> None:
        """Check or uncheck a value as a click in the menu does."""
        if value in self._selected:
            self._selected.remove(value)
        else:
            self._selected.append(value)
        self._update()
        self.changed.emit()

    def clear(self) -> None:
        if self._selected:
            self._selected = []
            self._update()
            self.changed.emit()

    def _rebuild(self) -> None:
        # Only from outside the menu's own signals: clearing deletes its actions.
        known = {value for _text, value in self._base}
        # A saved filter may name a value no client has any more: keep it visible.
        self._choices = self._base + [(str(v), v) for v in self._selected if v not in known]
        menu = self.menu()
        menu.clear()
        anything = QAction("Any", menu)
        anything.triggered.connect(self.clear)
        menu.addAction(anything)
        menu.addSeparator()
        self._actions = []
        for text, value in self._choices:
            action = QAction(text, menu)
            action.setCheckable(True)
            action.triggered.connect(lambda _on=False, v=value: self.flip(v))
            menu.addAction(action)
            self._actions.append((action, value))
        self._update()

    def _update(self) -> None:
        for action, value in self._actions:
            action.setChecked(value in self._selected)
        names = [t for t, v in self._choices if v in self._selected]
        shown = ", ".join(names) if names else "any"
        if len(shown) > 22:
            shown = f"{len(names)} chosen"
        self.setText(f"{self.title}: {shown}")
        self.setToolTip(f"{self.title}: " + (", ".join(names) if names else "any"))


class FilterBar(QWidget):
    """Emits `changed` with the filter (without the search text) whenever it changes."""

    changed = Signal(object)

    def __init__(self, desk: Desk, worker: DbWorker, search: QLineEdit,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker, self.search = desk, worker, search
        self.saved: list[SavedFilterRow] = []
        self.status = ChoiceButton("Status")
        self.status.set_choices([(label(s), s) for s in ClientStatus])
        self.country = ChoiceButton("Country")
        self.segment = ChoiceButton("Segment")
        self.tag = ChoiceButton("Tag")
        self.manager = ChoiceButton("Manager")
        self.risk = ChoiceButton("Risk")
        self.risk.set_choices([(label(r), r) for r in RiskRating])
        self.partner = ChoiceButton("Partner")
        self.buttons = (self.status, self.country, self.segment, self.tag, self.manager,
                        self.risk, self.partner)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Show every client again")
        self.clear_button.clicked.connect(self.clear)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for b in self.buttons:
            b.changed.connect(self._emit)
            row.addWidget(b)
        row.addWidget(self.clear_button)
        row.addStretch(1)

        self.saved_box = QComboBox()
        self.saved_box.setMinimumContentsLength(18)
        self.saved_box.activated.connect(self._picked)
        self.save_button = QPushButton("Save filter…")
        self.save_button.clicked.connect(self.ask_save)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setEnabled(False)
        self.delete_button.clicked.connect(self.delete_current)
        self.saved_box.currentIndexChanged.connect(lambda _i: self._enable_delete())
        self.saved_row = QHBoxLayout()
        self.saved_row.setContentsMargins(0, 0, 0, 0)
        self.saved_row.addWidget(QLabel("Saved filters"))
        for w in (self.saved_box, self.save_button, self.delete_button):
            self.saved_row.addWidget(w)
        self.message = QLabel()
        self.message.setStyleSheet("color: #b3261e;")
        self.saved_row.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addLayout(self.saved_row)
        self.last_dialog: SaveFilterDialog | None = None

    # -- choices and saved filters ---------------------------------------------------
    def reload(self) -> None:
        desk = self.desk
        self.worker.submit(lambda: filter_choices(desk), self._choices, self._error,
                           owner=self)
        self.reload_saved()

    def reload_saved(self, select_id: int | None = None) -> None:
        desk = self.desk
        self.worker.submit(lambda: list_filters(desk),
                           lambda rows: self._show_saved(rows, select_id), self._error,
                           owner=self)

    def _choices(self, c: FilterChoices) -> None:
        names = countries()
        self.country.set_choices([(f"{names.get(code, code)} ({code})", code)
                                  for code in c.countries])
        self.segment.set_choices([(s, ("label", s)) for s in c.segments]
                                 + [(f"{name} (computed)", ("rule", i))
                                    for i, name in c.segment_rules])
        self.tag.set_choices([(t, t) for t in c.tags])
        self.manager.set_choices([("No manager", None), *[(n, i) for i, n in c.managers]])
        self.partner.set_choices([("No partner", None), *[(n, i) for i, n in c.partners]])

    def _show_saved(self, rows: list[SavedFilterRow], select_id: int | None) -> None:
        self.saved = rows
        self.saved_box.blockSignals(True)
        self.saved_box.clear()
        self.saved_box.addItem("Choose…", None)
        for r in rows:
            self.saved_box.addItem(r.name if r.mine else f"{r.name} ({r.owner})", r.id)
        index = self.saved_box.findData(select_id) if select_id is not None else 0
        self.saved_box.setCurrentIndex(max(index, 0))
        self.saved_box.blockSignals(False)
        self._enable_delete()

    def tag_values(self) -> list[str]:
        return [str(v) for _t, v in self.tag.choices()]

    def current_saved(self) -> SavedFilterRow | None:
        fid = self.saved_box.currentData()
        return next((r for r in self.saved if r.id == fid), None)

    def _enable_delete(self) -> None:
        row = self.current_saved()
        self.delete_button.setEnabled(row is not None and (
            row.mine or self.desk.actor.role is Role.ADMIN))

    def _picked(self, _index: int) -> None:
        row = self.current_saved()
        if row is not None:
            self.apply(row.filter)

    def ask_save(self) -> None:
        dialog = SaveFilterDialog(self.desk, self.worker, self.current_filter(),
                                  self.summary(), self)
        dialog.saved.connect(lambda fid: self.reload_saved(fid))
        if self.last_dialog is not None:
            self.last_dialog.deleteLater()
        self.last_dialog = dialog
        dialog.open()

    def delete_current(self) -> None:
        row = self.current_saved()
        if row is None:
            return
        desk, fid = self.desk, row.id
        self.worker.submit(lambda: delete_filter(desk, fid),
                           lambda _r: self.reload_saved(), self._error, owner=self)

    def _error(self, error: BaseException) -> None:
        self.message.setText(user_message(error))

    # -- the filter ------------------------------------------------------------------
    def current_filter(self) -> ClientFilter:
        """The filter with the list's search text (what a saved filter keeps)."""
        segments = self.segment.selected()
        return ClientFilter(
            text=self.search.text().strip(),
            statuses=self.status.selected(), countries=self.country.selected(),
            segments=tuple(v for k, v in segments if k == "label"),
            segment_ids=tuple(v for k, v in segments if k == "rule"),
            tags=self.tag.selected(), manager_ids=self.manager.selected(),
            risks=self.risk.selected(), partner_ids=self.partner.selected())

    def summary(self) -> str:
        text = self.search.text().strip()
        parts = [f"“{text}”"] if text else []
        parts += [b.toolTip() for b in self.buttons if b.selected()]
        return "; ".join(parts)

    def apply(self, f: ClientFilter) -> None:
        """Show a (saved) filter: its values and its search text."""
        for button, values in (
                (self.status, f.statuses), (self.country, f.countries),
                (self.segment, [("label", s) for s in f.segments]
                 + [("rule", i) for i in f.segment_ids]),
                (self.tag, f.tags), (self.manager, f.manager_ids), (self.risk, f.risks),
                (self.partner, f.partner_ids)):
            button.set_selected(values)
        self.search.setText(f.text)
        self._emit()

    def clear(self) -> None:
        self.saved_box.setCurrentIndex(0)
        self.apply(ClientFilter())

    def _emit(self) -> None:
        self.message.clear()
        self.changed.emit(self.current_filter().without_text())
