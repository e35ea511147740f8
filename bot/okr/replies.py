"""Parse a KR owner's plain-words reply to their weekly check-in prompt.

The prompt lists the due KRs numbered 1..N; the reply is free text such as ``42, at risk, waiting on legal``.

Lines and KR numbers
  * One KR per line. A line starts with its KR number as ``1: …``, ``1) …``, ``1. …``, ``#1 …`` or ``KR 1 …``.
    ``2 - done`` is NOT a KR number (it reads just as well as "value 2, comment done").
  * With one KR due, the number may be left out. Further unnumbered lines are added to that KR's comment.
    ``42. on track`` is read as the value 42 unless 42 is that KR's own number.
  * With several KRs due, every non-blank line must be numbered. Guessing "line i is KR i" would silently
    record a value against the wrong KR when someone skips one, so we ask instead.
  * KRs left out of the reply are simply not checked in. Naming a KR twice, or one that isn't due, is an error.

Inside a line: a status part, then free text
  * The status part is a run of: one value (see ``numbers``: ``42``, ``$1.2k``, ``1.200,5``, ``-5``…); ``done``/
    ``not done`` for BINARY KRs; ``no change``/``same``/``unchanged``; a confidence word. Order is free and the
    pieces may be separated by spaces, commas, dashes…: ``42 at risk``, ``at risk: 42``, ``same, on track``.
  * Fillers before the value are skipped when a number follows: ``we're at 95``, ``now at``, ``currently``,
    ``about``, ``around``, ``roughly``, ``approx.``, ``~``, ``≈``, ``up to``, ``down to``, ``reached``, ``hit``,
    ``still at``, ``from 80 to 95`` / ``80 -> 95`` (the value is 95). ``up 5`` is NOT a filler: it is a change.
    After the value: ``now``, ``so far``, ``today``, ``this week``, ``in total``… when they end the clause.
  * A unit after the value is skipped: the KR's own unit (``40 signups``) always; another word only when it ends
    its clause and looks like a unit: ``word/word``, ``word per word``, a plural (``95 tickets/week``, ``95 users``)
    or a common short unit (usd, pts, hrs…). Anything else stays in the comment: a comment word is never dropped
    (``42 hopefully``, ``42 thanks``, ``42 yay`` keep their word).
  * Done words for BINARY KRs: done/complete(d)/finished/shipped/launched/released/delivered/yes, also with a
    subject and fillers (``it's done!``, ``we finished it``, ``finally done``, ``Shipped.``); not done/not yet/
    incomplete/in progress/no (``not done yet``). A single word counts only when it ends its clause or only
    emoji follow (``done by Friday`` is prose, ``launched today 🎉`` is done).
  * Confidence: on track / at risk / off track / on schedule / behind schedule, with a qualifier (``still``,
    ``back``, ``a bit``…), anywhere in the status part; single words (good, green, risky, amber, behind, blocked,
    stuck, red…) only when they end their clause. In the free text, a trailing clause that is only a confidence
    word sets it (``42, waiting on legal, at risk``); a multi-word phrase (or behind/stuck) that ends its clause
    sets it (``95 - legal is slow so we're at risk``). Single words inside prose ("good progress", "red tape")
    are prose. A confidence is never invented: ``95 tickets/week, new release`` has ``confidence=None``.
  * Everything after the status part is the comment, verbatim (stripped, never truncated), minus a trailing
    confidence clause, a trailing value clause (``blocked by legal, 40`` reads 40) and the blocker clause.
  * ``blocked by X``, ``blocked on X``, ``blocker: X``, ``blockers: X`` at the start of a clause (also after
    ``we're`` / ``we are`` / ``still``) puts X (to the end of the line) in ``blockers``, and means OFF_TRACK unless
    the line states another confidence (``at risk, blocked by legal`` stays AT_RISK). ``blockers: none`` records
    no blocker. Bare ``blocked`` is OFF_TRACK. Past tense (``we were blocked by``) is prose.
  * A line with a confidence or blocker but no value is a "no change" check-in carrying that confidence.
  * A number for a BINARY KR, or ``done`` for a numeric KR, is an error rather than a guess. So is a line of
    prose with several numbers and nothing else (``we closed 95 and reopened 3``): which one is the value?
  * Comments hold the person's literal text: the text comes in plain (the chat adapter undoes its escaping).

Unsure readings (the Confirm / Edit contract)
  Some lines have a likely reading the parser must not record without asking. Their draft carries
  ``CheckInDraft.unsure``: a short reason, written to be shown to the person, e.g.
    * ``waiting on 2 vendors``: value 2 from inside a sentence (only when nothing else on the line is a status);
    * ``just 2 days left``: a value after a filler but followed by more words;
    * ``95, 97``: two values (the draft holds the first);
    * ``95, not on track`` / ``95, no longer at risk`` / ``95, fixing at-risk accounts`` / ``95, we fell behind
      after the outage``: a confidence phrase that is negated or inside a sentence (the draft's confidence is
      None: the parser never records a confidence from such a phrase).
  Everything else in an unsure draft (comment, blockers) is read as for a sure one. ``parse_reply`` returns
  unsure drafts only with ``allow_unsure=True``; the caller must then show the draft and the reason and record it
  only when the person confirms (or let them edit it). Without the flag (today's callers, which cannot ask yet)
  an unsure line is a ParseError whose problem is that reason, so nothing guessed is ever recorded. Sure drafts
  always have ``unsure=None``, and a reply with no unsure line gives the same drafts either way.

Only ``ParseError`` escapes ``parse_reply`` and ``parse_number``; it lists every problem found, not just the first.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.okr import reply_words as words
from bot.okr.numbers import NUMBER, ParseError, number_from_match, parse_number, quote
from bot.okr.reply_example import build_example
from bot.okr.types import Confidence, KRKind

__all__ = ["CheckInDraft", "KRRef", "ParseError", "build_example", "parse_number", "parse_reply"]


@dataclass(frozen=True)
class KRRef:
    """What the parser knows about one due KR, in prompt order."""

    index: int  # 1-based number shown in the prompt
    title: str
    kind: KRKind
    unit: str = ""
    current: float | None = None
    confidence: Confidence | None = None


@dataclass(frozen=True)
class CheckInDraft:
    index: int  # which KR (KRRef.index)
    value: float | None  # None only when no_change (then the caller reuses the current value)
    confidence: Confidence | None  # None = not stated (the caller keeps the last confidence)
    comment: str = ""
    blockers: str = ""
    no_change: bool = False
    unsure: str | None = None  # why the caller should ask "Confirm / Edit" before recording; None = sure


@dataclass
class _Entry:
    """One KR's part of the reply: the line that names it, plus continuation lines (single-KR replies only)."""

    line_no: int
    where: str  # 'line 2 "2: done"', the prefix of every problem about this entry
    index: int
    rest: str  # the line after its KR number
    extra: list[str] = field(default_factory=list)


