"""Enough PDF reading to trust a file before storing it: the page count, and refusal
of password-protected or damaged files. No dependency: the page tree is followed from
the document catalogue, through compressed object streams when the file has them."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator

from app.errors import ValidationFailed

# Found by looking back from each "obj": a regex scanning forward for the number would
# retry at every digit of the encoded image data (2 s for a 20 MB scan, measured).
_OBJ_HEAD = re.compile(rb"(\d+)\s+\d+\s+$")
_ROOT = re.compile(rb"/Root\s+(\d+)\s+\d+\s+R")
_PAGES_REF = re.compile(rb"/Pages\s+(\d+)\s+\d+\s+R")
_COUNT = re.compile(rb"/Count\s+(\d+)")
_TYPE_PAGES = re.compile(rb"/Type\s*/Pages\b")
_TYPE_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_ENCRYPT = re.compile(rb"/Encrypt\s*(?:\d+\s+\d+\s+R|<<)")
_STREAM = re.compile(rb"stream\r?\n")
_INT = re.compile(rb"/(N|First)\s+(\d+)")

# Only the dictionaries are read; bodies beyond this are page content, not structure.
_DICT_BYTES = 256 * 1024
# Object streams are inflated with a cap: a small file must not expand without end.
_INFLATE_LIMIT = 64 * 1024 * 1024


def damaged() -> ValidationFailed:
    return ValidationFailed("This PDF is damaged or incomplete: no pages could be read from "
                            "it. Ask the client for the file again.", "file")


def page_count(data: bytes) -> int:
    if b"%%EOF" not in data[-2048:]:
        raise damaged()
    if _ENCRYPT.search(data):
        raise ValidationFailed("This PDF is password-protected, so it cannot be reviewed "
                               "offline. Ask the client for an unprotected copy.", "file")
    objects = _objects(data)
    roots = _ROOT.findall(data)
    pages = _from_catalogue(objects, int(roots[-1])) if roots else None
    if pages is None:
        pages = _by_scanning(objects)
    if not pages:
        raise damaged()
    return pages


def _objects(data: bytes) -> dict[int, bytes]:
    """Object number -> its text up to `stream`/`endobj`; later definitions (incremental
    updates) replace earlier ones."""
    found: dict[int, bytes] = {}
    budget = [_INFLATE_LIMIT]
    for number, start in _object_starts(data):
        end = data.find(b"endobj", start, start + _DICT_BYTES)
        body = data[start:end if end != -1 else start + _DICT_BYTES]
        head = body.split(b"stream", 1)[0]
        found[number] = head
        if b"/ObjStm" in head:
            found.update(_object_stream(head, body, budget))
    return found


def _object_starts(data: bytes) -> Iterator[tuple[int, int]]:
    """(object number, offset after its `obj` keyword) for each `N G obj`."""
    at = data.find(b"obj")
    while at != -1:
        after = data[at + 3:at + 4]
        if not (after.isalnum() or data[at - 1:at].isalnum()):
            head = _OBJ_HEAD.search(data, max(0, at - 40), at)
            if head is not None:
                yield int(head.group(1)), at + 3
        at = data.find(b"obj", at + 3)


def _object_stream(head: bytes, body: bytes, budget: list[int]) -> dict[int, bytes]:
    start = _STREAM.search(body)
    if start is None or (b"/Filter" in head and b"/FlateDecode" not in head):
        return {}
    raw = body[start.end():].split(b"endstream", 1)[0]
    try:
        inflater = zlib.decompressobj()
        text = inflater.decompress(raw, budget[0]) if b"/FlateDecode" in head else raw
    except zlib.error:
        return {}
    budget[0] -= len(text)
    ints = {k: int(v) for k, v in _INT.findall(head)}
    first, count = ints.get(b"First"), ints.get(b"N")
    if first is None or count is None or budget[0] <= 0:
        return {}
    numbers = text[:first].split()
    pairs = [(int(numbers[i]), int(numbers[i + 1]))
             for i in range(0, min(len(numbers) - 1, 2 * count), 2)]
    out: dict[int, bytes] = {}
    for i, (num, offset) in enumerate(pairs):
        stop = pairs[i + 1][1] if i + 1 < len(pairs) else len(text) - first
        out[num] = text[first + offset:first + stop]
    return out


def _from_catalogue(objects: dict[int, bytes], root: int) -> int | None:
    catalogue = objects.get(root)
    ref = _PAGES_REF.search(catalogue) if catalogue else None
    tree = objects.get(int(ref.group(1))) if ref else None
    count = _COUNT.search(tree) if tree else None
    return int(count.group(1)) if count else None


def _by_scanning(objects: dict[int, bytes]) -> int:
    counts = [int(c.group(1)) for body in objects.values()
              if _TYPE_PAGES.search(body) and (c := _COUNT.search(body))]
    if counts:
        return max(counts)
    return sum(1 for body in objects.values() if _TYPE_PAGE.search(body))
