"""The alert queue: filters (status, severity, rule, past due, a search), a table that
pages from SQL (a long-running desk gathers many alerts), what the chosen alert's rule
saw, and the two ways out of the queue: into a case, or dismissed as a false positive."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.compliance import alerts, views
from app.compliance.views import AlertFilter, AlertView, Person, rule_label
from app.models.compliance import AlertStatus, Severity
from app.roles import Permission
from app.services.workspace import Desk
from ui.dialogs.case_open import OpenCaseDialog
from ui.dialogs.reason import ReasonDialog
from ui.lazy_model import SqlPageModel
from ui.messages import user_message
from ui.widgets.tables import paged_view
from ui.worker import DbWorker

STATUSES = (("Open", AlertStatus.OPEN), ("In a case", AlertStatus.IN_CASE),
            ("Closed", AlertStatus.CLOSED), ("Every status", None))
SEVERITIES = (("Any severity", None), ("High", Severity.HIGH), ("Medium", Severity.MEDIUM),
              ("Low", Severity.LOW))
ANY_RULE = "Any rule"
NOTHING_CHOSEN = "Select an alert to see what its rule saw."


def combo(choices: tuple[tuple[str, object], ...]) -> QComboBox:
    box = QComboBox()
    for text, value in choices:
        box.addItem(text, value)
    return box


def facts_html(title: str, facts: list[tuple[str, str]], evidence: tuple[tuple[str, str], ...],
               tag: str = "h3") -> str:
    """A heading, facts and evidence as tables; every value is data, so escaped."""
    def table(rows: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> str:
        return "<table cellspacing='2'>" + "".join(
            f"<tr><td valign='top'><b>{escape(k)}</b>&nbsp;&nbsp;</td><td>{escape(v)}</td></tr>"
            for k, v in rows) + "</table>"
    what = table(evidence) if evidence else "<p>The rule recorded no details.</p>"
    return (f"<{tag}>{escape(title)}</{tag}>{table(facts)}"
            f"<p><b>What the rule saw</b></p>{what}")


def alert_facts(a: AlertView) -> list[tuple[str, str]]:
    facts = [("Client", a.client_name or "none"), ("Severity", a.severity.value.capitalize()),
             ("Rule", rule_label(a.rule)), ("Raised", f"{a.raised_at:%Y-%m-%d %H:%M} UTC"),
             ("Status", a.status.value.replace("_", " "))]
    if a.due_date is not None:
        facts.append(("Look at it by", a.due_date.isoformat()))
    if a.case_id is not None:
        facts.append(("Case", a.case_title))
    return facts


class AlertsTab(QWidget):
    case_opened = Signal(int)   # the new case's id
    said = Signal(str, bool)    # a message for the page, and whether it is an error
    client_chosen = Signal(int)  # "Open client": the alert's client, on the Clients part

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.can_work = desk.actor.can(Permission.WORK_ALERTS)
        self.current: AlertView | None = None
        self.people: list[Person] = []
        self.dialog: OpenCaseDialog | ReasonDialog | None = None
        self.model = SqlPageModel(views.alert_listing(AlertFilter()), desk.store, worker)

        self.status = combo(STATUSES)
        self.severity = combo(SEVERITIES)
        self.rule = QComboBox()
        self.rule.addItem(ANY_RULE, None)
        self.past_due = QCheckBox("Past due only")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search client, rule or summary…")
        self.search.setClearButtonEnabled(True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(lambda: self.model.set_search(self.search.text()))
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        for box in (self.status, self.severity, self.rule):
            box.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.past_due.toggled.connect(lambda _on: self.apply_filter())
        self.count_label = QLabel("Loading…")
        filters = QHBoxLayout()
        for w in (self.status, self.severity, self.rule, self.past_due):
            filters.addWidget(w)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.count_label)

        self.table = paged_view(self.model, (120, 66, 120, 140, 62, 140), several=True)
        self.table.selectionModel().selectionChanged.connect(self._selection)
        self.empty = QLabel()
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)

        self.detail = QLabel(NOTHING_CHOSEN)
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea()
        scroll.setWidget(self.detail)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.open_button = QPushButton("Open case…")
        self.open_button.setToolTip("A case about the chosen alerts' client; select several "
                                    "alerts (Ctrl or Shift) to put them all in it.")
        self.dismiss_button = QPushButton("Dismiss as false positive…")
        self.open_button.clicked.connect(lambda: self.ask_open_case())
        self.dismiss_button.clicked.connect(lambda: self.ask_dismiss())
        actions = QHBoxLayout()
        for button in (self.open_button, self.dismiss_button):
            button.setVisible(self.can_work)
            button.setEnabled(False)
            actions.addWidget(button)
        actions.addStretch(1)
        self.client_button = QPushButton("Open client")
        self.client_button.setEnabled(False)
        self.client_button.clicked.connect(self._open_client)
        actions.addWidget(self.client_button)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(6, 0, 0, 0)
        side_layout.addWidget(scroll, 1)
        side_layout.addLayout(actions)
        split = QSplitter()
        split.addWidget(self.stack)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([840, 480])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(split, 1)
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(lambda text: self.said.emit(text, True))

    # -- loading ----------------------------------------------------------------------------

    def refresh(self) -> None:
        desk = self.desk
        self.worker.submit(lambda: (views.alert_rules(desk), views.assignable_users(desk)),
                           self._lookups, self._failed, owner=self)
        self.apply_filter()

    def _lookups(self, found: tuple[list[str], list[Person]]) -> None:
        rules, self.people = found
        chosen = self.rule.currentData()
        self.rule.blockSignals(True)
        self.rule.clear()
        self.rule.addItem(ANY_RULE, None)
        for rule in rules:
            self.rule.addItem(rule_label(rule), rule)
        self.rule.setCurrentIndex(max(self.rule.findData(chosen), 0))
        self.rule.blockSignals(False)

    def filter(self) -> AlertFilter:
        return AlertFilter(status=self.status.currentData(), severity=self.severity.currentData(),
                           rule=self.rule.currentData(), past_due=self.past_due.isChecked())

    def apply_filter(self) -> None:
        self.model.listing = views.alert_listing(self.filter())
        self.model.reload()

    def _loaded(self, count: int) -> None:
        self.count_label.setText(f"{count:,} alert{'' if count == 1 else 's'}")
        if count:
            self.stack.setCurrentWidget(self.table)
        else:
            chosen = self.filter()
            narrowed = chosen != AlertFilter(today=chosen.today) or self.model.search.strip()
            self.empty.setText("No alerts match these filters." if narrowed else
                               "No open alerts: monitoring has raised nothing to look at.")
            self.stack.setCurrentWidget(self.empty)
        self._show(None)

    # -- the chosen alerts ------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [k for k in (self.model.key_at(r) for r in rows) if k is not None]

    def _selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        ids = self.selected_ids()
        if not ids:
            self._show(None)
            return
        desk, first = self.desk, ids[0]
        self.worker.submit(lambda: views.alert_view(desk, first), self._shown, self._failed,
                           owner=self)

    def _shown(self, alert: AlertView) -> None:
        if alert.id in self.selected_ids():
            self._show(alert)

    def _show(self, alert: AlertView | None) -> None:
        self.current = alert
        ids = self.selected_ids() if alert is not None else []
        if alert is None:
            self.detail.setText(NOTHING_CHOSEN)
        else:
            more = (f"<p><i>{len(ids) - 1} more alert(s) chosen.</i></p>"
                    if len(ids) > 1 else "")
            self.detail.setText(more + facts_html(alert.summary, alert_facts(alert),
                                                  alert.evidence))
        free = alert is not None and alert.status is AlertStatus.OPEN
        self.client_button.setEnabled(alert is not None and alert.client_id is not None)
        self.open_button.setEnabled(free)
        self.dismiss_button.setEnabled(free and len(ids) == 1)

    # -- actions ----------------------------------------------------------------------------

    def _open_client(self) -> None:
        if self.current is not None and self.current.client_id is not None:
            self.client_chosen.emit(self.current.client_id)

    def ask_open_case(self) -> OpenCaseDialog | None:
        ids, alert = self.selected_ids(), self.current
        if not ids or alert is None:
            return None
        title = f"{rule_label(alert.rule)} — {alert.client_name or 'no client'}"
        dialog = OpenCaseDialog(self.desk, self.worker, ids, title, self.people, self)
        dialog.changed.connect(lambda text: self._opened(text, dialog.created))
        self._keep(dialog)
        dialog.open()
        return dialog

    def _opened(self, text: str, case_id: int | None) -> None:
        self.said.emit(text, False)
        self.apply_filter()
        if case_id is not None:
            self.case_opened.emit(case_id)

    def ask_dismiss(self) -> ReasonDialog | None:
        alert = self.current
        if alert is None:
            return None
        dialog = ReasonDialog("Dismiss the alert",
                              f"Why is “{alert.summary}” about {alert.client_name or 'no client'}"
                              " a false positive? The reason is kept with the alert.",
                              "e.g. the third-party payer is the client's own company "
                              "(registry extract seen)", "Dismiss", self)
        dialog.accepted.connect(lambda: self.dismiss(alert, dialog.reason_text()))
        self._keep(dialog)
        dialog.open()
        return dialog

    def dismiss(self, alert: AlertView, reason: str) -> None:
        desk = self.desk

        def done(_version: int) -> None:
            self.said.emit(f"Dismissed “{alert.summary}” as a false positive.", False)
            self.apply_filter()

        self.worker.submit(lambda: alerts.dismiss_alert(desk, alert.id, alert.version, reason),
                           done, self._failed, owner=self)

    def _keep(self, dialog: OpenCaseDialog | ReasonDialog) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dialog

    def _failed(self, error: BaseException) -> None:
        self.said.emit(user_message(error), True)
