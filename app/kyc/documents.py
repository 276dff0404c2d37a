"""Attaching documents from disk and reading them back for the viewer. The bytes go
straight from the file into the encrypted store: no copy, no temporary file."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from app import audit
from app.countries import check_country
from app.crm.search_index import refresh_clients
from app.errors import NotFound, ValidationFailed, WorkspaceDamaged
from app.kyc import files, pdf, records
from app.kyc.cases import load, require_one_of, require_undecided, summary
from app.kyc.requirements import DOC_TYPES, Requirement, attachable, doc_types_for
from app.models.kyc import DocumentContent, DocumentStatus, KycDocument, KycStatus
from app.roles import Permission
from app.services.workspace import Desk

# Who may handle scans: the clerks who collect them and the reviewers who decide.
HANDLERS = (Permission.EDIT_CLIENTS, Permission.REVIEW_KYC)


@dataclass(frozen=True)
class DocumentDetails:
    """What the clerk types from the document itself."""

    requirement: str
    doc_type: str
    issuing_country: str = ""
    number: str = ""
    issue_date: date | None = None
    expiry_date: date | None = None


@dataclass(frozen=True)
class AttachedDocument:
    id: int
    mime_type: str
    size: int
    sha256: str
    pages: int
    width: int | None
    height: int | None


def check_details(d: DocumentDetails, today: date) -> DocumentDetails:
    try:
        req = Requirement(d.requirement)
    except ValueError:
        raise ValidationFailed(f"{d.requirement or 'An empty value'} is not something a KYC "
                               "case asks for.", "requirement") from None
    kind = DOC_TYPES.get(d.doc_type)
    if kind is None:
        raise ValidationFailed(f"{d.doc_type or 'An empty value'} is not a document type "
                               "Backdesk knows.", "doc_type")
    if req not in kind.proves:
        accepted = ", ".join(DOC_TYPES[t].label for t in doc_types_for(req))
        raise ValidationFailed(f"A {kind.label} is not accepted as {req.label}. Accepted: "
                               f"{accepted}.", "doc_type")
    number = d.number.strip()
    if kind.needs_number and not number:
        raise ValidationFailed(f"Enter the number of the {kind.label}.", "number")
    if len(number) > 64:
        raise ValidationFailed("A document number has at most 64 characters.", "number")
    country = d.issuing_country.strip()
    if kind.needs_country or country:
        country = check_country(country, "issuing_country")
    if kind.needs_expiry and d.expiry_date is None:
        raise ValidationFailed(f"Enter the expiry date of the {kind.label}.", "expiry_date")
    if kind.needs_issue_date and d.issue_date is None:
        raise ValidationFailed(f"Enter the date the {kind.label} was issued: a proof of "
                               "address must be recent.", "issue_date")
    if d.issue_date is not None and d.issue_date > today:
        raise ValidationFailed("The issue date is in the future.", "issue_date")
    if d.expiry_date is not None:
        if d.issue_date is not None and d.expiry_date <= d.issue_date:
            raise ValidationFailed("The expiry date must be after the issue date.",
                                   "expiry_date")
        if d.expiry_date < today:
            raise ValidationFailed(f"This {kind.label} expired on {d.expiry_date:%d %b %Y}. "
                                   "Ask the client for a current one.", "expiry_date")
    return DocumentDetails(req.value, d.doc_type, country, number, d.issue_date, d.expiry_date)


def read_file(path: Path | str) -> bytes:
    """The file's bytes, refused before reading when it is too large."""
    path = Path(path)
    try:
        size = os.stat(path).st_size
        if not path.is_file():
            raise ValidationFailed(f"{path} is a folder, not a file.", "file")
        if size > files.MAX_BYTES:
            raise ValidationFailed(
                f"{path.name} is {size / (1024 * 1024):.1f} MB; documents can be at most "
                f"{files.MAX_BYTES // (1024 * 1024)} MB. Scan at a lower resolution or split "
                "it.", "file")
        with path.open("rb") as f:
            return f.read(files.MAX_BYTES + 1)
    except FileNotFoundError:
        raise ValidationFailed(f"There is no file at {path}.", "file") from None
    except PermissionError:
        raise ValidationFailed(f"Backdesk may not read {path}: check the file's permissions.",
                               "file") from None


