"""Files attached to a case (a bank statement, a screenshot, a letter as PDF): read
from disk straight into the encrypted store, and read back into memory to view.

What a file is comes from its bytes, as for KYC scans (app.kyc.files): photos and
PDFs the viewer can show, up to the same size. The bytes never touch the disk again
outside the store. They stay on this desk: the gateway's case record has no files.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app import audit
from app.compliance.cases import load_case
from app.errors import NotFound, ValidationFailed, WorkspaceDamaged
from app.kyc import files
from app.kyc.documents import read_file
from app.models.compliance import CaseAttachment, CaseAttachmentContent
from app.roles import Permission, require
from app.services.workspace import Desk

MAX_BYTES = files.MAX_BYTES


@dataclass(frozen=True)
class AttachmentFile:
    id: int
    file_name: str
    mime_type: str
    data: bytes
    sha256: str


def add_attachment(desk: Desk, case_id: int, path: Path | str) -> int:
    """Attach the file at `path` to the case; refused if too large or not a photo or
    PDF (whatever its name says), or already attached. Returns the attachment's id."""
    require(desk.actor, Permission.WORK_ALERTS)
    path = Path(path)
    data = read_file(path)  # refuses an oversized file before reading it
    info = files.inspect(data)
    digest = hashlib.sha256(data).hexdigest()
    with desk.store.write() as s:
        case = load_case(s, case_id)
        same = s.scalar(select(CaseAttachment.file_name).where(
            CaseAttachment.case_id == case.id, CaseAttachment.sha256 == digest))
        if same is not None:
            raise ValidationFailed(f"This file is already attached to the case (as {same}).",
                                   "file")
        row = CaseAttachment(uid=str(uuid.uuid4()), case_id=case.id,
                             file_name=path.name[:255], mime_type=info.mime_type,
                             sha256=digest, size=len(data), added_by=desk.actor.id)
        s.add(row)
        s.flush()
        s.add(CaseAttachmentContent(attachment_id=row.id, data=data))
        audit.record(s, desk.actor, "compliance_case.attach", "compliance_case", case.id,
                     after={"attachment": row.uid, "file_name": row.file_name,
                            "mime_type": row.mime_type, "size": row.size, "sha256": digest})
        return row.id


def attachment_file(desk: Desk, attachment_id: int) -> AttachmentFile:
    """The stored file, checked against its fingerprint. Every look is audited."""
    require(desk.actor, Permission.WORK_ALERTS)
    with desk.store.write() as s:
        row = s.get(CaseAttachment, attachment_id)
        if row is None:
            raise NotFound("This attachment no longer exists.")
        content = s.get(CaseAttachmentContent, attachment_id)
        if content is None:
            raise NotFound(f"{row.file_name} is listed but its file is not on this desk.")
        data = bytes(content.data)
        if hashlib.sha256(data).hexdigest() != row.sha256:
            raise WorkspaceDamaged(f"The stored copy of {row.file_name} does not match the "
                                   "file that was attached. Do not rely on it; attach the "
                                   "original again.")
        audit.record(s, desk.actor, "compliance_case.view_attachment", "compliance_case",
                     row.case_id, after={"attachment": row.uid, "file_name": row.file_name})
        return AttachmentFile(row.id, row.file_name, row.mime_type, data, row.sha256)
