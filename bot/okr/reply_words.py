"""The vocabulary of a check-in reply: separators, status words, confidence words, KR numbers, blockers.

Kept apart from the grammar in ``replies`` so the word lists can grow without touching the parsing logic.
All patterns are case-insensitive and are matched against the original text, never a lower-cased copy:
``str.lower()`` can change a string's length (e.g. "İ"), which would shift every offset we slice with.
"""

import re

from bot.okr.types import Confidence

_I = re.IGNORECASE

# Where one clause of a line ends: , ; : ! • en/em dash, or a hyphen / full stop followed by a space.
# A hyphen glued to digits is a minus sign ("-5"), and a glued dot is a decimal point, so neither counts.
SEPARATOR = re.compile(r"\s*(?:[,;:!•–—]|-(?=\s|$)|\.(?=\s|$))\s*")
SPACE = re.compile(r"\s*")

# "1: 42", "2) done", "#2 done", "2. done", "KR 2: done", "- 1: 42" (a Slack bullet list).
# "2 - done" is deliberately NOT a KR number: it reads just as well as "value 2, comment done".
INDEX = re.compile(
    r"""\s*(?:[•*]\s*|-\s+)?
    (?:
        (?:kr\s*\#?|\#)\s*(?P<tagged>[0-9]{1,9})(?![0-9]|[.,][0-9])\s*(?:[:).](?!\S)|[:)]|(?=\s|$))
      | (?P<plain>[0-9]{1,9})\s*(?:[:)]|(?P<dot>\.)(?=\s|$))
    )\s*""",
    re.VERBOSE | _I,
)


def _words(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?:{pattern})(?!\w)", _I)


_ON, _AT, _OFF = Confidence.ON_TRACK, Confidence.AT_RISK, Confidence.OFF_TRACK

# Multi-word phrases are distinctive enough to count wherever the status part of a line has them.
FREE_TOKENS: list[tuple[re.Pattern[str], str, object]] = [
    (_words(r"not\s+(?:yet\s+)?(?:done|completed?|finished|shipped)|not\s+yet|incomplete"), "done", False),
    (_words(r"no[\s-]+changes?|unchanged|same\s+as\s+(?:last\s+(?:week|time)|before)|nothing\s+new"), "same", True),
    (_words(r"on[\s-]*track"), "confidence", _ON),
    (_words(r"at[\s-]*risk"), "confidence", _AT),
    (_words(r"off[\s-]*track"), "confidence", _OFF),
]

# Single words are ordinary English too ("good progress", "red tape", "done by Friday", "no blockers"), so
# they only count when they end their clause or are followed by another status word or a number.
CLAUSE_TOKENS: list[tuple[re.Pattern[str], str, object]] = [
    (_words(r"done|completed?|finished|shipped|yes"), "done", True),
    (_words(r"no"), "done", False),
    (_words(r"same"), "same", True),
    (_words(r"good|green"), "confidence", _ON),
    (_words(r"risky|yellow|amber"), "confidence", _AT),
    (_words(r"behind|blocked|red"), "confidence", _OFF),
]

_CONFIDENCE_WORDS = {
    _ON: r"on[\s-]*track|good|green",
    _AT: r"at[\s-]*risk|risky|yellow|amber",
    _OFF: r"off[\s-]*track|behind|blocked|red",
}

# A confidence word standing alone as the last clause of a line: "42, waiting on legal, at risk".
TRAILING_CONFIDENCE = re.compile(
    rf"(?:[,;!•–—]|\s-|\.(?=\s))\s*(?P<word>{'|'.join(_CONFIDENCE_WORDS.values())})[\s.!]*\Z", _I
)

# "blocked by X", "blocked on X", "blocker: X", "blockers: X" at the start of a clause; X runs to the end of
# the line because lists of blockers are themselves comma-separated ("blocked by legal, finance").
BLOCKER = re.compile(r"(?:^|[,;!•–—]|\s-(?=\s)|\.(?=\s))\s*(?:blocked\s+(?:by|on)(?!\w)|blockers?\s*:)\s*", _I)
NO_BLOCKERS = {"", "none", "nothing", "n/a", "na", "-", "no"}


def confidence_of(word: str) -> Confidence:
    return next(c for c, pattern in _CONFIDENCE_WORDS.items() if re.fullmatch(pattern, word, _I))


def unit_pattern(unit: str) -> re.Pattern[str] | None:
    """The KR's unit right after its value ("40 signups"), so the unit doesn't end up as the comment."""
    unit = unit.strip()
    if not unit or unit in {"%", "$", "€", "£"}:
        return None  # the number pattern already reads these
    return re.compile(rf"\s*{re.escape(unit)}(?!\w)", _I)
