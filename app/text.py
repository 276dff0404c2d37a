"""Text forms for search: case- and accent-insensitive in every script."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """'Zoë Ångström' → 'zoe angstrom'; 'Σωκράτης' → 'σωκρατης'."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
