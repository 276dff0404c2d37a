"""The KYC page: documents attached from disk, shown in the viewer from the encrypted
store, approved or rejected with a reason, and the case approved when complete."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.kyc.cases import open_case
from app.models.crm import ClientKind, ClientStatus
from app.services.clients import ClientData, create_client, get_client
from app.services.workspace import Desk
from tests.ui.conftest import not_blank
from tests.ui.test_document_viewer import passport_png, statement_pdf
from ui.views.kyc_view import CasePanel
from ui.worker import DbWorker

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
TODAY = date.today()


def attach(qtbot: QtBot, panel: CasePanel, path: Path, requirement: str, doc_type: str,
           **extra: object) -> None:
    count = len(panel.case.documents) if panel.case else 0
    panel.attach({"path": path, "requirement": requirement, "doc_type": doc_type, **extra})
    qtbot.waitUntil(lambda: panel.case is not None and len(panel.case.documents) == count + 1,
                    timeout=10000)


def select(qtbot: QtBot, panel: CasePanel, row: int) -> None:
    panel.documents.selectRow(row)
    qtbot.waitUntil(lambda: panel.viewer.pages > 0, timeout=10000)


def test_review_a_case_from_attach_to_approval(qtbot: QtBot, desk: Desk, worker: DbWorker,
                                               tmp_path: Path) -> None:
    client = create_client(desk, ClientData(kind=ClientKind.PERSON, first_name="Eleni",
                                            last_name="Papadopoulou", country="CY",
                                            date_of_birth=date(1985, 4, 2)))
    case_id = open_case(desk, client)
    passport, bill, selfie, blurred = (tmp_path / n for n in (
        "passport.png", "bill.pdf", "selfie.png", "blurred.png"))
    passport.write_bytes(passport_png())
    bill.write_bytes(statement_pdf(2))
    selfie.write_bytes(passport_png(300, 400))
    blurred.write_bytes(passport_png(200, 200))

    panel = CasePanel(desk, worker)
    qtbot.addWidget(panel)
    panel.resize(1000, 900)
    panel.show()
    panel.show_case(case_id)
    qtbot.waitUntil(lambda: panel.case is not None, timeout=10000)
    assert "proof of identity" in panel.facts.text() and "✘" in panel.facts.text()

    attach(qtbot, panel, passport, "identity", "passport", issuing_country="CY",
           number="K0123456", issue_date=TODAY - timedelta(days=400),
           expiry_date=TODAY + timedelta(days=3000))
    attach(qtbot, panel, bill, "proof_of_address", "utility_bill",
           issue_date=TODAY - timedelta(days=20))
    attach(qtbot, panel, blurred, "selfie", "selfie")

    select(qtbot, panel, 1)  # the bill: a two-page PDF, from memory
    assert panel.viewer.pages == 2
    select(qtbot, panel, 2)
    panel.decide_document(False)  # no reason: refused, stays new
    qtbot.waitUntil(lambda: "Say why" in panel.message.text(), timeout=10000)
    panel.reason.setText("Face not visible: blurred")
    panel.decide_document(False)
    qtbot.waitUntil(lambda: panel.case is not None and panel.case.documents[2].status
                    == "rejected", timeout=10000)

    panel.approve_case()  # the selfie is missing: refused, saying what is missing
    qtbot.waitUntil(lambda: "selfie" in panel.message.text(), timeout=10000)
    assert get_client(desk, client)[0].status is not ClientStatus.VERIFIED

    attach(qtbot, panel, selfie, "selfie", "selfie")
    for row in (0, 1, 3):
        select(qtbot, panel, row)
        status = panel.case.documents[row].status if panel.case else ""
        panel.decide_document(True)
        qtbot.waitUntil(lambda r=row: panel.case is not None
                        and panel.case.documents[r].status == "approved", timeout=10000)
        assert status == "new"
    select(qtbot, panel, 0)
    SHOTS.mkdir(exist_ok=True)
    panel.grab().save(str(SHOTS / "kyc_case.png"))
    assert not_blank(SHOTS / "kyc_case.png") > 20

    panel.approve_case()
    qtbot.waitUntil(lambda: panel.case is not None
                    and panel.case.status.value == "approved", timeout=10000)
    assert get_client(desk, client)[0].status is ClientStatus.VERIFIED
    assert not panel.buttons["approve_case"].isEnabled()


def test_a_file_that_is_not_a_document_is_refused(qtbot: QtBot, desk: Desk, worker: DbWorker,
                                                  tmp_path: Path) -> None:
    client = create_client(desk, ClientData(kind=ClientKind.PERSON, first_name="Ana",
                                            last_name="Silva", country="PT"))
    case_id = open_case(desk, client)
    fake = tmp_path / "passport.png"
    fake.write_bytes(b"MZ\x90\x00 this is a program, not a scan")
    panel = CasePanel(desk, worker)
    qtbot.addWidget(panel)
    panel.show_case(case_id)
    qtbot.waitUntil(lambda: panel.case is not None, timeout=10000)
    panel.attach({"path": fake, "requirement": "identity", "doc_type": "passport",
                  "issuing_country": "PT", "number": "P1",
                  "expiry_date": TODAY + timedelta(days=900)})
    qtbot.waitUntil(lambda: panel.message.text() != "", timeout=10000)
    assert panel.case is not None and panel.case.documents == ()
    assert "#b3261e" in panel.message.styleSheet()


def test_queues_show_reviews_due_and_expiring_documents(qtbot: QtBot, desk: Desk,
                                                        worker: DbWorker,
                                                        tmp_path: Path) -> None:
    from sqlalchemy import update

    from app.kyc import review
    from app.models.kyc import KycCase, KycDocument
    from tests.app.test_kyc_support import complete_person_case, person
    from ui.views.kyc_view import KycPage

    soon = person(desk, "Soon")
    soon_case = complete_person_case(desk, desk, soon, tmp_path,
                                     expiry_date=TODAY + timedelta(days=12))
    review.approve_case(desk, soon_case)
    due = person(desk, "Overdue", "ES")
    due_case = complete_person_case(desk, desk, due, tmp_path)
    review.approve_case(desk, due_case)
    with desk.store.write() as s:  # a year and more has passed for this one
        s.execute(update(KycCase).where(KycCase.id == due_case)
                  .values(next_review=TODAY - timedelta(days=3)))
        s.execute(update(KycDocument).where(KycDocument.case_id == due_case,
                                            KycDocument.doc_type == "passport")
                  .values(expiry_date=TODAY - timedelta(days=1)))
    page = KycPage(desk, worker)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    page.tabs.setCurrentWidget(page.queues)
    page.refresh()
    queues = page.queues
    qtbot.waitUntil(lambda: queues.expiring != [] and queues.reviews != [], timeout=10000)
    assert [r.case_id for r in queues.reviews] == [due_case]
    assert queues.review_table.item(0, 3).text() == "3 days overdue"
    assert [d.case_id for d in queues.expiring] == [soon_case]  # the past one: swept
    queues.sweep()
    qtbot.waitUntil(lambda: "1 document(s) marked expired" in queues.message.text(),
                    timeout=10000)
    queues.review_table.cellDoubleClicked.emit(0, 0)
    qtbot.waitUntil(lambda: page.panel.case is not None
                    and page.panel.case.id == due_case, timeout=10000)
    assert any(d.expired for d in page.panel.case.documents)
    page.grab().save(str(SHOTS / "kyc_queues.png"))
    assert not_blank(SHOTS / "kyc_queues.png") > 20
    page.panel.new_case()
    qtbot.waitUntil(lambda: page.panel.case is not None and page.panel.case.id != due_case,
                    timeout=10000)
    assert page.panel.case.status.value == "open" and page.panel.case.documents == ()
    assert page.panel.buttons["attach"].isEnabled()
