"""What every rule declares, and the settings a run uses for it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from app.errors import ValidationFailed
from app.models.compliance import Severity
from app.monitoring.thresholds import Threshold, Value

if TYPE_CHECKING:
    from app.monitoring.context import Context, Hit

DAYS_TO_REVIEW = "days_to_review"  # kept with the thresholds in monitoring_rules


@dataclass(frozen=True)
class RuleSpec:
    rule: str                      # the id alerts carry, e.g. "little_trading"
    title: str
    severity: Severity             # the default
    days_to_review: int            # the default
    thresholds: tuple[Threshold, ...]
    # The rule in words with the thresholds filled in (see `describe`).
    sentence: Callable[[Mapping[str, str]], str]
    find: Callable[[Context, Settings], list[Hit]]

    def threshold(self, name: str) -> Threshold:
        for t in self.thresholds:
            if t.name == name:
                return t
        known = ", ".join(t.name for t in self.thresholds)
        raise ValidationFailed(f"The rule {self.title!r} has no threshold {name!r}; its "
                               f"thresholds are {known}.", "thresholds")

    def defaults(self) -> dict[str, Value]:
        return {t.name: t.default for t in self.thresholds}

    def describe(self, values: Mapping[str, Value]) -> str:
        shown = {t.name: t.show(values.get(t.name, t.default)) for t in self.thresholds}
        return self.sentence(shown)


@dataclass(frozen=True)
class Settings:
    """A rule as a run applies it: its spec and the values in force."""

    spec: RuleSpec
    enabled: bool
    severity: Severity
    days_to_review: int
    values: dict[str, Value] = field(default_factory=dict)

    def usd_cents(self, name: str) -> int:
        return int(Decimal(self.values[name]).scaleb(2))

    def hundredths(self, name: str) -> int:
        """A lots threshold as the store keeps volumes (hundredths of a lot)."""
        return int(Decimal(self.values[name]).scaleb(2))

    def whole(self, name: str) -> int:
        return int(self.values[name])

    def flag(self, name: str) -> bool:
        return bool(self.values[name])

    def shown(self, name: str) -> str:
        return self.spec.threshold(name).show(self.values[name])


def read_values(spec: RuleSpec, stored: Mapping[str, Any]) -> dict[str, Value]:
    """Stored JSON to values; anything missing or no longer valid takes the default
    (a rule that gained a threshold in a newer version still runs)."""
    values: dict[str, Value] = {}
    for t in spec.thresholds:
        raw = stored.get(t.name)
        try:
            values[t.name] = t.default if raw is None else t.parse(raw)
        except ValidationFailed:
            values[t.name] = t.default
    return values
