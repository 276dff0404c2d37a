"""Instruments and the sums the simulated platform does with them.

Prices are integers scaled by 10^8; money is integer cents of the account currency;
volumes are integer hundredths of a lot. Pip values are fixed per symbol: this is a
simulator that must add up, not a pricing model.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from app.demo.market import SYMBOLS as DEMO_SYMBOLS

MARGIN_PER_HUNDREDTH = 1_000  # cents of margin per 0.01 lot (1:100 on a 100k lot)
COMMISSION_PER_LOT = 350      # cents per lot per side


@dataclass(frozen=True)
class Symbol:
    name: str
    mid_e8: int
    pip_e8: int
    pip_value: int  # account-currency units per pip per lot

    @property
    def tick_e8(self) -> int:
        return max(self.pip_e8 // 10, 1)

    @property
    def digits(self) -> int:
        return 8 - len(str(self.tick_e8)) + 1

    def snap(self, e8: int) -> int:
        return e8 - e8 % self.tick_e8


SYMBOLS: dict[str, Symbol] = {s[0]: Symbol(*s) for s in DEMO_SYMBOLS}
NAMES = tuple(SYMBOLS)


def profit(symbol: Symbol, side: str, open_e8: int, close_e8: int, volume: int) -> int:
    """Cents won or lost closing `volume` hundredths of a lot."""
    move = (close_e8 - open_e8) if side == "BUY" else (open_e8 - close_e8)
    # pips x pip value per lot x lots x 100 cents, kept in integers throughout
    return move * symbol.pip_value * volume // symbol.pip_e8


def commission(volume: int) -> int:
    return -(COMMISSION_PER_LOT * volume) // 100


def margin(volume: int) -> int:
    return MARGIN_PER_HUNDREDTH * volume


def walk(rng: random.Random, symbol: Symbol, e8: int) -> int:
    """One price step: a few ticks either way, pulled gently back towards the mid."""
    drift = (symbol.mid_e8 - e8) // 500
    return symbol.snap(max(e8 + rng.randint(-8, 8) * symbol.tick_e8 + drift, symbol.tick_e8))