@dataclass
class _Status:
    """What one line said, before we check it against the KR's kind."""

    value: float | None = None
    done: bool | None = None
    no_change: bool = False
    said: str = ""  # the value / done / no-change fragment, to quote in errors
    confidence: Confidence | None = None
    blocked: bool = False
    blocker_clause: bool = False
    blockers: str = ""
    comment: str = ""
    problems: list[str] = field(default_factory=list)
    unsure: list[str] = field(default_factory=list)

    def set_confidence(self, confidence: Confidence, fragment: str) -> None:
        if self.confidence not in (None, confidence):
            self.problems.append(f'"{self.confidence.label}" and "{quote(fragment)}" contradict each other')
        self.confidence = confidence


def parse_reply(text: str, krs: Sequence[KRRef], *, allow_unsure: bool = False) -> list[CheckInDraft]:
    """Drafts for the KRs the reply mentions, ordered by KR number. Raises ParseError (and nothing else).

    With ``allow_unsure=False`` (the default) a reading the parser is unsure of is a ParseError naming why, so a
    caller that cannot ask "Confirm / Edit" never records a guess. With ``allow_unsure=True`` such drafts come back
    with ``unsure`` set, and the caller must confirm them with the person before recording.
    """
    by_index = {kr.index: kr for kr in krs}
    if not by_index:
        raise ParseError("nothing is due")
    example = build_example(krs)
    if len(by_index) != len(krs):
        raise ParseError("the prompt listed the same KR number twice", example)
    if not text.strip():
        raise ParseError("empty reply", example)
    entries, problems = _entries(text, by_index)
    drafts = []
    for entry in entries:
        draft, entry_problems = _draft(entry, by_index[entry.index])
        problems += [(entry.line_no, p) for p in entry_problems]
        if draft is not None and draft.unsure and not allow_unsure:
            problems.append((entry.line_no, f"{entry.where}: {draft.unsure}"))
        elif draft is not None:
            drafts.append(draft)
    if problems:
        raise ParseError([p for _, p in sorted(problems, key=lambda lp: lp[0])], example)
    return sorted(drafts, key=lambda d: d.index)


