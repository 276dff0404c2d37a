"""Demo trading history: deposits, round-trip trades with profit, commission and swap,
open positions, and account states that add up to the deals."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.models import trading
from app.workspace.bulk import insert_rows

# symbol, mid price and pip size in 1e-8 units, pip value per lot in the account
# currency (approximate: demo data, not a pricing model)
SYMBOLS = [
    ("EURUSD", 108_500_000, 10_000, 10),
    ("GBPUSD", 127_000_000, 10_000, 10),
    ("USDJPY", 15_120_000_000, 1_000_000, 7),
    ("AUDUSD", 66_000_000, 10_000, 10),
    ("USDCAD", 136_000_000, 10_000, 7),
    ("USDCHF", 88_000_000, 10_000, 11),
    ("NZDUSD", 61_000_000, 10_000, 10),
    ("EURGBP", 85_500_000, 10_000, 12),
    ("EURJPY", 16_400_000_000, 1_000_000, 7),
    ("GBPJPY", 19_200_000_000, 1_000_000, 7),
    ("XAUUSD", 238_000_000_000, 10_000_000, 10),
    ("XAGUSD", 2_850_000_000, 1_000_000, 50),
    ("US30", 3_900_000_000_000, 100_000_000, 1),
    ("NAS100", 1_820_000_000_000, 100_000_000, 1),
    ("GER40", 1_840_000_000_000, 100_000_000, 1),
    ("UK100", 810_000_000_000, 100_000_000, 1),
    ("USOIL", 7_800_000_000, 1_000_000, 10),
    ("BTCUSD", 6_700_000_000_000, 100_000_000, 1),
    ("ETHUSD", 340_000_000_000, 10_000_000, 1),
    ("EURCHF", 95_500_000, 10_000, 11),
    ("AUDJPY", 9_980_000_000, 1_000_000, 7),
]
DEAL_COLUMNS = ["id", "platform", "ticket", "account_id", "symbol", "action", "entry", "volume",
                "price", "profit_minor", "commission_minor", "swap_minor", "fee_minor",
                "position_id", "time_ms", "reason", "comment", "server_version"]


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


class DealWriter:
    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng, self.now, self.next_id = rng, now, 1
        self.deals: list[tuple[object, ...]] = []
        self.positions: list[tuple[object, ...]] = []
        self.states: dict[int, tuple[int, int, int]] = {}  # account -> balance, floating, margin

    def _deal(self, aid: int, symbol: str, action: str, entry: str, volume: int, price_e8: int,
              profit: int, commission: int, swap: int, position: int | None, when: int,
              reason: str, comment: str = "") -> int:
        did = self.next_id
        self.next_id += 1
        self.deals.append((did, "demo", 10_000_000 + did, aid, symbol, action, entry, volume,
                           price_e8, profit, commission, swap, 0, position, when, reason,
                           comment, 1))
        return 10_000_000 + did

    def account(self, aid: int, currency: str, opened: datetime, n: int) -> None:
        rng = self.rng
        start, end = _ms(opened), _ms(self.now)
        span = max(end - start, 1)
        deposit = rng.choice([250, 500, 1000, 2000, 5000, 10000, 25000]) * 100
        balance = deposit
        when = start + rng.randint(0, 3600_000)
        self._deal(aid, "", "balance", "none", 0, 0, deposit, 0, 0, None, when, "client",
                   "Deposit")
        trades = max(0, (n - 1) // 2)
        step = span // (trades + 2) if trades else span
        for _ in range(trades):
            when += rng.randint(step // 2, step) if step > 1 else 1
            symbol, mid, pip, pip_value = rng.choice(SYMBOLS)
            volume = rng.choice([1, 2, 5, 10, 10, 20, 50, 100, 200])  # hundredths of a lot
            side = rng.choice(("buy", "sell"))
            close_side = "sell" if side == "buy" else "buy"
            open_e8 = mid + mid * rng.randint(-300, 300) // 10_000
            pips = int(rng.gauss(2, 35))
            move_e8 = pips * pip * (1 if side == "buy" else -1)
            profit = pips * pip_value * volume  # pip value per lot x hundredths = cents
            commission = -(350 * volume) // 100
            hold_ms = rng.randint(30_000, 3 * 86_400_000)
            swap = -(volume * hold_ms // 86_400_000) * 3 if hold_ms > 86_400_000 else 0
            if balance + profit + 2 * commission + swap < 0:
                top_up = rng.choice([500, 1000, 2000]) * 100
                balance += top_up
                self._deal(aid, "", "balance", "none", 0, 0, top_up, 0, 0, None, when - 1,
                           "client", "Deposit")
            position = self._deal(aid, symbol, side, "in", volume, open_e8, 0, commission, 0,
                                  None, when, "client")
            self._deal(aid, symbol, close_side, "out", volume, open_e8 + move_e8, profit,
                       commission, swap, position, min(when + hold_ms, end), "client")
            balance += profit + 2 * commission + swap
        floating = margin = 0
        if rng.random() < 0.2:
            for _ in range(rng.randint(1, 3)):
                symbol, mid, pip, pip_value = rng.choice(SYMBOLS)
                volume = rng.choice([1, 5, 10, 20, 50])
                side = rng.choice(("buy", "sell"))
                opened_ms = end - rng.randint(60_000, 5 * 86_400_000)
                open_e8 = mid + mid * rng.randint(-100, 100) // 10_000
                pips = int(rng.gauss(0, 20))
                current_e8 = open_e8 + pips * pip * (1 if side == "buy" else -1)
                commission = -(350 * volume) // 100
                position = self._deal(aid, symbol, side, "in", volume, open_e8, 0, commission,
                                      0, None, opened_ms, "client")
                balance += commission
                profit = pips * pip_value * volume
                floating += profit
                margin += 1_000 * volume  # 100k notional per lot at 1:100, in cents
                self.positions.append((len(self.positions) + 1, "demo", position, aid, symbol,
                                       side, volume, open_e8, current_e8, profit, 0, opened_ms, 1))
        self.states[aid] = (balance, floating, margin)

    def flush(self, session: Session) -> int:
        n = insert_rows(session, trading.Deal.__table__, DEAL_COLUMNS, self.deals)
        self.deals = []
        return n

    def write_positions_and_states(self, session: Session) -> int:
        insert_rows(session, trading.Position.__table__,
                    ["id", "platform", "position_id", "account_id", "symbol", "side", "volume",
                     "open_price", "current_price", "profit_minor", "swap_minor", "opened_ms",
                     "server_version"], self.positions)
        stamp = (self.now - timedelta(seconds=5)).replace(tzinfo=None).strftime(
            "%Y-%m-%d %H:%M:%S.%f")
        rows = []
        for aid, (balance, floating, margin) in self.states.items():
            equity = balance + floating
            level = equity * 10_000 // margin if margin else None
            rows.append((aid, balance, 0, equity, margin, equity - margin, level, stamp, 1))
        insert_rows(session, trading.AccountState.__table__,
                    ["account_id", "balance_minor", "credit_minor", "equity_minor",
                     "margin_minor", "free_margin_minor", "margin_level_bp", "updated_at",
                     "server_version"], rows)
        return len(self.positions)
