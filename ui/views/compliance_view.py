"""Compliance: the alert queue monitoring fills, and the cases compliance works.

The toolbar (top right) opens the monitoring rules and runs them over the whole
history on demand. A tab loads when first shown, and again once a change on the other
tab made it stale."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.roles import Permission
from app.services import monitoring
from app.services.workspace import Desk
from ui.dialogs.monitoring_rules import MonitoringRulesDialog
from ui.views.compliance_alerts import AlertsTab
from ui.views.compliance_cases import CasesTab
from ui.worker import DbWorker

RED = "#b3261e"


class CompliancePage(QWidget):
    client_chosen = Signal(int)  # open this client's page (the main window knows where)

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-compliance")
        self.desk, self.worker = desk, worker
        title = QLabel("Compliance")
        title.setObjectName("pageTitle")
        self.role_note = QLabel("" if desk.actor.can(Permission.WORK_ALERTS) else
                                "Read only: alerts and cases are worked by compliance.")
        self.toolbar = QHBoxLayout()
        works = desk.actor.can(Permission.WORK_ALERTS)
        self.rules_button = QPushButton("Rules…")
        self.rules_button.setToolTip("What monitoring looks for, and its thresholds")
        self.rules_button.clicked.connect(self.open_rules)
        self.run_button = QPushButton("Run rules now")
        self.run_button.setToolTip("Check the whole history against every rule")
        self.run_button.clicked.connect(self.run_rules)
        for button in (self.rules_button, self.run_button):
            button.setVisible(works)
            self.toolbar.addWidget(button)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addWidget(self.role_note)
        top.addStretch(1)
        top.addLayout(self.toolbar)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        self.alerts = AlertsTab(desk, worker)
        self.cases = CasesTab(desk, worker)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.alerts, "Alert queue")
        self.tabs.addTab(self.cases, "Cases")
        self._stale: set[QWidget] = set()
        self.tabs.currentChanged.connect(lambda _i: self._show_current())
        self.alerts.said.connect(self.say)
        self.cases.said.connect(self.say)
        self.alerts.case_opened.connect(self.show_case)
        self.alerts.client_chosen.connect(self.client_chosen)
        self.alerts.said.connect(lambda _t, error: self._made_stale(self.cases, error))
        self.cases.said.connect(lambda _t, error: self._made_stale(self.alerts, error))
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

    def refresh(self) -> None:
        self._stale = {self.alerts, self.cases}
        self._show_current()

    def _show_current(self) -> None:
        current = self.tabs.currentWidget()
        if current in self._stale:
            self._stale.discard(current)
            if current is self.alerts:
                self.alerts.refresh()
            elif current is self.cases:
                self.cases.refresh()

    def _made_stale(self, tab: QWidget, error: bool) -> None:
        if not error:  # a change on one tab: the other reads again when next shown
            self._stale.add(tab)

    def open_rules(self) -> MonitoringRulesDialog:
        dialog = MonitoringRulesDialog(self.desk, self.worker, self)
        dialog.changed.connect(lambda text: self.say(text))
        dialog.open()
        return dialog

    def run_rules(self) -> None:
        desk = self.desk
        self.run_button.setEnabled(False)
        self.say("Checking the whole history against the monitoring rules…")
        self.worker.submit(lambda: monitoring.run_monitoring(desk), self._ran,
                           lambda e: self._run_failed(str(e)), owner=self)

    def _ran(self, result: monitoring.MonitoringResult) -> None:
        self.run_button.setEnabled(True)
        raised = result.alerts_raised
        self.say(f"Rules checked {result.clients_checked:,} clients in "
                 f"{result.seconds:.1f} s: " + (
                     f"{raised:,} new alert{'s' if raised != 1 else ''}." if raised
                     else "nothing new to look at."))
        self.refresh()

    def _run_failed(self, text: str) -> None:
        self.run_button.setEnabled(True)
        self.say(text, error=True)

    def show_case(self, case_id: int) -> None:
        """After a case is opened from the queue: the Cases tab, showing it."""
        self._stale.discard(self.cases)
        self.tabs.setCurrentWidget(self.cases)
        self.cases.show_case(case_id)

    def focus_search(self) -> None:
        """Ctrl+F: the search box of the tab on show."""
        search = self.alerts.search if self.tabs.currentWidget() is self.alerts \
            else self.cases.search
        search.setFocus()
        search.selectAll()

    def say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {RED};" if error else "")
        self.message.setText(text)
        self.message.show()
