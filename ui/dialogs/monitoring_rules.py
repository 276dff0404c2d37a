"""The AML monitoring rules: each rule in words with its thresholds filled in, its
severity and whether it runs; below, the selected rule's settings, checked as they are
typed by the same threshold rules the service applies. Save runs the service on the
database worker (it checks again, and audits the change).

People who may not change risk settings see the rules read-only; people who may not
see them at all are told so (knowing the thresholds is knowing how to stay under them).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.errors import BackdeskError
from app.models.compliance import Severity
from app.monitoring.registry import spec
from app.monitoring.thresholds import Kind, Threshold, Value
from app.roles import Permission
from app.services import monitoring
from app.services.monitoring import RuleView
from app.services.workspace import Desk
from ui.messages import user_message
from ui.widgets.tables import fill_table, read_only_table
from ui.worker import DbWorker

COLUMNS = ("Rule", "Severity", "Runs", "Review within", "What it looks for")
RED, GREEN = "#b3261e", "#1e7b34"
BAD_FIELD = "border: 1px solid #b3261e;"


class RuleEditor(QWidget):
    """One rule's settings, checked as they are typed; `values` holds them when every
    field reads right (None otherwise), and `checked` fires after each check."""

    checked = Signal()

    def __init__(self, view: RuleView, editable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.values: dict[str, Value] | None = dict(view.thresholds)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.enabled = QCheckBox("Runs on every sync and every run")
        self.enabled.setChecked(view.enabled)
        self.severity = QComboBox()
        for level in Severity:
            self.severity.addItem(level.value.title(), level.value)
        self.severity.setCurrentIndex(self.severity.findData(view.severity.value))
        self.days = QSpinBox()
        self.days.setRange(*monitoring.DAYS_TO_REVIEW_RANGE)
        self.days.setSuffix(" days")
        self.days.setValue(view.days_to_review)
        form.addRow("", self.enabled)
        form.addRow("Severity", self.severity)
        form.addRow("Review within", self.days)
        self.inputs: dict[str, QLineEdit | QCheckBox] = {}
        for t in view.fields:
            value = view.thresholds[t.name]
            box: QLineEdit | QCheckBox
            if t.kind is Kind.FLAG:
                box = QCheckBox(t.label)
                box.setChecked(bool(value))
                box.toggled.connect(lambda _on: self.recheck())
                form.addRow("", box)
            else:
                box = QLineEdit(t.edit_text(value))
                box.setPlaceholderText(self._hint(t))
                box.setToolTip(self._hint(t))
                box.textChanged.connect(lambda _text: self.recheck())
                form.addRow(f"{t.label} ({self._unit(t)})", box)
            box.setObjectName(f"threshold_{t.name}")
            box.setEnabled(editable)
            self.inputs[t.name] = box
        for w in (self.enabled, self.severity, self.days):
            w.setEnabled(editable)
        self.enabled.toggled.connect(lambda _on: self.recheck())
        self.severity.currentIndexChanged.connect(lambda _i: self.recheck())
        self.days.valueChanged.connect(lambda _v: self.recheck())
        self.verdict = QLabel()
        self.verdict.setObjectName("ruleCheck")
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow(self.verdict)
        self.recheck()

    @staticmethod
    def _unit(t: Threshold) -> str:
        return {Kind.USD: "USD", Kind.LOTS: "lots"}.get(t.kind, t.unit.strip() or "number")

    @staticmethod
    def _hint(t: Threshold) -> str:
        if t.kind is Kind.USD:
            return (f"US dollars, e.g. {t.edit_text(t.default)} ({t.show(t.low)} to "
                    f"{t.show(t.high)})")
        if t.kind is Kind.LOTS:
            return f"lots, two places, e.g. {t.edit_text(t.default)}"
        return f"a whole number from {t.show(t.low)} to {t.show(t.high)}"

    def typed(self) -> dict[str, object]:
        return {name: (box.isChecked() if isinstance(box, QCheckBox) else box.text())
                for name, box in self.inputs.items()}

    def recheck(self) -> None:
        """Reads every field with the service's own rules: what is wrong is said next to
        the fields, what is right is read back as the rule's sentence."""
        problems: list[str] = []
        values: dict[str, Value] = {}
        for t in self.view.fields:
            box = self.inputs[t.name]
            try:
                values[t.name] = t.parse(box.isChecked() if isinstance(box, QCheckBox)
                                         else box.text())
                box.setStyleSheet("")
            except BackdeskError as exc:
                problems.append(exc.message)
                box.setStyleSheet(BAD_FIELD if isinstance(box, QLineEdit) else "")
        if problems:
            self.values = None
            self.verdict.setText(" ".join(problems))
            self.verdict.setStyleSheet(f"color: {RED};")
        else:
            self.values = values
            state = "" if self.enabled.isChecked() else " (switched off: raises nothing)"
            self.verdict.setText(f"Reads as: {spec(self.view.rule).describe(values)}{state}")
            self.verdict.setStyleSheet(f"color: {GREEN};")
        self.checked.emit()

    def dirty(self) -> bool:
        return self.values is not None and (
            self.values != self.view.thresholds
            or self.enabled.isChecked() != self.view.enabled
            or self.severity.currentData() != self.view.severity.value
            or self.days.value() != self.view.days_to_review)