def _entries(text: str, by_index: dict[int, KRRef]) -> tuple[list[_Entry], list[tuple[int, str]]]:
    """Split the reply into one entry per KR, checking KR numbers (unknown, repeated, missing)."""
    entries: list[_Entry] = []
    problems: list[tuple[int, str]] = []  # (line number, problem) so they can be reported in reply order
    answered: dict[int, int] = {}
    only = next(iter(by_index)) if len(by_index) == 1 else None
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f'line {line_no} "{quote(line.strip())}"'
        index, rest = _split_index(line, only)
        if index is None and only is None:
            first = next(iter(by_index))
            problem = f'{len(by_index)} KRs are due, so start each line with its KR number, like "{first}: …"'
        elif index is None and entries:
            entries[-1].extra.append(line.strip())  # one KR due: later lines continue its comment
            continue
        elif (index := only if index is None else index) not in by_index:
            problem = f"there's no KR {index} in this check-in (it covers KR {', '.join(map(str, by_index))})"
        elif index in answered:
            problem = f"KR {index} was already answered on line {answered[index]}"
        else:
            answered[index] = line_no
            entries.append(_Entry(line_no, where, index, rest))
            continue
        problems.append((line_no, f"{where}: {problem}"))
    return entries, problems


def _split_index(line: str, only: int | None) -> tuple[int | None, str]:
    match = words.INDEX.match(line)
    if match is None:
        return None, line
    index = int(match["tagged"] or match["plain"])
    # With one KR due, "42. on track" is far more likely a value than a KR number.
    if match["dot"] and only is not None and index != only:
        return None, line
    return index, line[match.end() :]


def _draft(entry: _Entry, kr: KRRef) -> tuple[CheckInDraft | None, list[str]]:
    """Check what a line said against its KR's kind and turn it into a draft."""
    status = _scan(entry.rest, kr.unit)
    label = f'KR {kr.index} ("{quote(kr.title, 40)}")'
    problems = list(status.problems)
    if kr.kind is KRKind.BINARY and status.value is not None:
        problems.append(f'{label} is done / not done; reply "done" or "not done" instead of "{quote(status.said)}"')
    if kr.kind is not KRKind.BINARY and status.done is not None:
        problems.append(f'{label} needs a number, not "{quote(status.said)}"; reply like "{kr.index}: 42"')
    if kr.kind is not KRKind.BINARY and not (status.said or status.confidence or status.blocker_clause):
        _value_in_prose(status, problems)
    value = float(status.done) if kr.kind is KRKind.BINARY and status.done is not None else status.value
    confidence = status.confidence or (Confidence.OFF_TRACK if status.blocked else None)
    said_anything = status.said or confidence or status.blocker_clause
    if not problems and not said_anything:
        wanted = '"done" or "not done"' if kr.kind is KRKind.BINARY else "a number"
        problems.append(f'I couldn\'t read {wanted} in "{quote(entry.rest.strip())}"')
    if problems:
        return None, [f"{entry.where}: {p}" for p in problems]
    comment = "\n".join([status.comment, *entry.extra]).strip()
    unsure = "; ".join(status.unsure) or None
    draft = CheckInDraft(kr.index, value, confidence, comment, status.blockers, no_change=value is None, unsure=unsure)
    return draft, []


