"""Partners: the introducing brokers and affiliates as a tree, each partner's card with
its plans and performance, the commission plans, and the payout runs.

The tree is read as on a date (moves take effect from their dates), with each
partner's clients and commission for the month to that date. A tab loads when it is
first shown and again once a change elsewhere on the page made it stale."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.commissions.performance import TreeRow
from app.roles import Permission
from app.services.partner_performance import partner_tree
from app.services.workspace import Desk
from ui.dialogs.partner_form import NewPartnerDialog, date_edit, to_date
from ui.messages import user_message
from ui.views.partners_card import RED, PartnerCardPanel
from ui.views.partners_payouts import PayoutsTab
from ui.views.partners_plans import PlansTab
from ui.views.partners_tree import PartnerTreeModel
from ui.worker import DbWorker

EXPAND_ALL_UPTO = 300   # partners; a bigger tree opens its top level only


class PartnersPage(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-partners")
        self.desk, self.worker = desk, worker
        self.rows: list[TreeRow] = []
        self.dialog: NewPartnerDialog | None = None
        self._want: int | None = None
        title = QLabel("Partners")
        title.setObjectName("pageTitle")
        self.count_label = QLabel("Loading…")
        self.new_button = QPushButton("New partner…")
        self.new_button.setToolTip("An introducing broker or affiliate, under the selected "
                                   "partner or at the top of the tree.")
        self.new_button.setVisible(desk.actor.can(Permission.MANAGE_PARTNERS))
        self.new_button.clicked.connect(lambda: self.new_partner())
        top = QHBoxLayout()
        top.addWidget(title)
        top.addWidget(self.count_label)
        top.addStretch(1)
        top.addWidget(self.new_button)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()

        self.model = PartnerTreeModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)   # two thousand rows lay out at once
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        for n, width in enumerate((0, 90, 60, 110, 64)):
            header.resizeSection(n, width)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # names take the room
        self.tree.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._chosen(current))
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name or code…")
        self.search.setClearButtonEnabled(True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self._search)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.day = date_edit(date.today())
        self.day.setToolTip("The tree as it stood on this date: moves count from theirs.")
        self.day.dateChanged.connect(lambda _d: self.load_tree())
        finding = QHBoxLayout()
        finding.addWidget(self.search, 1)
        finding.addWidget(QLabel("As on"))
        finding.addWidget(self.day)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(finding)
        column.addWidget(self.tree, 1)
        self.card = PartnerCardPanel(desk, worker)
        self.card.changed.connect(self._changed)
        scroll = QScrollArea()
        scroll.setWidget(self.card)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(scroll)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([520, 740])
        self.plans = PlansTab(desk, worker)
        self.payouts = PayoutsTab(desk, worker)
        self.plans.changed.connect(self._plans_changed)
        self.payouts.changed.connect(lambda _s: self._stale.add(split))
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(split, "Tree")
        self.tabs.addTab(self.plans, "Plans")
        self.tabs.addTab(self.payouts, "Payouts")
        self.tree_tab = split
        self._stale: set[QWidget] = set()
        self.tabs.currentChanged.connect(lambda _i: self._show_current())
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

    # -- loading ----------------------------------------------------------------------
    def refresh(self) -> None:
        self._stale = {self.tree_tab, self.plans, self.payouts}
        self._show_current()

    def _show_current(self) -> None:
        current = self.tabs.currentWidget()
        if current not in self._stale:
            return
        self._stale.discard(current)
        if current is self.tree_tab:
            self.load_tree()
        elif current is self.plans:
            self.plans.refresh()
        elif current is self.payouts:
            self.payouts.refresh()

    def tree_day(self) -> date:
        return to_date(self.day.date())

    def load_tree(self) -> None:
        desk, day = self.desk, self.tree_day()
        self.worker.submit(lambda: partner_tree(desk, day),
                           lambda rows: self._fill(day, rows), self._failed, owner=self)

    def _fill(self, day: date, rows: list[TreeRow]) -> None:
        if day != self.tree_day():
            return   # a newer date was chosen meanwhile
        keep = self._want or self.card.partner_id
        self._want = None
        self.rows = rows
        self.model.set_rows(rows)   # the selection goes with the old rows
        self._expand()
        top = sum(r.level == 0 for r in rows)
        self.count_label.setText(f"{len(rows):,} partners, {top:,} at the top" if rows
                                 else "No introducing brokers or affiliates yet.")
        first = self.model.partner_at(self.model.index(0, 0))
        if keep is not None and self.model.index_of(keep).isValid():
            self.select(keep)
        elif first is not None:
            self.select(first.id)
        else:
            self.card.show_partner(None)

    def _expand(self) -> None:
        if self.model.search or self.model.shown() <= EXPAND_ALL_UPTO:
            self.tree.expandAll()
        else:
            self.tree.expandToDepth(0)

    def _search(self) -> None:
        self.model.set_search(self.search.text())
        self._expand()
        found = self.model.matches()
        if self.model.search:
            self.count_label.setText(f"{len(found):,} of {len(self.rows):,} partners match")
            if found:
                self.select(found[0])
        elif self.card.partner_id is not None:
            self.select(self.card.partner_id)

    def select(self, partner_id: int) -> None:
        index = self.model.index_of(partner_id)
        if not index.isValid():
            return
        self.tree.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.tree.scrollTo(index)

    def _chosen(self, index: QModelIndex) -> None:
        self.card.show_partner(self.model.partner_at(index), self.rows, self.tree_day())

    # -- changes ----------------------------------------------------------------------
    def new_partner(self) -> NewPartnerDialog:
        if self.dialog is not None:
            self.dialog.deleteLater()
        dialog = NewPartnerDialog(self.desk, self.worker, self.rows, self.card.partner_id,
                                  self)
        dialog.changed.connect(lambda said: self._changed(said, dialog.created))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _changed(self, said: str, show: int | None = None) -> None:
        """After a change: the tree and the card read again, showing `show` if given."""
        self.say(said)
        self._want = show
        self._stale |= {self.plans, self.payouts}
        self.load_tree()

    def _plans_changed(self, _said: str) -> None:
        self._stale.add(self.tree_tab)   # the card's plans say the new terms

    def say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {RED};" if error else "")
        self.message.setText(text)
        self.message.show()

    def _failed(self, error: BaseException) -> None:
        self.say(user_message(error), error=True)
