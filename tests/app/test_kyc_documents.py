"""Attaching documents from disk into the encrypted store, and reading them back."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.errors import PermissionDenied, ValidationFailed, WorkspaceDamaged
from app.kyc import cases, documents
from app.models.audit import AuditEntry
from app.models.kyc import DocumentContent, KycCase, KycDocument, KycStatus
from app.models.sync_state import OutboxCommand
from app.models.users import Role
from app.services.workspace import Desk
from sync.contract.schemas import KycDocument as WireDocument
from tests.app.test_kyc_support import (
    IN_5_YEARS,
    TODAY,
    as_user,
    attach,
    company,
    on_platform,
    pdf,
    person,
    png,
    qt_image,
    write,
)


def passport(desk: Desk, case_id: int, path: Path, **changes: object) -> int:
    details = {"requirement": "identity", "doc_type": "passport", "issuing_country": "PT",
               "number": "CB123456", "issue_date": TODAY - timedelta(days=30),
               "expiry_date": IN_5_YEARS, **changes}
    return documents.attach_document(desk, case_id, path, **details).id  # type: ignore[arg-type]


def count_documents(desk: Desk) -> int:
    with desk.store.read() as s:
        return int(s.scalar(select(func.count()).select_from(KycDocument)) or 0)


def test_attached_photo_round_trips_and_never_lies_on_disk_in_plaintext(
        desk: Desk, tmp_path: Path) -> None:
    cid = person(desk)
    case_id = cases.open_case(desk, cid)
    marker = os.urandom(48)
    data = png(16, 9, marker)
    source = write(tmp_path, "scan.png", data)
    attached = documents.attach_document(desk, case_id, source, requirement="identity",
                                         doc_type="passport", issuing_country="pt",
                                         number="CB123456",
                                         issue_date=TODAY - timedelta(days=30),
                                         expiry_date=IN_5_YEARS)
    assert (attached.mime_type, attached.size, attached.pages) == ("image/png", len(data), 1)
    assert (attached.width, attached.height) == (16, 9)
    shown = documents.document_bytes(desk, attached.id)
    assert shown.data == data and shown.mime_type == "image/png"
    assert shown.file_name == "scan.png" and shown.sha256 == attached.sha256
    with desk.store.read() as s:
        doc = s.get(KycDocument, attached.id)
        assert doc is not None and doc.issuing_country == "PT" and doc.requirement == "identity"
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["kyc_document.attach", "kyc_document.view"]
    source.unlink()
    folder = desk.store.folder
    written = [p for p in folder.rglob("*") if p.is_file()]
    assert desk.store.db_path in written and desk.store.db_path.stat().st_size > len(data)
    for path in written:  # the database, its WAL and shared memory, the key file
        assert marker not in path.read_bytes(), path
    desk.store.close()
    for path in (p for p in folder.rglob("*") if p.is_file()):
        assert marker not in path.read_bytes(), path


def test_pdf_reports_its_page_count(desk: Desk, tmp_path: Path) -> None:
    case_id = cases.open_case(desk, person(desk))
    statement = write(tmp_path, "statement.PDF", pdf(3))
    attached = documents.attach_document(desk, case_id, statement,
                                         requirement="proof_of_address",
                                         doc_type="bank_statement",
                                         issue_date=TODAY - timedelta(days=5))
    assert (attached.mime_type, attached.pages) == ("application/pdf", 3)
    assert documents.document_bytes(desk, attached.id).pages == 3


def test_content_decides_not_the_name(desk: Desk, tmp_path: Path) -> None:
    case_id = cases.open_case(desk, person(desk))
    jpeg_named_pdf = write(tmp_path, "selfie.pdf", qt_image("JPEG"))
    doc_id = attach(desk, case_id, tmp_path, "selfie", "selfie", qt_image("JPEG"))
    assert documents.document_bytes(desk, doc_id).mime_type == "image/jpeg"
    assert jpeg_named_pdf.exists()
    program = write(tmp_path, "passport.jpg", b"MZ\x90\x00\x03" + os.urandom(4000))
    with pytest.raises(ValidationFailed, match="program, not a document"):
        passport(desk, case_id, program)
    letter = write(tmp_path, "passport.pdf", b"Passport of Ana Lima, number 1234")
    with pytest.raises(ValidationFailed, match="not a photo or a PDF"):
        passport(desk, case_id, letter)
    assert count_documents(desk) == 1  # only the real JPEG
    with desk.store.read() as s:
        attaches = s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "kyc_document.attach"))
    assert attaches == 1


def test_too_large_missing_and_folder_paths_are_refused_before_reading(
        desk: Desk, tmp_path: Path) -> None:
    case_id = cases.open_case(desk, person(desk))
    huge = tmp_path / "huge.png"
    with huge.open("wb") as f:  # sparse: 21 MB on paper, nothing on disk
        f.write(png())
        f.truncate(21 * 1024 * 1024)
    with pytest.raises(ValidationFailed, match=r"21\.0 MB; documents can be at most 20 MB"):
        passport(desk, case_id, huge)
    with pytest.raises(ValidationFailed, match="There is no file at"):
        passport(desk, case_id, tmp_path / "nothing.png")
    with pytest.raises(ValidationFailed, match="is a folder, not a file"):
        passport(desk, case_id, tmp_path)
    assert count_documents(desk) == 0


def test_dates_numbers_and_countries_are_checked(desk: Desk, tmp_path: Path) -> None:
    case_id = cases.open_case(desk, person(desk))
    scan = write(tmp_path, "p.png", png())
    cases_ = [
        ({"expiry_date": TODAY - timedelta(days=1)}, "expired on", "expiry_date"),
        ({"issue_date": TODAY, "expiry_date": TODAY - timedelta(days=3)},
         "expiry date must be after the issue date", "expiry_date"),
        ({"issue_date": TODAY + timedelta(days=2)}, "issue date is in the future",
         "issue_date"),
        ({"expiry_date": None}, "Enter the expiry date of the passport", "expiry_date"),
        ({"number": "  "}, "Enter the number of the passport", "number"),
        ({"issuing_country": "XX"}, "XX is not a country code", "issuing_country"),
        ({"doc_type": "utility_bill"}, "A utility bill is not accepted as proof of identity",
         "doc_type"),
        ({"doc_type": "boarding_pass"}, "not a document type", "doc_type"),
        ({"requirement": "horoscope"}, "not something a KYC case asks for", "requirement"),
    ]
    for changes, words, field in cases_:
        with pytest.raises(ValidationFailed, match=words) as caught:
            passport(desk, case_id, scan, **changes)
        assert caught.value.field == field
    with pytest.raises(ValidationFailed, match="proof of address must be recent"):
        documents.attach_document(desk, case_id, scan, requirement="proof_of_address",
                                  doc_type="utility_bill")
    assert count_documents(desk) == 0
    expiring_today = passport(desk, case_id, scan, expiry_date=TODAY)
    assert expiring_today > 0  # still valid on its last day


def test_company_cases_take_company_documents(desk: Desk, tmp_path: Path) -> None:
    case_id = cases.open_case(desk, company(desk))
    with pytest.raises(ValidationFailed, match="company client's case does not ask for selfie"):
        attach(desk, case_id, tmp_path, "selfie", "selfie")
    attach(desk, case_id, tmp_path, "incorporation", "certificate_of_incorporation",
           issuing_country="CY", number="HE123456")
    attach(desk, case_id, tmp_path, "directors", "register_of_directors")
    attach(desk, case_id, tmp_path, "ubo", "ubo_declaration")
    assert cases.get_case(desk, case_id).status is KycStatus.IN_REVIEW


def test_the_same_file_twice_is_refused(desk: Desk, tmp_path: Path) -> None:
    case_id = cases.open_case(desk, person(desk))
    scan = write(tmp_path, "p.png", png())
    first = passport(desk, case_id, scan)
    with pytest.raises(ValidationFailed, match=f"already attached to the case .document #{first}"):
        passport(desk, case_id, scan, number="OTHER1")


def test_case_goes_to_review_once_every_requirement_has_a_document(
        desk: Desk, tmp_path: Path) -> None:
    case_id = cases.open_case(desk, person(desk))
    attach(desk, case_id, tmp_path, "identity", "passport")
    attach(desk, case_id, tmp_path, "proof_of_address", "utility_bill")
    view = cases.get_case(desk, case_id)
    assert view.status is KycStatus.OPEN
    assert [r.value for r in view.summary.missing] == ["selfie"]
    attach(desk, case_id, tmp_path, "selfie", "selfie")
    view = cases.get_case(desk, case_id)
    assert view.status is KycStatus.IN_REVIEW and not view.summary.missing
    assert [d.doc_label for d in view.documents] == ["passport", "utility bill",
                                                     "selfie holding the identity document"]


def test_platform_clients_send_their_documents_in_the_gateway_shape(
        desk: Desk, tmp_path: Path) -> None:
    cid = person(desk)
    on_platform(desk, cid)
    case_id = cases.open_case(desk, cid)
    doc_id = attach(desk, case_id, tmp_path, "identity", "passport")
    with desk.store.read() as s:
        case = s.get(KycCase, case_id)
        doc = s.get(KycDocument, doc_id)
        rows = s.scalars(select(OutboxCommand).order_by(OutboxCommand.device_seq)).all()
    assert case is not None and doc is not None
    sent = [r.payload for r in rows if r.payload.get("kind") == "kyc_document"]
    assert len(sent) == 1 and sent[0]["id"] == doc.uid and sent[0]["base_version"] == 0
    wire = WireDocument.model_validate(sent[0]["data"])
    assert (wire.status, wire.case_id, wire.sha256) == ("received", case.uid, doc.sha256)
    assert next(r.payload["kind"] for r in rows if r.kind == "put-record") == "kyc_case"


def test_tampered_content_is_reported_not_shown(desk: Desk, tmp_path: Path) -> None:
    case_id = cases.open_case(desk, person(desk))
    doc_id = attach(desk, case_id, tmp_path, "selfie", "selfie")
    with desk.store.write() as s:
        s.execute(text("UPDATE document_contents SET data = :d WHERE document_id = :id"),
                  {"d": png(3, 3), "id": doc_id})
    with pytest.raises(WorkspaceDamaged, match="does not match the file that was attached"):
        documents.document_bytes(desk, doc_id)


def test_who_may_handle_scans(desk: Desk, tmp_path: Path) -> None:
    clerk = as_user(desk, Role.CLERK, "chris")
    finance = as_user(desk, Role.FINANCE, "fred")
    case_id = cases.open_case(clerk, person(desk))
    doc_id = attach(clerk, case_id, tmp_path, "selfie", "selfie")  # clerks collect documents
    assert documents.document_bytes(clerk, doc_id).mime_type == "image/png"
    with pytest.raises(PermissionDenied, match=r"Fred \(Finance officer\)"):
        documents.document_bytes(finance, doc_id)
    with pytest.raises(PermissionDenied):
        attach(finance, case_id, tmp_path, "identity", "passport")
    with desk.store.read() as s:
        assert s.scalar(select(func.count()).select_from(DocumentContent)) == 1


def test_an_attached_identity_number_finds_the_client(desk: Desk, tmp_path: Path) -> None:
    from app.crm.filters import ClientFilter, client_listing

    cid = person(desk, "Numbered")
    case_id = cases.open_case(desk, cid)
    attach(desk, case_id, tmp_path, "identity", "passport", number="XK 778-120")
    listing = client_listing(desk, ClientFilter())
    with desk.store.read() as s:
        assert [listing.row_key(r) for r in listing.page(s, "xk778120", None, False, 0, 10)] \
            == [cid]
