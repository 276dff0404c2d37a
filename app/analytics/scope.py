"""What a figure covers: a period of whole UTC days cut into Monday weeks, and which
clients (country, segment, manager)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.errors import ValidationFailed

DAY_MS = 86_400_000
# A period longer than this is more likely a typing slip than a question.
MAX_DAYS = 3_700
# SQLite's julianday() of 1970-01-01 00:00 UTC: week numbers are counted in whole days
# from a Monday's julian day, so a timestamp's text needs no parsing in Python.
_UNIX_JULIAN = 2_440_587.5


@dataclass(frozen=True)
class Span:
    """A period: `first` to `last`, both whole UTC days included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValidationFailed(f"The period starts ({self.first}) after it ends "
                                   f"({self.last}).", "period")
        if (self.last - self.first).days > MAX_DAYS:
            raise ValidationFailed("Choose a period of at most ten years.", "period")

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m-%d} to {self.last:%Y-%m-%d}"

    @property
    def start_ms(self) -> int:
        return _epoch_ms(self.first)

    @property
    def end_ms(self) -> int:
        """The first millisecond after the period."""
        return _epoch_ms(self.last + timedelta(days=1))

    @property
    def start_text(self) -> str:
        """The period's start as the stored timestamps compare (naive UTC text)."""
        return f"{self.first:%Y-%m-%d} 00:00:00"

    @property
    def end_text(self) -> str:
        return f"{self.last + timedelta(days=1):%Y-%m-%d} 00:00:00"

    @property
    def monday(self) -> date:
        """The Monday of the period's first week."""
        return self.first - timedelta(days=self.first.weekday())

    @property
    def weeks(self) -> tuple[date, ...]:
        """The Monday of every week the period touches; the first and last may be
        partial weeks, holding only the period's days."""
        count = (self.last - self.monday).days // 7 + 1
        return tuple(self.monday + timedelta(weeks=i) for i in range(count))

    def week_bounds_ms(self) -> list[tuple[int, int]]:
        """Each week's [start, end) in epoch milliseconds, cut to the period."""
        out = []
        for monday in self.weeks:
            start = max(_epoch_ms(monday), self.start_ms)
            out.append((start, min(_epoch_ms(monday + timedelta(days=7)), self.end_ms)))
        return out

    @property
    def monday_julian(self) -> float:
        """julianday() of the first Monday at midnight: `CAST(julianday(ts) - this AS
        INTEGER) / 7` is a stored timestamp's week number within the period. A float for
        SQL's date arithmetic only; it is an exact half-day value, never money."""
        return _UNIX_JULIAN + (self.monday - date(1970, 1, 1)).days


def _epoch_ms(day: date) -> int:
    return (day - date(1970, 1, 1)).days * DAY_MS


@dataclass(frozen=True)
class ClientFilter:
    """Which clients a figure counts; None means any."""

    country: str | None = None
    segment: str | None = None
    manager_id: int | None = None

    @property
    def active(self) -> bool:
        return not (self.country is None and self.segment is None and self.manager_id is None)

    def where(self, alias: str) -> tuple[str, list[object]]:
        """` AND …` conditions on the clients table under `alias`, and their parameters."""
        terms: list[str] = []
        params: list[object] = []
        for column, value in (("country", self.country), ("segment", self.segment),
                              ("manager_id", self.manager_id)):
            if value is not None:
                terms.append(f" AND {alias}.{column} = ?")
                params.append(value)
        return "".join(terms), params

    def client_ids(self, column: str) -> tuple[str, list[object]]:
        """` AND column IN (the chosen clients)`, or nothing when every client counts.
        SQLite builds the set once per statement and probes it per row."""
        if not self.active:
            return "", []
        where, params = self.where("fc")
        return f" AND {column} IN (SELECT fc.id FROM clients fc WHERE 1{where})", params


EVERYONE = ClientFilter()