def _value_in_prose(status: _Status, problems: list[str]) -> None:
    """Nothing but prose on the line: one number in it is probably the value (ask first); several, we can't tell."""
    found = [m for m in _prose_numbers(status.comment) if not m.group().startswith(("+", "-", "\u2212"))]
    if len(found) > 1:
        listed = ", ".join(f'"{m.group()}"' for m in found[:4])
        problems.append(f'I see several numbers ({listed}) and can\'t tell which is the value; put it first: "42, …"')
    elif found:
        try:
            status.value = number_from_match(found[0])
        except ParseError as exc:
            problems += exc.problems
            return
        status.said = found[0].group()
        status.unsure.append(f'is "{quote(status.said)}" the value? It is inside a sentence')


def _prose_numbers(text: str) -> list[re.Match[str]]:
    """Numbers standing on their own in prose: not glued to a word ("Q3", "v2.1", "5kg")."""
    starts = re.finditer(r"(?<![\w.,/])(?=[-+\u2212$€£]?\.?[0-9])", text)
    return [m for start in starts if (m := NUMBER.match(text, start.start()))]


def _scan(text: str, unit: str) -> _Status:
    """Read the status part at the start of a line; the rest becomes comment / blockers."""
    status = _Status()
    unit_pattern = words.unit_pattern(unit)
    pos = _status_part(text, status, unit_pattern)
    _split_remainder(text[pos:].strip(), status, unit_pattern)
    return status


def _status_part(text: str, status: _Status, unit_pattern: re.Pattern[str] | None) -> int:
    """Apply status tokens from the start of ``text``; returns where the free text begins."""
    pos = 0
    while True:
        pos = words.SPACE.match(text, pos).end()
        if pos == len(text):
            return pos
        if separator := words.SEPARATOR.match(text, pos):
            pos = separator.end()
            continue
        end = _take_token(text, pos, status, unit_pattern)
        if end is None:
            return pos
        pos = end


def _take_token(text: str, pos: int, status: _Status, unit_pattern: re.Pattern[str] | None) -> int | None:
    """Apply the status token at ``pos`` and return where it ends, or None when the status part is over."""
    for pattern, kind, payload in words.FREE_TOKENS + words.CLAUSE_TOKENS:
        match = pattern.match(text, pos)
        if match and (pattern in _FREE_PATTERNS or _ends_clause(text, match.end())):
            if kind == "confidence":
                status.set_confidence(payload, match.group())  # type: ignore[arg-type]
            elif status.said:
                status.problems.append(f'"{quote(status.said)}" and "{match.group()}" contradict each other')
            else:
                status.said = match.group()
                status.done = payload if kind == "done" else None  # type: ignore[assignment]
                status.no_change = kind == "same"
            return match.end()
    if status.said:
        return None  # a second number ("done, 3 days early") belongs to the comment
    filler = words.LEAD_FILLER.match(text, pos)
    match = NUMBER.match(text, filler.end() if filler else pos)
    if match is None:
        return None
    status.said = match.group()
    try:
        status.value = number_from_match(match)
    except ParseError as exc:
        status.problems += exc.problems
        return None
    end = _after_value(text, match.end(), unit_pattern)
    if filler and not _ends_clause(text, end):
        # "just 2 days left": a number after a filler word and followed by more words is inside a sentence.
        status.unsure.append(f'is "{quote(status.said)}" the value? It is inside a sentence')
    return end


def _after_value(text: str, pos: int, unit_pattern: re.Pattern[str] | None) -> int:
    """Skip the unit after a value ("40 signups", "95 tickets/week") and a filler ("95 now")."""
    own = unit_pattern.match(text, pos) if unit_pattern else None
    other = words.ANY_UNIT.match(text, pos)
    # The longer reading wins: "95 tickets/week" on a KR whose unit is "tickets" takes the whole "tickets/week".
    ends = [own.end()] if own else []
    if other and _is_unit(text, pos, other.end()):
        ends.append(other.end())
    pos = max(ends, default=pos)
    if (filler := words.TRAIL_FILLER.match(text, pos)) and _ends_clause(text, filler.end()):
        pos = filler.end()
    return pos


