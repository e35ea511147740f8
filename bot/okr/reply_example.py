"""The example reply okrbot shows with a prompt and with a reply it could not read, built from the person's own KRs.

Kept beside the parser (bot.okr.replies), which uses it in its ParseErrors: every example must parse back to a
sure check-in (a property test in tests/unit/test_replies.py checks that over generated KRs).
"""

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.okr.types import Confidence, KRKind

if TYPE_CHECKING:  # the parser imports this module; at run time only the attributes are read
    from bot.okr.replies import KRRef


def build_example(krs: Sequence["KRRef"]) -> str:
    """A reply the person could send, built from their own KRs: numbers, kinds, units, titles."""
    lines = [_example_line(kr) for kr in krs]
    if len(lines) == 1:
        return lines[0]
    return "\n".join(f"{kr.index}: {line}" for kr, line in zip(krs, lines, strict=True))


def _example_line(kr: "KRRef") -> str:
    # Reads as something a person would write (their own number and unit, their last confidence, a comment),
    # not as a template to copy: the prompt introduces it with "For example".
    confidence = (kr.confidence or Confidence.ON_TRACK).label
    if kr.kind is KRKind.BINARY:
        state = "done" if _is_done(kr) else "not done"
        return f"{state}, {confidence}, waiting on legal"
    return f"{_example_value(kr)}, {confidence}, waiting on legal"


def _is_done(kr: "KRRef") -> bool:
    try:
        return float(kr.current) >= 1  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False


def _example_value(kr: "KRRef") -> str:
    try:
        value = float(kr.current)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        value = math.nan
    if not math.isfinite(value):
        value = 3.0 if kr.kind is KRKind.MILESTONE else 42.0
    text = f"{int(value):,}" if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}"
    unit = kr.unit.strip()
    if unit == "%":
        return text + "%"
    if unit in {"$", "€", "£"}:
        return f"-{unit}{text[1:]}" if text.startswith("-") else unit + text
    if re.fullmatch(r"[^\W\d_][\w ]{0,19}", unit):
        return f"{text} {unit}"
    return text