class MonitoringRulesDialog(QDialog):
    changed = Signal(str)  # what was saved, in words

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.editable = desk.actor.can(Permission.EDIT_RISK_SETTINGS)
        self.rows: list[RuleView] = []
        self.editor: RuleEditor | None = None
        self.setWindowTitle("AML monitoring rules")
        self.title = QLabel("Loading the rules…")
        self.title.setObjectName("sectionTitle")
        self.table = read_only_table(COLUMNS)
        self.table.itemSelectionChanged.connect(self._selected)
        self.editor_title = QLabel()
        self.editor_title.setObjectName("detailTitle")
        self.editor_box = QVBoxLayout()
        lower = QWidget()
        column = QVBoxLayout(lower)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.editor_title)
        column.addLayout(self.editor_box)
        column.addStretch(1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setSizes([280, 380])
        self.message = QLabel()
        self.message.setObjectName("formError")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        self.save = QPushButton("Save rule")
        self.save.setEnabled(False)
        self.save.setVisible(self.editable)
        self.save.clicked.connect(self.run)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.save)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        if not self.editable:
            note = QLabel("You can read the rules; changing them needs the permission to "
                          "edit risk settings (compliance).")
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(split, 1)
        layout.addLayout(bottom)
        self.resize(980, 720)
        self.refresh()

    # -- loading ------------------------------------------------------------------------------

    def refresh(self, select: str | None = None) -> None:
        desk = self.desk
        self.worker.submit(lambda: monitoring.rules(desk), lambda rows: self._fill(rows, select),
                           self._failed, owner=self)

    def _fill(self, rows: list[RuleView], select: str | None = None) -> None:
        shown = self.current()
        keep = select or (shown.rule if shown is not None else None)
        self.rows = rows
        self.table.blockSignals(True)
        fill_table(self.table, [
            (v.title, v.severity.value.title(), "Yes" if v.enabled else "Off",
             f"{v.days_to_review} days", v.description) for v in rows],
            attention={n for n, v in enumerate(rows) if not v.enabled})
        self.table.setColumnWidth(0, 230)
        self.table.setColumnWidth(4, 420)
        self.table.resizeRowsToContents()
        self.table.blockSignals(False)
        on = sum(v.enabled for v in rows)
        self.title.setText(f"Monitoring rules: {on} of {len(rows)} running")
        again = next((n for n, v in enumerate(rows) if v.rule == keep), 0)
        if rows:
            self.table.selectRow(again)
        self._selected()

    def current(self) -> RuleView | None:
        chosen = self.table.selectionModel().selectedRows()
        n = chosen[0].row() if chosen else -1
        return self.rows[n] if 0 <= n < len(self.rows) else None

    def select(self, rule: str) -> None:
        self.table.selectRow(next(n for n, v in enumerate(self.rows) if v.rule == rule))

    def _selected(self) -> None:
        view = self.current()
        if self.editor is not None:
            self.editor_box.removeWidget(self.editor)
            self.editor.deleteLater()
            self.editor = None
        if view is None:
            self.editor_title.setText("Select a rule to see its settings.")
            self.save.setEnabled(False)
            return
        self.editor_title.setText(view.title)
        self.editor = RuleEditor(view, self.editable, self)
        self.editor.checked.connect(self._checked)
        self.editor_box.addWidget(self.editor)
        self.editor.show()  # a child added to a shown dialog shows only when told to
        self._checked()

    def _checked(self) -> None:
        self.save.setEnabled(self.editable and self.editor is not None and self.editor.dirty())

    # -- saving ------------------------------------------------------------------------------

    def run(self) -> None:
        editor = self.editor
        if editor is None or editor.values is None:
            return
        desk, rule = self.desk, editor.view.rule
        typed: dict[str, Any] = editor.typed()
        severity = editor.severity.currentData()
        enabled, days = editor.enabled.isChecked(), editor.days.value()
        self.save.setEnabled(False)
        self.message.hide()

        def job() -> RuleView:
            return monitoring.set_rule(desk, rule, thresholds=typed, severity=severity,
                                       enabled=enabled, days_to_review=days)

        self.worker.submit(job, self._saved, self._failed, owner=self)

    def _saved(self, view: RuleView) -> None:
        said = f"{view.title} saved: {view.description}"
        self.say(said)
        self.changed.emit(said)
        self.refresh(select=view.rule)

    def say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {RED};" if error else f"color: {GREEN};")
        self.message.setText(text)
        self.message.show()

    def _failed(self, error: BaseException) -> None:
        self.say(user_message(error), error=True)
        if self.rows:
            self._checked()
        else:
            self.title.setText("The monitoring rules cannot be shown.")
