"""KYC: the case list, and one case — requirements, risk and its factors, the documents
with the viewer, and the reviewer's decisions (documents, case, second signature)."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.kyc import documents as kyc_documents
from app.kyc import review
from app.kyc.cases import CaseView, DocumentRow, get_case, open_case
from app.kyc.documents import DocumentFile
from app.kyc.requirements import State, attachable
from app.queries import catalogue
from app.roles import Permission
from app.services.workspace import Desk
from ui.dialogs.attach_document import AttachDocumentDialog
from ui.messages import user_message
from ui.views.kyc_queues import KycQueues
from ui.views.list_page import ListPage
from ui.widgets.document_viewer import DocumentViewer
from ui.worker import DbWorker

DOC_COLUMNS = ("Proves", "Document", "Number", "Expires", "Status")
MARKS = {State.MET: "✔", State.MISSING: "✘", State.REJECTED: "✘", State.EXPIRED: "✘",
         State.IN_REVIEW: "…"}


class CasePanel(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.case: CaseView | None = None
        self.can_review = desk.actor.can(Permission.REVIEW_KYC)
        self.title = QLabel("Select a case to review it.")
        self.title.setObjectName("detailTitle")
        self.title.setWordWrap(True)
        self.facts = QLabel()
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setWordWrap(True)
        self.facts.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.documents = QTableWidget(0, len(DOC_COLUMNS))
        self.documents.setHorizontalHeaderLabels(list(DOC_COLUMNS))
        self.documents.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.documents.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.documents.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.documents.verticalHeader().setVisible(False)
        self.documents.horizontalHeader().setStretchLastSection(True)
        self.documents.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.documents.setMinimumHeight(130)
        self.documents.setMaximumHeight(180)
        self.documents.itemSelectionChanged.connect(self._document_selected)
        self.viewer = DocumentViewer()
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Reason or note (required to reject)")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        doc_row, case_row = QHBoxLayout(), QHBoxLayout()
        for name, text, row, slot in (
                ("attach", "Attach document…", doc_row, self.ask_attach),
                ("approve_doc", "Approve document", doc_row, lambda: self.decide_document(True)),
                ("reject_doc", "Reject document", doc_row, lambda: self.decide_document(False)),
                ("approve_case", "Approve case", case_row, self.approve_case),
                ("countersign", "Second signature", case_row, self.countersign),
                ("reject_case", "Reject case", case_row, self.reject_case),
                ("new_case", "Start a new review", case_row, self.new_case)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
            self.buttons[name] = button
        doc_row.addStretch(1)
        case_row.addStretch(1)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.title)
        facts_scroll = QScrollArea()
        facts_scroll.setWidgetResizable(True)
        facts_scroll.setFrameShape(QFrame.Shape.NoFrame)
        facts_scroll.setWidget(self.facts)
        facts_scroll.setMinimumHeight(140)
        top_layout.addWidget(facts_scroll, 1)
        top_layout.addWidget(self.documents)
        top_layout.addLayout(doc_row)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.viewer)
        split.setStretchFactor(1, 1)
        split.setSizes([380, 520])
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.reason)
        layout.addLayout(case_row)
        layout.addWidget(self.message)
        self._enable()

    # -- showing --------------------------------------------------------------------------

    def show_case(self, case_id: int | None) -> None:
        if case_id is None:
            return
        desk = self.desk
        self.worker.submit(lambda: get_case(desk, case_id), self._fill, self._error,
                           owner=self)

    def _fill(self, case: CaseView) -> None:
        self.case = case
        edd = "  ·  enhanced due diligence" if case.enhanced else ""
        self.title.setText(f"{case.client_name}  ·  KYC {case.status.value.replace('_', ' ')}"
                           f"{edd}")
        checks = "".join(
            f"<li>{MARKS.get(r.state, '•')} {escape(r.requirement.label)}"
            f"{'' if r.state is State.MET else ' — ' + escape(r.note)}</li>"
            for r in case.summary.requirements)
        risk = "<p><b>Risk:</b> not rated yet</p>"
        if case.risk is not None:
            factors = "".join(f"<li>{f.points:+d} {escape(f.text)}</li>"
                              for f in case.risk.factors)
            risk = (f"<p><b>Risk: {case.risk.rating.value}</b> (score {case.risk.score})</p>"
                    f"<ul>{factors}</ul>")
        edd_text = (f"<p><b>Why EDD:</b> {escape(case.edd_reason)}</p>" if case.edd_reason
                    else "")
        second = case.second_signature
        signature = ("" if second is None else
                     f"<p><b>Second signature:</b> {second.status}, prepared by "
                     f"{escape(second.prepared_by)}"
                     + (f", decided by {escape(second.decided_by)}" if second.decided_by
                        else "") + "</p>")
        self.facts.setText(f"<p><b>Requirements</b></p><ul>{checks}</ul>{risk}{edd_text}"
                           f"{signature}")
        self.documents.setRowCount(len(case.documents))
        for r, d in enumerate(case.documents):
            expires = f"{d.expiry_date:%Y-%m-%d}" if d.expiry_date else ""
            status = "expired" if d.expired else d.status
            if d.reject_reason:
                status += f": {d.reject_reason}"
            for c, text in enumerate((d.requirement.replace("_", " "), d.doc_label,
                                      d.number, expires, status)):
                self.documents.setItem(r, c, QTableWidgetItem(text))
        self.viewer.clear()
        self._enable()

    def current_document(self) -> DocumentRow | None:
        rows = self.documents.selectionModel().selectedRows()
        if self.case is None or not rows or rows[0].row() >= len(self.case.documents):
            return None
        return self.case.documents[rows[0].row()]

    def _document_selected(self) -> None:
        doc = self.current_document()
        self._enable()
        if doc is None:
            return
        desk, doc_id = self.desk, doc.id
        self.worker.submit(lambda: kyc_documents.document_bytes(desk, doc_id),
                           self._show_file, self._error, owner=self)

    def _show_file(self, file: DocumentFile) -> None:
        current = self.current_document()
        if current is not None and current.id == file.id:
            self.viewer.show_document(file.data, file.mime_type)

    def _enable(self) -> None:
        undecided = self.case is not None and self.case.status.value not in (
            "approved", "rejected")
        doc = self.current_document()
        self.buttons["attach"].setEnabled(undecided and (
            self.can_review or self.desk.actor.can(Permission.EDIT_CLIENTS)))
        for name in ("approve_doc", "reject_doc"):
            self.buttons[name].setEnabled(self.can_review and doc is not None
                                          and doc.status == "new" and not doc.expired)
        for name in ("approve_case", "reject_case"):
            self.buttons[name].setEnabled(self.can_review and undecided)
        second = None if self.case is None else self.case.second_signature
        self.buttons["new_case"].setEnabled(self.case is not None and not undecided and (
            self.can_review or self.desk.actor.can(Permission.EDIT_CLIENTS)))
        self.buttons["countersign"].setEnabled(
            undecided and second is not None and second.status == "pending"
            and self.desk.actor.can(Permission.APPROVE_HIGH_RISK))

    # -- decisions ------------------------------------------------------------------------

    def _run(self, job: Any, done_text: str | None = None) -> None:
        case = self.case
        if case is None:
            return

        def done(result: Any) -> None:
            text = getattr(result, "message", None) or done_text or ""
            self._say(text)
            self.reason.clear()
            self.show_case(case.id)

        self.worker.submit(job, done, self._error, owner=self)

    def decide_document(self, approve: bool) -> None:
        doc, desk, reason = self.current_document(), self.desk, self.reason.text()
        if doc is None:
            return
        if approve:
            self._run(lambda: review.approve_document(desk, doc.id),
                      f"{doc.doc_label} approved.")
        else:
            self._run(lambda: review.reject_document(desk, doc.id, reason),
                      f"{doc.doc_label} rejected; the client is asked for a new one.")

    def approve_case(self) -> None:
        if self.case is not None:
            desk, case_id, notes = self.desk, self.case.id, self.reason.text()
            self._run(lambda: review.approve_case(desk, case_id, notes))

    def countersign(self) -> None:
        if self.case is not None:
            desk, case_id, notes = self.desk, self.case.id, self.reason.text()
            self._run(lambda: review.countersign_case(desk, case_id, True, notes))

    def reject_case(self) -> None:
        if self.case is not None:
            desk, case_id, reason = self.desk, self.case.id, self.reason.text()
            self._run(lambda: review.reject_case(desk, case_id, reason), "Case rejected.")

    def new_case(self) -> None:
        """A periodic review or a refreshed document starts a new case."""
        if self.case is None:
            return
        desk, client_id = self.desk, self.case.client_id

        def opened(case_id: int) -> None:
            self._say("A new case is open: attach the current documents.")
            self.show_case(case_id)

        self.worker.submit(lambda: open_case(desk, client_id), opened, self._error,
                           owner=self)

    def ask_attach(self) -> None:
        if self.case is None:
            return
        dialog = AttachDocumentDialog(attachable(self.case.client_kind), self)
        dialog.accepted.connect(lambda: self.attach(dialog.details()))
        dialog.open()

    def attach(self, details: dict[str, Any]) -> None:
        if self.case is None:
            return
        desk, case_id = self.desk, self.case.id
        self._run(lambda: kyc_documents.attach_document(desk, case_id, **details),
                  "Document attached; it waits for review.")

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b3261e;" if error else "")
        self.message.setText(text)

    def _error(self, error: BaseException) -> None:
        self._say(user_message(error), error=True)


class KycPage(QWidget):
    def __init__(self, desk: Desk, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = ListPage("KYC cases", catalogue.KYC_CASES, desk.store, worker,
                             empty_text="No KYC cases yet: a case opens when a client "
                                        "registers.")
        self.panel = CasePanel(desk, worker)
        self.list.current_changed.connect(self.panel.show_case)
        self.queues = KycQueues(desk, worker)
        self.queues.case_chosen.connect(self.panel.show_case)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.list, "Cases")
        self.tabs.addTab(self.queues, "Reviews and expiry")
        splitter = QSplitter()
        splitter.addWidget(self.tabs)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def refresh(self) -> None:
        self.list.refresh()
        self.queues.refresh()
        if self.panel.case is not None:
            self.panel.show_case(self.panel.case.id)
