"""Text as a report prints it: right-to-left scripts shaped, amounts exact."""

from __future__ import annotations

import re
from decimal import Decimal
from xml.sax.saxutils import escape

import arabic_reshaper  # type: ignore[import-untyped]
from bidi.algorithm import get_display  # type: ignore[import-untyped]

from app.money import exponent, from_minor

# Hebrew, Arabic, Syriac, Thaana, N'Ko and the Arabic presentation forms.
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def visual(text: str) -> str:
    """The string in the order and letter forms it must be drawn in.

    reportlab draws characters left to right, one glyph each, as stored. Arabic
    letters change shape with their neighbours and run right to left, so they are
    joined into their presentation forms and reordered here; text without a
    right-to-left character is returned untouched (the common case, and cheap).
    Shape each field on its own: a name and the label around it are separate runs.
    The pure-Python bidi algorithm is used, not the Rust one at `bidi.get_display`:
    that one stops before rule L4 and leaves brackets in right-to-left runs facing
    the wrong way."""
    if not _RTL.search(text):
        return text
    return str(get_display(arabic_reshaper.reshape(text)))


def markup(text: str) -> str:
    """Plain text made safe for a reportlab Paragraph (which parses XML-like tags)."""
    return escape(visual(text))


def amount(minor: int, currency: str) -> str:
    """Minor units as the currency's decimal amount with grouping, no currency code:
    `-123456` USD → `-1,234.56`. Exact: Decimal all the way, never float."""
    value: Decimal = from_minor(minor, currency)
    return f"{value:,.{exponent(currency)}f}"
