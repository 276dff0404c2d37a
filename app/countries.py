"""ISO 3166-1 country codes as clients and documents carry them."""

from __future__ import annotations

from functools import cache

from app.errors import ValidationFailed


@cache
def countries() -> dict[str, str]:
    import pycountry  # loaded on first use, off the start-up path

    return {c.alpha_2: c.name for c in pycountry.countries}


def check_country(code: str, field: str = "country") -> str:
    code = (code or "").strip().upper()
    if code not in countries():
        raise ValidationFailed(f"{code or 'An empty value'} is not a country code "
                               "(use the two-letter ISO code, e.g. GB, CY, AE).", field)
    return code
