"""Validate submitted objective/KR modal values into clean data, collecting every field error at once."""

from datetime import date
from typing import Any

from bot.okr.messages.forms import KIND_FROM_NUMBERS, TITLE_MAX
from bot.okr.messages.forms import FormField as F
from bot.okr.numbers import ParseError, parse_number
from bot.okr.types import KRKind
from bot.services.kernel.errors import FormErrors


class Checker:
    """Collects field errors while reading values; `done()` raises them all together."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.errors: dict[str, str] = {}

    def has(self, name: str) -> bool:
        return name in self.values

    def text(self, name: str, *, required: bool = False, limit: int = TITLE_MAX) -> str:
        value = (self.values.get(name) or "").strip()
        if required and not value:
            self.errors[name] = "Please fill this in."
        elif len(value) > limit:
            self.errors[name] = f"Keep it under {limit} characters (this is {len(value)})."
        return value

    def number(self, name: str, *, default: float | None = None) -> float | None:
        raw = (self.values.get(name) or "").strip()
        if not raw:
            return default
        try:
            return parse_number(raw)
        except ParseError as exc:  # the parser says why: not a number, too large, not finite
            self.errors[name] = exc.problems[0][:150]
            return default

    def choice(self, name: str, allowed: set[str], *, required: bool = True, refusal: str = "") -> str | None:
        """The chosen value if allowed; `refusal` explains a choice that exists but isn't the person's to make."""
        value = self.values.get(name)
        if value in allowed:
            return value
        if value or required:
            self.errors[name] = (refusal if value else "") or "Pick one of the options."
        return None

    def day(self, name: str) -> date | None:
        raw = self.values.get(name)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.errors[name] = "Pick a date."
            return None

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def done(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)


def infer_kind(kind: str | None, start: float | None, target: float | None) -> str | None:
    """`KIND_FROM_NUMBERS` becomes decrease when the target is below the start, else increase; other kinds stay."""
    if kind != KIND_FROM_NUMBERS:
        return kind
    return KRKind.DECREASE if start is not None and target is not None and target < start else KRKind.INCREASE


def kr_numbers(c: Checker, *, kind: str | None, start: float | None, target: float | None, weight: float | None):
    """Cross-field rules: a moving KR needs target != start; weights are positive."""
    if kind in (KRKind.INCREASE, KRKind.DECREASE) and start is not None and target is not None and start == target:
        c.fail(F.TARGET, "The target must differ from the start value.")
    if kind == KRKind.INCREASE and start is not None and target is not None and target < start:
        c.fail(F.TARGET, "For an increasing KR the target must be above the start (or choose “decrease”).")
    if kind == KRKind.DECREASE and start is not None and target is not None and target > start:
        c.fail(F.TARGET, "For a decreasing KR the target must be below the start (or choose “increase”).")
    if weight is not None and weight <= 0:
        c.fail(F.WEIGHT, "The weight must be above 0.")
