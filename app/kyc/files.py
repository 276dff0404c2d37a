"""What a file really is, read from its bytes (never its name): photos Qt can show
(JPEG, PNG, TIFF, WebP) and PDF documents. Anything else is refused in plain words."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from app.errors import ValidationFailed
from app.kyc import pdf

MAX_BYTES = 20 * 1024 * 1024  # the gateway's limit for a document
# The viewer decodes photos in memory; beyond this a "photo" is a decompression bomb.
MAX_PIXELS = 100_000_000

PHOTO = "image"
FIELD = "file"


@dataclass(frozen=True)
class FileInfo:
    mime_type: str
    pages: int  # 1 for a photo
    width: int | None = None  # pixels, photos only
    height: int | None = None


def inspect(data: bytes) -> FileInfo:
    """Check that `data` is a photo or a PDF a reviewer can open; refuse otherwise."""
    if not data:
        raise ValidationFailed("The file is empty.", FIELD)
    if len(data) > MAX_BYTES:
        raise ValidationFailed(f"The file is {_mb(len(data))}; documents can be at most "
                               f"{_mb(MAX_BYTES)}. Scan at a lower resolution or split it.",
                               FIELD)
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(data)
    if head.startswith(b"\xff\xd8\xff"):
        return _jpeg(data)
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return _tiff(data)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp(data)
    if b"%PDF-" in data[:1024]:
        return FileInfo("application/pdf", pdf.page_count(data))
    raise ValidationFailed(_unknown(data), FIELD)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _unknown(data: bytes) -> str:
    if data[:2] == b"MZ" or data[:4] in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        what = "This file is a program, not a document."
    elif data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypheif"):
        what = ("This is an HEIC photo (the iPhone format), which the viewer cannot show. "
                "Ask for it as JPEG, or export it as JPEG first.")
    elif data[:4] == b"PK\x03\x04":
        what = "This file is a ZIP archive or an Office document, not a photo or a PDF."
    else:
        what = "This file is not a photo or a PDF (whatever its name says)."
    return (f"{what} Only photos (JPEG, PNG, TIFF, WebP) and PDF documents can be "
            "attached.")


def _damaged(kind: str) -> ValidationFailed:
    return ValidationFailed(f"This {kind} file is damaged or incomplete and cannot be shown. "
                            "Ask the client for the file again.", FIELD)


def _photo(mime: str, width: int, height: int) -> FileInfo:
    if width <= 0 or height <= 0:
        raise _damaged(mime.removeprefix("image/").upper())
    if width * height > MAX_PIXELS:
        raise ValidationFailed(f"The photo is {width} x {height} pixels, too large to view. "
                               "Scan or photograph it at a lower resolution.", FIELD)
    return FileInfo(mime, 1, width, height)


def _png(data: bytes) -> FileInfo:
    """Every chunk is walked and its checksum checked, up to the closing IEND."""
    pos, width, height, seen_data = 8, 0, 0, False
    while True:
        if pos + 12 > len(data):
            raise _damaged("PNG")
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc_at = pos + 8 + length
        if len(body) != length or crc_at + 4 > len(data):
            raise _damaged("PNG")
        (crc,) = struct.unpack(">I", data[crc_at:crc_at + 4])
        if zlib.crc32(kind + body) != crc:
            raise _damaged("PNG")
        if pos == 8:
            if kind != b"IHDR" or length != 13:
                raise _damaged("PNG")
            width, height = struct.unpack(">II", body[:8])
        seen_data = seen_data or kind == b"IDAT"
        if kind == b"IEND":
            break
        pos = crc_at + 4
    if not seen_data:
        raise _damaged("PNG")
    return _photo("image/png", width, height)


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(data: bytes) -> FileInfo:
    """Segments are walked from the start marker to the scan; the frame header gives
    the size. A file cut short before its image data is refused."""
    pos, size = 2, None
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise _damaged("JPEG")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if length < 2 or pos + 2 + length > len(data):
            raise _damaged("JPEG")
        if marker in _SOF and length >= 7:
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            size = (width, height)
        if marker == 0xDA:  # start of scan: the image data follows
            if size is None or pos + 2 + length >= len(data):
                raise _damaged("JPEG")
            return _photo("image/jpeg", *size)
        pos += 2 + length
    raise _damaged("JPEG")


def _tiff(data: bytes) -> FileInfo:
    order = "<" if data[:2] == b"II" else ">"
    if len(data) < 8:
        raise _damaged("TIFF")
    (ifd,) = struct.unpack(order + "I", data[4:8])
    if ifd < 8 or ifd + 2 > len(data):
        raise _damaged("TIFF")
    (count,) = struct.unpack(order + "H", data[ifd:ifd + 2])
    if count == 0 or ifd + 2 + 12 * count > len(data):
        raise _damaged("TIFF")
    dims: dict[int, int] = {}
    for i in range(count):
        at = ifd + 2 + 12 * i
        tag, kind, _n = struct.unpack(order + "HHI", data[at:at + 8])
        if tag in (256, 257):  # ImageWidth, ImageLength: SHORT or LONG
            fmt = "H" if kind == 3 else "I"
            (dims[tag],) = struct.unpack(order + fmt, data[at + 8:at + 8 + struct.calcsize(fmt)])
    if 256 not in dims or 257 not in dims:
        raise _damaged("TIFF")
    return _photo("image/tiff", dims[256], dims[257])


def _webp(data: bytes) -> FileInfo:
    (riff_size,) = struct.unpack("<I", data[4:8])
    if riff_size + 8 > len(data) or len(data) < 30:
        raise _damaged("WebP")
    chunk = data[12:16]
    body = data[20:]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(body[4:7], "little")
        height = 1 + int.from_bytes(body[7:10], "little")
    elif chunk == b"VP8L":
        if body[0] != 0x2F:
            raise _damaged("WebP")
        bits = int.from_bytes(body[1:5], "little")
        width, height = 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    elif chunk == b"VP8 ":
        if body[3:6] != b"\x9d\x01\x2a":
            raise _damaged("WebP")
        width, height = struct.unpack("<HH", body[6:10])
        width, height = width & 0x3FFF, height & 0x3FFF
    else:
        raise _damaged("WebP")
    return _photo("image/webp", width, height)