def _is_unit(text: str, start: int, end: int) -> bool:
    """A word after the value is its unit only when it ends the clause and is not a status word or a filler."""
    if not _ends_clause(text, end) or not words.LOOKS_LIKE_UNIT.fullmatch(text, start, end):
        return False
    if words.NOT_UNITS.fullmatch(text, start, end):
        return False
    at = words.SPACE.match(text, start).end()
    tokens = [p for p, _, _ in words.FREE_TOKENS + words.CLAUSE_TOKENS] + [words.TRAIL_FILLER]
    return not any(pattern.match(text, at) for pattern in tokens)


_NO_WORDS = re.compile(r"[\W_]*")
_FREE_PATTERNS = {pattern for pattern, _, _ in words.FREE_TOKENS}


def _ends_clause(text: str, end: int) -> bool:
    """True when a single status word is not just the first word of a sentence ("good progress")."""
    pos = words.SPACE.match(text, end).end()
    if pos == len(text) or words.SEPARATOR.match(text, pos) or NUMBER.match(text, pos):
        return True
    if _NO_WORDS.fullmatch(text, pos):
        return True  # only emoji / punctuation left: "launched today 🎉"
    return any(pattern.match(text, pos) for pattern in _FREE_PATTERNS)


def _split_remainder(rest: str, status: _Status, unit_pattern: re.Pattern[str] | None) -> None:
    """Take trailing confidence / value clauses and a blocker clause out of the free text; the rest is the comment."""
    if trailing := words.TRAILING_CONFIDENCE.search(rest):
        status.set_confidence(words.confidence_of(trailing["word"]), trailing["word"])
        rest = rest[: trailing.start()].rstrip()
    rest = _trailing_value(rest, status, unit_pattern)
    if blocker := words.BLOCKER.search(rest):
        blockers = rest[blocker.end() :].strip()
        rest = rest[: blocker.start()].rstrip()
        status.blocker_clause = True
        if blockers.lower() not in words.NO_BLOCKERS:
            status.blocked, status.blockers = True, blockers
    if status.confidence is None:
        _confidence_in_prose(rest, status)
    status.comment = rest


def _trailing_value(rest: str, status: _Status, unit_pattern: re.Pattern[str] | None) -> str:
    """A last clause that is only a value ("blocked by legal, 40") is the value; with a value already, ask."""
    clauses = list(_CLAUSE_END.finditer(rest))
    cut = clauses[-1].start() if clauses else 0
    tail = rest[clauses[-1].end() :] if clauses else rest
    if not tail:
        return rest
    lone = _Status()
    if _status_part(tail, lone, unit_pattern) != len(tail) or lone.value is None or lone.problems:
        return rest
    if status.said:
        status.unsure.append(f'two numbers ("{quote(status.said)}" and "{quote(lone.said)}"): which is the value?')
        return rest
    status.value, status.said = lone.value, lone.said
    if lone.confidence:
        status.set_confidence(lone.confidence, lone.confidence.label)
    return rest[:cut].rstrip()


_CLAUSE_END = re.compile(r"\s*(?:[,;!•–—]|\s-\s|\.\s)\s*")


def _confidence_in_prose(comment: str, status: _Status) -> None:
    """ "legal is slow, so we're at risk" says AT_RISK; "not on track" or "at-risk accounts" might not: ask."""
    found = list(words.PROSE_CONFIDENCE.finditer(comment))
    said = {confidence for m in found for group, confidence in words.PROSE_GROUPS.items() if m[group]}
    clear = all(m["tail"] is not None and not m["negation"] for m in found)
    if found and clear and len(said) == 1:
        status.confidence = said.pop()
    elif found:
        phrase = quote(found[0].group().strip(" ,;:!.-"))
        status.unsure.append(f'is "{phrase}" (in the comment) meant as the KR\'s confidence?')
