"""A document is what its bytes say: real photos and PDFs are accepted with their size
and page count; programs, text, HEIC, archives, damaged or oversized files are refused
with a reason a clerk can pass on."""

from __future__ import annotations

import io
import zlib

import pytest
from pypdf import PdfReader, PdfWriter

from app.errors import ValidationFailed
from app.kyc import files, pdf
from tests.app.test_kyc_support import chunk, png, qt_image
from tests.app.test_kyc_support import pdf as make_pdf


@pytest.mark.parametrize(("fmt", "quality", "mime"), [
    ("JPEG", -1, "image/jpeg"), ("PNG", -1, "image/png"), ("TIFF", -1, "image/tiff"),
    ("WEBP", 80, "image/webp"), ("WEBP", 100, "image/webp")])
def test_photos_qt_can_show_are_accepted_with_their_size(fmt: str, quality: int,
                                                          mime: str) -> None:
    from PySide6.QtGui import QImage

    data = qt_image(fmt, 41, 29, quality)
    info = files.inspect(data)
    assert (info.mime_type, info.width, info.height, info.pages) == (mime, 41, 29, 1)
    assert QImage.fromData(data).width() == 41  # and the viewer can decode it


def test_png_written_by_hand_is_checked_chunk_by_chunk() -> None:
    assert files.inspect(png(8, 6)).mime_type == "image/png"
    good = png(8, 6)
    broken = good[:40] + bytes([good[40] ^ 0xFF]) + good[41:]  # one bit flipped in IDAT
    with pytest.raises(ValidationFailed, match="damaged or incomplete"):
        files.inspect(broken)
    with pytest.raises(ValidationFailed, match="damaged or incomplete"):
        files.inspect(good[:-12])  # cut before IEND


def test_a_photo_too_large_to_decode_is_refused() -> None:
    header = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", (30000).to_bytes(4, "big") * 2
                                          + bytes([8, 2, 0, 0, 0]))
    bomb = header + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")
    with pytest.raises(ValidationFailed, match="30000 x 30000 pixels, too large to view"):
        files.inspect(bomb)


def test_jpeg_cut_before_its_image_data_is_refused() -> None:
    data = qt_image("JPEG")
    sos = data.index(b"\xff\xda")
    with pytest.raises(ValidationFailed, match="JPEG file is damaged"):
        files.inspect(data[:sos])


def test_pdf_page_counts_match_pypdf() -> None:
    three = make_pdf(3)
    assert files.inspect(three) == files.FileInfo("application/pdf", 3)
    assert len(PdfReader(io.BytesIO(three)).pages) == 3
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(three)).pages[0])
    out = io.BytesIO()
    writer.write(out)
    assert pdf.page_count(out.getvalue()) == 1
    # An incremental update appends a new page tree after the old one: the newest counts.
    grown = PdfWriter(io.BytesIO(three), incremental=True)
    grown.add_blank_page(200, 200)
    out = io.BytesIO()
    grown.write(out)
    assert len(PdfReader(io.BytesIO(out.getvalue())).pages) == 4
    assert pdf.page_count(out.getvalue()) == 4


def test_pdf_page_tree_inside_a_compressed_object_stream() -> None:
    objects = {2: b"<< /Type /Catalog /Pages 3 0 R >>",
               3: b"<< /Type /Pages /Kids [4 0 R 5 0 R] /Count 2 >>",
               4: b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 100 100] >>",
               5: b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 100 100] >>"}
    body, offsets = b"", []
    for num, obj in objects.items():
        offsets.append(f"{num} {len(body)}")
        body += obj + b"\n"
    header = " ".join(offsets).encode() + b"\n"
    stream = zlib.compress(header + body)
    data = (b"%PDF-1.5\n1 0 obj\n<< /Type /ObjStm /N 4 /First " + str(len(header)).encode()
            + b" /Filter /FlateDecode /Length " + str(len(stream)).encode() + b" >>\nstream\n"
            + stream + b"\nendstream\nendobj\n6 0 obj\n<< /Type /XRef /Root 2 0 R /Size 7 >>\n"
            b"stream\n\nendstream\nendobj\nstartxref\n0\n%%EOF\n")
    assert b"/Type /Page" not in data  # nothing to find without inflating the stream
    assert pdf.page_count(data) == 2


def test_password_protected_and_damaged_pdfs_are_refused() -> None:
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ValidationFailed, match="password-protected"):
        files.inspect(out.getvalue())
    whole = make_pdf(2)
    with pytest.raises(ValidationFailed, match="PDF is damaged or incomplete"):
        files.inspect(whole[: len(whole) // 2])
    with pytest.raises(ValidationFailed, match="no pages could be read"):
        files.inspect(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n")


@pytest.mark.parametrize(("data", "words"), [
    (b"MZ\x90\x00" + b"\x00" * 200, "This file is a program, not a document."),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "This file is a program"),
    (b"Dear compliance, here is my passport number 123", "not a photo or a PDF"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC photo"),
    (b"PK\x03\x04\x14\x00" + b"\x00" * 40, "ZIP archive or an Office document"),
])
def test_other_files_are_refused_by_content(data: bytes, words: str) -> None:
    with pytest.raises(ValidationFailed, match=words) as caught:
        files.inspect(data)
    assert "Only photos (JPEG, PNG, TIFF, WebP) and PDF documents" in caught.value.message
    assert caught.value.field == "file"


def test_empty_and_oversized_files_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="The file is empty"):
        files.inspect(b"")
    big = png() + b"\x00" * files.MAX_BYTES
    with pytest.raises(ValidationFailed, match=r"documents can be at most 20\.0 MB"):
        files.inspect(big)