def attach_document(desk: Desk, case_id: int, path: Path | str, *, requirement: str,
                    doc_type: str, issuing_country: str = "", number: str = "",
                    issue_date: date | None = None, expiry_date: date | None = None,
                    today: date | None = None) -> AttachedDocument:
    """Read a scan or PDF from disk into the case. Only its content decides what it is."""
    require_one_of(desk.actor, *HANDLERS)
    today = today or date.today()
    details = check_details(DocumentDetails(requirement, doc_type, issuing_country, number,
                                            issue_date, expiry_date), today)
    data = read_file(path)
    info = files.inspect(data)
    digest = hashlib.sha256(data).hexdigest()
    with desk.store.write() as s:
        case, client = load(s, case_id)
        require_undecided(case)
        req = Requirement(details.requirement)
        if req not in attachable(client.kind):
            raise ValidationFailed(f"A {client.kind.value} client's case does not ask for "
                                   f"{req.label}.", "requirement")
        same = s.scalar(select(KycDocument.id).where(KycDocument.case_id == case.id,
                                                     KycDocument.sha256 == digest))
        if same is not None:
            raise ValidationFailed(f"This file is already attached to the case (document "
                                   f"#{same}).", "file")
        case_before = records.snapshot(case, records.CASE_FIELDS)
        doc = KycDocument(uid=str(uuid.uuid4()), case_id=case.id, doc_type=details.doc_type,
                          requirement=details.requirement,
                          issuing_country=details.issuing_country, number=details.number,
                          issue_date=details.issue_date, expiry_date=details.expiry_date,
                          status=DocumentStatus.NEW, reject_reason="",
                          file_name=Path(path).name[:255], mime_type=info.mime_type,
                          sha256=digest, size=len(data))
        s.add(doc)
        s.flush()
        s.add(DocumentContent(document_id=doc.id, data=data))
        if doc.number:  # the client is found by the number from now on
            refresh_clients(s, [client.id])
        if case.status is KycStatus.OPEN and not summary(s, case, client, today).missing:
            case.status = KycStatus.IN_REVIEW  # everything asked for is in: review it
        audit.record(s, desk.actor, "kyc_document.attach", "kyc_document", doc.id,
                     after={"case": case.id, "requirement": doc.requirement,
                            "doc_type": doc.doc_type, "issuing_country": doc.issuing_country,
                            "number": doc.number, "issue_date": doc.issue_date,
                            "expiry_date": doc.expiry_date, "file_name": doc.file_name,
                            "mime_type": doc.mime_type, "size": doc.size,
                            "sha256": digest, "pages": info.pages})
        records.send_document(s, desk.actor, doc, case, client, None)
        records.send_case(s, desk.actor, case, client, case_before)
        return AttachedDocument(doc.id, info.mime_type, len(data), digest, info.pages,
                                info.width, info.height)


@dataclass(frozen=True)
class DocumentFile:
    """A document as the viewer shows it."""

    id: int
    file_name: str
    mime_type: str
    data: bytes
    pages: int  # 0 when the PDF's page tree could not be read here
    sha256: str


def document_bytes(desk: Desk, document_id: int) -> DocumentFile:
    """The stored file, checked against its fingerprint. Every look is audited."""
    require_one_of(desk.actor, *HANDLERS)
    with desk.store.write() as s:
        doc = s.get(KycDocument, document_id)
        content = s.get(DocumentContent, document_id)
        if doc is None:
            raise NotFound("This document no longer exists.")
        if content is None:
            raise NotFound(f"{doc.file_name} is listed but its file is not on this desk.")
        data = bytes(content.data)
        if hashlib.sha256(data).hexdigest() != doc.sha256:
            raise WorkspaceDamaged(f"The stored copy of {doc.file_name} does not match the "
                                   "file that was attached. Do not rely on it; ask the client "
                                   "for the document again.")
        audit.record(s, desk.actor, "kyc_document.view", "kyc_document", doc.id,
                     after={"case": doc.case_id, "file_name": doc.file_name})
        pages = 1
        if doc.mime_type == "application/pdf":
            try:
                pages = pdf.page_count(data)
            except ValidationFailed:
                pages = 0  # not known here; the viewer's own PDF reader may still open it
        return DocumentFile(doc.id, doc.file_name, doc.mime_type, data, pages, doc.sha256)
