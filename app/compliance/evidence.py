"""An alert's evidence (what the rule saw, as JSON) in lines a person reads."""

from __future__ import annotations

from typing import Any

from app.compliance.sharing import REVIEW


def evidence_lines(evidence: dict[str, Any], *,
                   reasons: bool = True) -> list[tuple[str, str]]:
    """What a rule saw, as label and text lines a person reads; compliance's own words
    (why it was dismissed) only with `reasons`, so a client's manager is not tipped off."""
    lines = []
    for key, value in evidence.items():
        if key.startswith("_") and (key != REVIEW or not reasons):
            continue
        if key == REVIEW and isinstance(value, dict):
            lines.append(("Dismissed", f"as a false positive by {value.get('by', '?')} on "
                                       f"{str(value.get('at', ''))[:10]}: "
                                       f"{value.get('reason', '')}"))
            continue
        words = key.replace("_", " ")
        lines.append((words[:1].upper() + words[1:], _plain(value)))  # IBAN stays IBAN
    return lines


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_plain(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_plain(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)
