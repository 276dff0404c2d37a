"""Which group a symbol belongs to, for per-lot and spread rates by symbol group.

The workspace setting `commissions.symbol_groups` (JSON, symbol -> group) names the
exceptions; otherwise a currency pair is FX, gold and silver are METALS, coins are
CRYPTO, and the rest (US30, NAS100, ...) INDICES.
"""

from __future__ import annotations

from functools import lru_cache

_METALS = ("XAU", "XAG", "XPT", "XPD")
_CRYPTO = ("BTC", "ETH", "LTC", "XRP", "SOL", "ADA", "DOGE", "BNB")
_CURRENCIES = frozenset((
    "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "HUF",
    "CZK", "TRY", "ZAR", "MXN", "SGD", "HKD", "CNH", "RUB", "ILS", "THB"))
GROUPS = ("FX", "METALS", "CRYPTO", "INDICES")


@lru_cache(maxsize=4096)
def default_group(symbol: str) -> str:
    s = symbol.upper().split(".")[0]
    if s.startswith(_METALS):
        return "METALS"
    if s.startswith(_CRYPTO):
        return "CRYPTO"
    if len(s) == 6 and s[:3] in _CURRENCIES and s[3:] in _CURRENCIES:
        return "FX"
    return "INDICES"


class SymbolGroups:
    def __init__(self, overrides: dict[str, str] | None = None) -> None:
        self.overrides = {k.upper(): v.upper() for k, v in (overrides or {}).items()}
        self.cache: dict[str, str] = {}

    def of(self, symbol: str) -> str:
        found = self.cache.get(symbol)
        if found is None:
            found = self.cache[symbol] = self.overrides.get(symbol.upper()) or default_group(
                symbol)
        return found
