"""One client's page: the profile and contacts on the left; timeline, trading accounts,
money, KYC, notes and tasks in tabs; lifecycle steps and edit in the header.

Everything loads on the database worker; the accounts' live state is read again every
few seconds while the page is on screen (the sync engine keeps the mirror current).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.crm.client_page import AccountRow, ClientPage, client_accounts, client_page
from app.crm.lifecycle import StatusOption, status_options
from app.roles import Permission
from app.services.clients import get_client
from app.services.workspace import Desk
from ui.dialogs.client_form import ClientForm
from ui.dialogs.client_status import StatusChangeDialog
from ui.dialogs.payment_request import PaymentRequestDialog
from ui.messages import user_message
from ui.views.client.format import ERROR_STYLE, label, sentence
from ui.views.client.notes_tasks import NotesPanel, TasksPanel
from ui.views.client.profile_panel import ProfilePanel
from ui.views.client.records import AccountsPanel, KycPanel, MoneyPanel
from ui.views.client.timeline_panel import TimelinePanel
from ui.worker import DbWorker

LIVE_REFRESH_MS = 5000


class ClientPageView(QWidget):
    back = Signal()
    changed = Signal(int)  # the client id, after any change made here

    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clientPage")
        self.desk, self.worker = desk, worker
        self.can_edit = desk.actor.can(Permission.EDIT_CLIENTS)
        self.client_id: int | None = None
        self.page: ClientPage | None = None
        self.options: list[StatusOption] = []
        self.dialog: QDialog | None = None

        back = QPushButton("← Clients")
        back.setToolTip("Back to the client list (Esc)")
        back.setShortcut(Qt.Key.Key_Escape)
        back.clicked.connect(self.back.emit)
        self.title = QLabel("Loading…")
        self.title.setObjectName("pageTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = QLabel()
        self.edit_button = QPushButton("Edit…")
        self.edit_button.clicked.connect(self.edit)
        self.status_button = QToolButton()
        self.status_button.setText("Change status")
        self.status_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.status_button.setMenu(QMenu(self.status_button))
        for w in (self.edit_button, self.status_button):
            w.setVisible(self.can_edit)
        self.payment_button = QPushButton("New payment…")
        self.payment_button.setVisible(desk.actor.can(Permission.REQUEST_PAYMENTS))
        self.payment_button.clicked.connect(self.new_payment)
        self.banner = QLabel()
        self.banner.setObjectName("frozenBanner")
        self.banner.setStyleSheet("background: #b3261e; color: white; padding: 6px;")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()

        heading = QVBoxLayout()
        heading.setSpacing(0)
        heading.addWidget(self.title)
        heading.addWidget(self.subtitle)
        top = QHBoxLayout()
        top.addWidget(back, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(heading, 1)
        top.addWidget(self.payment_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.status_button, 0, Qt.AlignmentFlag.AlignTop)

        self.profile = ProfilePanel(desk, worker, can_edit=self.can_edit)
        self.timeline = TimelinePanel(desk, worker)
        self.accounts = AccountsPanel()
        self.money = MoneyPanel(desk, worker)
        self.kyc = KycPanel()
        self.notes = NotesPanel(desk, worker)
        self.tasks = TasksPanel(desk, worker)
        for panel in (self.profile, self.notes, self.tasks):
            panel.changed.connect(self._changed_here)
        self.tabs = QTabWidget()
        tabs: tuple[tuple[QWidget, str], ...] = (
            (self.timeline, "Timeline"), (self.accounts, "Accounts"), (self.money, "Money"),
            (self.kyc, "KYC"), (self.notes, "Notes"), (self.tasks, "Tasks"))
        for tab, name in tabs:
            self.tabs.addTab(tab, name)
        left = QScrollArea()
        left.setWidget(self.profile)
        left.setWidgetResizable(True)
        left.setMinimumWidth(300)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 1)
        split.setSizes([360, 750])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)

        self.live = QTimer(self)
        self.live.setInterval(LIVE_REFRESH_MS)
        self.live.timeout.connect(self.refresh_accounts)

    # -- loading ---------------------------------------------------------------------
    def show_client(self, client_id: int) -> None:
        if client_id != self.client_id:
            self.page = None
            self.title.setText("Loading…")
            self.subtitle.clear()
            self.say("")
            self.tabs.setCurrentIndex(0)
        self.client_id = client_id
        self.reload()

    def reload(self) -> None:
        if self.client_id is None:
            return
        desk, cid = self.desk, self.client_id
        self.worker.submit(lambda: client_page(desk, cid), lambda p: self._show(cid, p),
                           self._failed, owner=self)
        self.worker.submit(lambda: status_options(desk, cid),
                           lambda o: self._show_options(cid, o), self._failed, owner=self)
        self.timeline.show_client(cid)

    def _show(self, client_id: int, page: ClientPage) -> None:
        if client_id != self.client_id:
            return
        self.page = page
        p = page.profile
        self.title.setText(f"{p.display_name}  ·  #{p.id}")
        self.subtitle.setText(f"{sentence(label(p.status))} · risk {label(p.risk_rating)}"
                              f" · {self.kyc.status_text(page.kyc)}"
                              + (f" · closed: {p.closed_reason}" if p.closed_reason else ""))
        self.banner.setVisible(p.frozen)
        self.banner.setText(f"Frozen by compliance: {p.frozen_reason or 'no reason given'}. "
                            "No new accounts and no money out until the freeze is lifted.")
        self.profile.show_profile(p)
        self.profile.show_contacts(page.contacts)
        self.accounts.show_accounts(page.accounts)
        self.money.show_payments(p.id, page.payments, page.payments_total)
        self.kyc.show_cases(page.kyc)
        self.notes.show_notes(p.id, page.notes)
        self.tasks.show_tasks(p.id, page.tasks)
        open_tasks = sum(not t.done for t in page.tasks)
        titles: tuple[tuple[QWidget, str], ...] = (
            (self.accounts, f"Accounts ({len(page.accounts)})"),
            (self.money, f"Money ({page.payments_total:,})"),
            (self.notes, f"Notes ({len(page.notes)})"),
            (self.tasks, f"Tasks ({open_tasks} open)"))
        for tab, name in titles:
            self.tabs.setTabText(self.tabs.indexOf(tab), name)

    def _show_options(self, client_id: int, options: list[StatusOption]) -> None:
        if client_id != self.client_id:
            return
        self.options = options
        menu = self.status_button.menu()
        menu.clear()
        for option in options:
            text = sentence(label(option.status))
            action = QAction(text if option.allowed else f"{text} (not possible now)", menu)
            action.setToolTip(option.why_not)
            action.triggered.connect(lambda _on=False, o=option: self.choose_status(o))
            menu.addAction(action)
        menu.setToolTipsVisible(True)

    def refresh_accounts(self) -> None:
        if self.client_id is None:
            return
        desk, cid = self.desk, self.client_id
        self.worker.submit(lambda: client_accounts(desk, cid),
                           lambda rows: self._live(cid, rows), owner=self)

    def _live(self, client_id: int, rows: list[AccountRow]) -> None:
        if client_id == self.client_id:
            self.accounts.show_accounts(rows)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.live.start()

    def hideEvent(self, event: QHideEvent) -> None:
        self.live.stop()
        super().hideEvent(event)

    # -- changes ---------------------------------------------------------------------
    def choose_status(self, option: StatusOption) -> None:
        """A lifecycle step from the menu: a refusal is said in words, an allowed step
        asks to confirm (and for a reason where one is needed)."""
        if self.page is None or self.client_id is None:
            return
        if not option.allowed:
            self.say(option.why_not, error=True)
            return
        p = self.page.profile
        dialog = StatusChangeDialog(self.desk, self.worker, client_id=p.id,
                                    name=p.display_name, current=p.status, option=option,
                                    version=p.version, parent=self)
        dialog.changed.connect(lambda _v: self._status_changed(option))
        self._replace_dialog(dialog)
        dialog.open()

    def _status_changed(self, option: StatusOption) -> None:
        self.say(f"Status changed to {label(option.status)}.")
        self._changed_here()

    def edit(self) -> None:
        if self.client_id is None:
            return
        desk, cid = self.desk, self.client_id
        self.worker.submit(lambda: get_client(desk, cid), lambda r: self._edit(cid, r),
                           self._failed, owner=self)

    def _edit(self, client_id: int, result: Any) -> None:
        if client_id != self.client_id:
            return
        data, version, _extra = result
        form = ClientForm(self.desk, self.worker, client_id=client_id, data=data,
                          version=version, parent=self)
        form.accepted.connect(self._changed_here)
        self._replace_dialog(form)
        form.open()

    def new_payment(self) -> None:
        if self.page is None:
            return
        dialog = PaymentRequestDialog(self.desk, self.worker, parent=self,
                                      logins=[a.login for a in self.page.accounts])
        dialog.sent.connect(lambda _pid, said: self._payment_sent(said))
        self._replace_dialog(dialog)
        dialog.open()

    def _payment_sent(self, said: str) -> None:
        self.say(said)
        self._changed_here()

    def _replace_dialog(self, dialog: QDialog) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dialog

    def _changed_here(self) -> None:
        if self.client_id is not None:
            self.reload()
            self.changed.emit(self.client_id)

    def say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(ERROR_STYLE if error else "")
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _failed(self, error: BaseException) -> None:
        self.say(user_message(error), error=True)
