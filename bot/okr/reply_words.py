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

_APOS = "['\u2019]"  # Slack on phones sends a curly apostrophe ("it\u2019s done")
# "still on track", "a bit behind", "back on track": a qualifier in front of a confidence word keeps its meaning.
_QUALIFIER = (
    r"(?:(?:still|back|now|mostly|largely|firmly|currently|slightly|somewhat|very\s+much|a\s+(?:bit|little))\s+)?"
)
_ON_WORDS, _AT_WORDS, _OFF_WORDS = (
    r"on[\s-]*track|on\s+schedule|on\s+target",
    r"at[\s-]*risk",
    r"off[\s-]*track|behind\s+schedule",
)

# "it's done", "we finished it", "Shipped": who did it and when around a done word still only says "done".
_DONE_LEAD = (
    rf"(?:(?:it|we|i|this|that)(?:{_APOS}(?:s|ve|re|m)|\s+(?:is|are|was|were|has|have|am))?\s+)?"
    r"(?:(?:been|finally|fully|now|all|just|already|officially)\s+)*"
)
_DONE_WORDS = r"done|completed?|finished|shipped|launched|released|delivered"
_DONE_TAIL = r"(?:\s+(?:it|now|already|today|yesterday|this\s+week))?"

# Multi-word phrases are distinctive enough to count wherever the status part of a line has them.
FREE_TOKENS: list[tuple[re.Pattern[str], str, object]] = [
    (
        _words(rf"{_DONE_LEAD}(?:not\s+(?:yet\s+)?(?:{_DONE_WORDS})(?:\s+yet)?|not\s+yet|incomplete|in\s+progress)"),
        "done",
        False,
    ),
    (_words(r"no[\s-]+changes?|unchanged|same\s+as\s+(?:last\s+(?:week|time)|before)|nothing\s+new"), "same", True),
    (_words(rf"{_QUALIFIER}(?:{_ON_WORDS})"), "confidence", _ON),
    (_words(rf"{_QUALIFIER}(?:{_AT_WORDS})"), "confidence", _AT),
    (_words(rf"{_QUALIFIER}(?:{_OFF_WORDS})"), "confidence", _OFF),
]

# Single words are ordinary English too ("good progress", "red tape", "done by Friday", "no blockers"), so
# they only count when they end their clause or are followed by another status word or a number.
CLAUSE_TOKENS: list[tuple[re.Pattern[str], str, object]] = [
    (_words(rf"{_DONE_LEAD}(?:{_DONE_WORDS}){_DONE_TAIL}|yes"), "done", True),
    (_words(r"no"), "done", False),
    (_words(r"same"), "same", True),
    (_words(r"good|green"), "confidence", _ON),
    (_words(rf"{_QUALIFIER}(?:risky|yellow|amber)"), "confidence", _AT),
    (_words(rf"{_QUALIFIER}(?:behind|blocked|stuck|red)"), "confidence", _OFF),
]

_CONFIDENCE_WORDS = {
    _ON: rf"{_QUALIFIER}(?:{_ON_WORDS}|good|green)",
    _AT: rf"{_QUALIFIER}(?:{_AT_WORDS}|risky|yellow|amber)",
    _OFF: rf"{_QUALIFIER}(?:{_OFF_WORDS}|behind|blocked|stuck|red)",
}

# A confidence word standing alone as the last clause of a line: "42, waiting on legal, at risk".
TRAILING_CONFIDENCE = re.compile(
    rf"(?:[,;!•–—]|\s-|\.(?=\s))\s*(?P<word>{'|'.join(_CONFIDENCE_WORDS.values())})[\s.!]*\Z", _I
)

# A confidence phrase inside the comment ("legal is slow so we're at risk"). Only the multi-word phrases and
# "behind" / "stuck": other single words in prose ("red tape", "good progress") are prose. A ``negation`` or no
# ``tail`` (the phrase does not end its clause: "at-risk accounts") makes the parser unsure instead.
PROSE_CONFIDENCE = re.compile(
    rf"(?<!\w)(?P<negation>(?:not|no\s+longer|never)\s+|n{_APOS}t\s+(?:be\s+)?)?"
    rf"(?:(?P<on>{_ON_WORDS})|(?P<at>{_AT_WORDS})|(?P<off>{_OFF_WORDS}|behind|stuck))(?!\w)"
    r"(?P<tail>\s*(?:[,;:!•–—.]|\s-\s|\Z))?",
    _I,
)
PROSE_GROUPS = {"on": _ON, "at": _AT, "off": _OFF}

