"""Read a number as people type it: "42", "42%", "$1.2k", "1,200.5", "1.200,5", "-5", "1.5m".

Separators are ambiguous ("1,200" vs "1,5"), so the rule is fixed and documented here:

* both "." and "," present: whichever comes last is the decimal mark and the other one groups thousands
  ("1,200.5" US, "1.200,5" EU); thousands groups must then be exactly three digits.
* only commas: a single comma followed by exactly three digits groups thousands ("1,200" = 1200); any other
  single comma is a decimal comma ("1,5" = 1.5, "12,50" = 12.5); several commas always group ("1,200,000").
* only dots: a single dot is a decimal point ("1.200" = 1.2, the US reading); several dots group ("1.200.000").

"%" is cosmetic ("42%" is 42) because KR values are stored in the KR's own unit. k/m/b/bn multiply by
a thousand/million/billion. "$", "€" and "£" are accepted and ignored. NaN, infinities and anything that
overflows a float (e.g. "1e309") are rejected, because a non-finite value would poison every score.
"""

import math
import re
from collections.abc import Sequence

__all__ = ["NUMBER", "ParseError", "number_from_match", "parse_number", "quote"]


class ParseError(ValueError):
    """A reply (or a single value) we could not understand.

    ``problems`` names each fragment we could not read and why; ``example`` is a reply the person could send
    instead (empty when there is no KR to build one from, e.g. for a modal's value field).
    """

    def __init__(self, problems: Sequence[str] | str, example: str = "") -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.example = example
        super().__init__(*self.problems)

    def __str__(self) -> str:
        lines = ["I couldn't understand part of your reply:", *(f"• {p}" for p in self.problems)]
        if self.example:
            lines += ["You can reply like this:", self.example]
        return "\n".join(lines)


# No whitespace inside a number (except before "%"): "42 - 5 people out" must not read as 42 and -5 glued,
# and "(?!\w)" at the end stops "5kg" or "2nd" from being half-read as a number.
NUMBER = re.compile(
    r"""
    (?P<prefix>[-+\u2212][$€£]?|[$€£][-+\u2212]?)?
    (?P<body>[0-9](?:[0-9.,]*[0-9])?|\.[0-9]+)
    (?:e(?P<exp>[-+]?[0-9]+))?
    (?P<suffix>bn|[kmb])?
    (?:\s?%)?
    (?!\w)
    """,
    re.VERBOSE | re.IGNORECASE,
)

_MULTIPLIERS = {"k": 1e3, "m": 1e6, "b": 1e9, "bn": 1e9}
_NON_FINITE = {"nan", "inf", "infinity", "∞"}


def quote(text: str, limit: int = 60) -> str:
    """Shorten a fragment for an error message; a 10,000-character line would drown the actual problem."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ungroup(digits: str, sep: str) -> str:
    head, *groups = digits.split(sep)
    if not 1 <= len(head) <= 3 or any(len(g) != 3 for g in groups):
        raise ValueError(f'"{sep}" as a thousands separator must split the digits into groups of three')
    return head + "".join(groups)


def _normalise(body: str) -> str:
    """Turn the digits-and-separators body into something float() reads, following the module rules."""
    if "." in body and "," in body:
        point = "." if body.rfind(".") > body.rfind(",") else ","
        whole, _, frac = body.rpartition(point)
        if point in whole:
            raise ValueError(f'"{point}" is used both as a decimal mark and to group thousands')
        return _ungroup(whole, "," if point == "." else ".") + "." + frac
    sep = "," if "," in body else "." if "." in body else ""
    if not sep:
        return body
    parts = body.split(sep)
    if len(parts) == 2 and not (sep == "," and len(parts[1]) == 3):
        return f"{parts[0] or '0'}.{parts[1]}"
    return _ungroup(body, sep)


def number_from_match(match: re.Match[str]) -> float:
    """The value of a ``NUMBER`` match; raises ParseError naming the fragment when it is not a usable number."""
    fragment = match.group()
    try:
        text = _normalise(match["body"])
    except ValueError as exc:
        raise ParseError(f'I couldn\'t read a number in "{quote(fragment)}": {exc}') from None
    if match["exp"]:
        text += "e" + match["exp"]
    value = float(text) * _MULTIPLIERS.get((match["suffix"] or "").lower(), 1.0)
    if not math.isfinite(value):
        raise ParseError(f'I couldn\'t read a number in "{quote(fragment)}": it is too large')
    negative = any(sign in (match["prefix"] or "") for sign in "-\u2212")
    # "+ 0.0" turns -0.0 into 0.0 so "-0" never shows up as a signed zero.
    return (-value if negative else value) + 0.0


def parse_number(text: str) -> float:
    """Read one number (the whole of ``text``), e.g. a modal's value field. Raises ParseError."""
    stripped = text.strip()
    match = NUMBER.fullmatch(stripped)
    if match is not None:
        return number_from_match(match)
    if not stripped:
        raise ParseError("the value is empty; type a number like 42")
    if stripped.lower().lstrip("+-\u2212") in _NON_FINITE:
        raise ParseError(f'"{quote(stripped)}" is not a finite number; type a number like 42')
    raise ParseError(f'I couldn\'t read a number in "{quote(stripped)}"; type it like 42, 1,200.5 or $1.2k')
