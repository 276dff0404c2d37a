"""Shared helpers for the KYC tests (this module holds no tests): real files made here
(PNG by hand, JPEG/TIFF/WebP by Qt's encoders, PDF by reportlab), clients, users and
the mirrors (payments, quotes, screening hits) the risk rules read."""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text, update

from app.kyc import cases, documents, review
from app.models.crm import Client, ClientKind
from app.models.kyc import HitStatus, ScreeningHit
from app.models.payments import PaymentRequest
from app.models.trading import Quote
from app.models.users import Role
from app.services import users
from app.services.clients import ClientData, create_client
from app.services.workspace import Desk

TODAY = date.today()
IN_5_YEARS = TODAY + timedelta(days=5 * 365)


def as_user(desk: Desk, role: Role, name: str) -> Desk:
    return Desk(desk.store, users.add_user(desk, name, name.title(), role))


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width: int = 8, height: int = 6, marker: bytes = b"") -> bytes:
    """A real RGB PNG; `marker` goes into a tEXt chunk so tests can look for it."""
    rows = b"".join(b"\x00" + bytes([200, 40, 40]) * width for _ in range(height))
    extra = chunk(b"tEXt", b"Comment\x00" + marker) if marker else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + extra + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def qt_image(fmt: str, width: int = 40, height: int = 30, quality: int = -1) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage

    image = QImage(width, height, QImage.Format.Format_RGB32)
    for x in range(width):  # a gradient: Qt cannot read back its own 1-colour lossless WebP
        for y in range(height):
            image.setPixelColor(x, y, QColor(x * 5 % 256, y * 7 % 256, 120))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, fmt, quality)
    buffer.close()
    return bytes(data.data())


def pdf(pages: int = 1) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    for i in range(pages):
        c.drawString(72, 720, f"Scan page {i + 1}")
        c.showPage()
    c.save()
    return out.getvalue()


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def person(desk: Desk, last: str = "Lima", country: str = "PT", **extra: Any) -> int:
    """A client with the risk questionnaire answered low-risk unless told otherwise."""
    cid = create_client(desk, ClientData(first_name="Ana", last_name=last, country=country))
    values = {"occupation": "teacher", "source_of_funds": "salary",
              "declared_income": 6_000_000, **extra}
    with desk.store.write() as s:
        s.execute(update(Client).where(Client.id == cid).values(**values))
    return cid


def company(desk: Desk, name: str = "Acme Trading Ltd", country: str = "CY") -> int:
    cid = create_client(desk, ClientData(kind=ClientKind.COMPANY, company_name=name,
                                         country=country))
    with desk.store.write() as s:
        s.execute(update(Client).where(Client.id == cid).values(
            occupation="trading company", source_of_funds="company revenue",
            declared_income=100_000_000))
    return cid


def on_platform(desk: Desk, cid: int, external_id: str = "C77") -> None:
    with desk.store.write() as s:
        s.execute(text("UPDATE clients SET external_id = :e, server_version = 3 "
                       "WHERE id = :id"), {"e": external_id, "id": cid})


def attach(desk: Desk, case_id: int, folder: Path, requirement: str, doc_type: str,
           data: bytes | None = None, **details: Any) -> int:
    """Attach a real file; identity documents get a number, country and dates."""
    if doc_type in ("passport", "driving_licence", "residence_permit", "national_id"):
        details = {"issuing_country": "PT", "number": f"P{uuid.uuid4().hex[:8]}",
                   "issue_date": TODAY - timedelta(days=400), "expiry_date": IN_5_YEARS,
                   **details}
    if doc_type in ("utility_bill", "bank_statement", "tax_letter"):
        details = {"issue_date": TODAY - timedelta(days=10), **details}
    name = f"{doc_type}-{uuid.uuid4().hex[:6]}.png"
    path = write(folder, name, data if data is not None else png(marker=uuid.uuid4().bytes))
    return documents.attach_document(desk, case_id, path, requirement=requirement,
                                     doc_type=doc_type, **details).id


def complete_person_case(desk: Desk, officer: Desk, cid: int, folder: Path,
                         **identity: Any) -> int:
    """Open a case, attach the three documents and approve each (not the case)."""
    case_id = cases.open_case(desk, cid)
    ids = [attach(desk, case_id, folder, "identity", "passport", **identity),
           attach(desk, case_id, folder, "proof_of_address", "utility_bill"),
           attach(desk, case_id, folder, "selfie", "selfie")]
    for doc_id in ids:
        review.approve_document(officer, doc_id)
    return case_id


def deposit(desk: Desk, cid: int, amount_minor: int, currency: str = "USD", *,
            method: str = "bank_wire", status: str = "completed", payer_name: str = "",
            payer_account: str = "", days_ago: int = 10) -> None:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    with desk.store.write() as s:
        s.add(PaymentRequest(uid=str(uuid.uuid4()), client_id=cid, direction="deposit",
                             method=method, provider="test", amount_minor=amount_minor,
                             currency=currency, status=status, payer_name=payer_name,
                             payer_account=payer_account, created_at=at, updated_at=at))


def quote(desk: Desk, symbol: str, bid: str, ask: str) -> None:
    with desk.store.write() as s:
        s.merge(Quote(symbol=symbol, bid=Decimal(bid), ask=Decimal(ask), time_ms=1))


def screening_hit(desk: Desk, cid: int, status: HitStatus) -> None:
    with desk.store.write() as s:
        s.add(ScreeningHit(uid=str(uuid.uuid4()), client_id=cid, list_name="ofac",
                           list_version="2025-01", entry_ref=uuid.uuid4().hex[:8],
                           matched_name="Someone", score=93, reasons={}, status=status))