# Words around the value that say nothing more than the value does: "we're at 95", "up to 34%", "~95",
# "from 40 to 45" (45 is the value: the old one is already stored). Only skipped when a number follows,
# so "about the vendor" or "at the offsite" stay prose. "up 5" is NOT a filler: it is a change, not a value.
_NUMBER_TEXT = r"[-+\u2212]?[$€£]?[0-9][0-9.,]*(?:bn|[kmb])?(?:\s?%)?"
LEAD_FILLER = re.compile(
    rf"""(?:
        (?:we{_APOS}re|we\s+are|we{_APOS}ve|we\s+have|i{_APOS}m|it{_APOS}s|it\s+is|its|now|currently|still|
           at|up\s+to|down\s+to|about|around|roughly|circa|approx(?:imately|\.)?|reached|hit|got\s+to|
           sitting\s+at|landed\s+at|went\s+to|is|are|just|
           (?:(?:went|grew|moved|came|dropped|fell|climbed)\s+)?(?:up\s+|down\s+)?from\s+{_NUMBER_TEXT}\s+to
        )(?!\w)\s*
      | [~≈]\s*
      | {_NUMBER_TEXT}\s*(?:->|→|=>)\s*
    )+(?=[-+\u2212$€£]?\.?[0-9])""",
    re.VERBOSE | _I,
)
# Words after the value that say nothing more: "95 now", "95 so far". Only when they end their clause.
TRAIL_FILLER = _words(r"\s*(?:now|so\s+far|currently|today|this\s+week|atm|at\s+the\s+moment|in\s+total|total|already)")
# A unit after the value that is not the KR's own ("95 tickets/week", "40 users", "12 per day"). Only when
# it ends its clause, so "42 waiting on legal" keeps "waiting on legal" as its comment.
ANY_UNIT = re.compile(
    r"\s*(?:[^\W\d_][\w'\u2019]*(?:[/-][^\W\d_]\w*)*(?:\s+per\s+[^\W\d_]\w*)?"
    r"|(?:per|/)\s*[^\W\d_]\w*)(?!\w)",
    _I,
)
# Only words that look like units are dropped (a comment word must never be lost): "tickets/week", "calls per
# day", a plural up to 20 letters ("users", "deals"), or a common short unit.
LOOKS_LIKE_UNIT = re.compile(
    r"\s*(?:\S*/\S*|\S+\s+per\s+\S+|per\s+\S+|[^\W\d_]{1,19}s|usd|eur|gbp|pts|hrs|mins|ms|kg|km|mrr|arr|nps)", _I
)
# Plurals and words that carry meaning the comment must keep ("42 hopefully", "42 thanks", "42 yes").
NOT_UNITS = re.compile(r"\s*(?:\w+ly|maybe|pending|ish|thanks|yes|guys|folks|less|unless|afterwards)", _I)

# "blocked by X", "blocked on X", "blocker: X", "blockers: X" at the start of a clause; X runs to the end of
# the line because lists of blockers are themselves comma-separated ("blocked by legal, finance").
BLOCKER = re.compile(
    r"(?:^|[,;!•–—]|\s-(?=\s)|\.(?=\s))\s*"
    rf"(?:(?:we|i|it|they)(?:{_APOS}(?:re|m|s)|\s+(?:are|am|is))\s+)?(?:(?:still|currently|now)\s+)?"
    r"(?:blocked\s+(?:by|on)(?!\w)|blockers?\s*:)\s*",
    _I,
)
NO_BLOCKERS = {"", "none", "nothing", "n/a", "na", "-", "no"}


def confidence_of(word: str) -> Confidence:
    return next(c for c, pattern in _CONFIDENCE_WORDS.items() if re.fullmatch(pattern, word, _I))


def unit_pattern(unit: str) -> re.Pattern[str] | None:
    """The KR's unit right after its value ("40 signups"), so the unit doesn't end up as the comment."""
    unit = unit.strip()
    if not unit or unit in {"%", "$", "€", "£"}:
        return None  # the number pattern already reads these
    return re.compile(rf"\s*{re.escape(unit)}(?!\w)", _I)
