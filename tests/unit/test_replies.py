"""Tests for bot.okr.replies (reply parsing) and bot.okr.numbers (value parsing)."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.okr.replies import CheckInDraft, KRRef, ParseError, build_example, parse_number, parse_reply
from bot.okr.types import Confidence, KRKind

ON, AT, OFF = Confidence.ON_TRACK, Confidence.AT_RISK, Confidence.OFF_TRACK

ARR = KRRef(1, "Grow ARR", KRKind.INCREASE, unit="$", current=1200.0)
SSO = KRRef(2, "Ship SSO", KRKind.BINARY)
CHURN = KRRef(3, "Cut churn", KRKind.DECREASE, unit="%", current=4.5, confidence=AT)
ONE = [KRRef(1, "Grow ARR", KRKind.INCREASE)]
BINARY_ONE = [KRRef(1, "Ship SSO", KRKind.BINARY)]
TWO = [ARR, SSO]


def only(text: str, krs=ONE) -> CheckInDraft:
    drafts = parse_reply(text, krs)
    assert len(drafts) == 1
    return drafts[0]


def problems(text: str, krs=ONE) -> list[str]:
    with pytest.raises(ParseError) as info:
        parse_reply(text, krs)
    return info.value.problems


# --- numbers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42.0),
        (" 42 ", 42.0),
        ("42%", 42.0),
        ("42 %", 42.0),
        ("3.5", 3.5),
        ("-5", -5.0),
        ("+5", 5.0),
        ("\u22125", -5.0),  # unicode minus, as pasted from docs
        ("-0", 0.0),
        ("1,200", 1200.0),
        ("1,200,000", 1_200_000.0),
        ("1,200.5", 1200.5),
        ("1.200,5", 1200.5),
        ("1.200.000", 1_200_000.0),
        ("1,5", 1.5),  # a comma not followed by exactly three digits is a decimal comma
        ("12,50", 12.5),
        ("1.200", 1.2),  # a single dot is always a decimal point
        (".5", 0.5),
        ("$1.2k", 1200.0),
        ("2k", 2000.0),
        ("2K", 2000.0),
        ("1.5m", 1_500_000.0),
        ("1.5M", 1_500_000.0),
        ("3bn", 3e9),
        ("€5", 5.0),
        ("£1,200", 1200.0),
        ("-$5", -5.0),
        ("$-5", -5.0),
        ("1e3", 1000.0),
        ("1.5e-3", 0.0015),
    ],
)
def test_parse_number_reads(text, expected):
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("nan", "not a finite number"),
        ("NaN", "not a finite number"),
        ("inf", "not a finite number"),
        ("-Infinity", "not a finite number"),
        ("1e309", "too large"),
        ("9" * 400, "too large"),
        ("1e308k", "too large"),
        ("fourty", "couldn't read a number"),
        ("1,2,3", "groups of three"),
        ("1.2.3,5", "groups of three"),
        ("1,2.5", "groups of three"),
        ("1.2,3.4", "decimal mark"),
        ("42 apples", "couldn't read a number"),
        ("5kg", "couldn't read a number"),
        ("--5", "couldn't read a number"),
        ("0x10", "couldn't read a number"),
    ],
)
def test_parse_number_rejects_with_reason(text, why):
    with pytest.raises(ParseError) as info:
        parse_number(text)
    assert why in str(info.value)
    assert info.value.example == ""


@given(st.text())
def test_parse_number_returns_finite_or_parse_error(text):
    try:
        value = parse_number(text)
    except ParseError:
        return
    assert math.isfinite(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_parse_number_round_trips_repr(value):
    assert parse_number(repr(value)) == value


# --- a single KR due ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "confidence", "comment"),
    [
        ("42", 42.0, None, ""),
        ("42, at risk, waiting on legal", 42.0, AT, "waiting on legal"),
        ("42 at risk, waiting on legal", 42.0, AT, "waiting on legal"),
        ("42 at risk - waiting on legal", 42.0, AT, "waiting on legal"),
        ("42 at risk – waiting on legal", 42.0, AT, "waiting on legal"),
        ("42 at risk—waiting on legal", 42.0, AT, "waiting on legal"),
        ("42, waiting on legal", 42.0, None, "waiting on legal"),
        ("42 waiting on legal", 42.0, None, "waiting on legal"),
        ("at risk: 42", 42.0, AT, ""),
        ("42, waiting on legal, at risk", 42.0, AT, "waiting on legal"),
        ("42, waiting on legal. Red.", 42.0, OFF, "waiting on legal"),
        ("1,200, on track", 1200.0, ON, ""),
        ("1,200.5 on-track", 1200.5, ON, ""),
        ("$1.2k ONTRACK", 1200.0, ON, ""),
        ("-5 off track", -5.0, OFF, ""),
        ("42%, At-Risk", 42.0, AT, ""),
        ("42 good", 42.0, ON, ""),
        ("42 green", 42.0, ON, ""),
        ("42 risky", 42.0, AT, ""),
        ("42 yellow", 42.0, AT, ""),
        ("42 amber", 42.0, AT, ""),
        ("42 behind", 42.0, OFF, ""),
        ("42 blocked", 42.0, OFF, ""),
        ("42 red", 42.0, OFF, ""),
        # single confidence words inside prose are prose, not a confidence
        ("42 good progress with legal", 42.0, None, "good progress with legal"),
        ("42, red tape everywhere", 42.0, None, "red tape everywhere"),
        ("42, done by Friday hopefully", 42.0, None, "done by Friday hopefully"),
        # a second number belongs to the comment
        ("42, 3 vendors still pending", 42.0, None, "3 vendors still pending"),
        ("42. on track", 42.0, ON, ""),  # "42." is not a KR number when only KR 1 is due
        ("1: 42", 42.0, None, ""),
        ("- 42 on track", 42.0, ON, ""),
    ],
)
def test_single_kr_reply(text, value, confidence, comment):
    assert only(text) == CheckInDraft(1, value, confidence, comment)


@pytest.mark.parametrize("text", ["no change", "No changes", "same", "unchanged", "same as last week", "nothing new"])
def test_no_change(text):
    assert only(text) == CheckInDraft(1, None, None, no_change=True)


@pytest.mark.parametrize(
    ("text", "confidence", "comment"),
    [
        ("same, at risk", AT, ""),
        ("no change - on track, legal signed", ON, "legal signed"),
        ("at risk, waiting on legal", AT, "waiting on legal"),  # confidence only = no change
        ("red", OFF, ""),
    ],
)
def test_confidence_without_value_is_no_change(text, confidence, comment):
    assert only(text) == CheckInDraft(1, None, confidence, comment, no_change=True)


@pytest.mark.parametrize(
    ("text", "value", "confidence", "comment", "blockers"),
    [
        ("42, blocked by legal", 42.0, OFF, "", "legal"),
        ("42 blocked by legal", 42.0, OFF, "", "legal"),
        ("42, blocked on legal, finance", 42.0, OFF, "", "legal, finance"),
        ("42, waiting on legal, blocker: contract review", 42.0, OFF, "waiting on legal", "contract review"),
        ("42 at risk, blockers: legal", 42.0, AT, "", "legal"),
        ("42, blocked by legal, at risk", 42.0, AT, "", "legal"),
        ("42 on track, blockers: none", 42.0, ON, "", ""),
        ("blocked by legal", None, OFF, "", "legal"),
        ("42, we are blocked by legal", 42.0, OFF, "", "legal"),  # "we are" / "we're" / "still" at the clause start
        ("42, we were blocked by legal", 42.0, None, "we were blocked by legal", ""),  # past: prose
        ("42, the team got blocked by legal", 42.0, None, "the team got blocked by legal", ""),  # mid-sentence
    ],
)
def test_blockers(text, value, confidence, comment, blockers):
    assert only(text) == CheckInDraft(1, value, confidence, comment, blockers, no_change=value is None)


def test_unit_after_the_number_is_not_a_comment():
    krs = [KRRef(1, "Signups", KRKind.INCREASE, unit="signups")]
    assert only("40 signups, on track", krs) == CheckInDraft(1, 40.0, ON)
    assert only("40 Signups", krs) == CheckInDraft(1, 40.0, None)


def test_continuation_lines_join_the_comment_when_one_kr_is_due():
    text = "42 at risk, waiting on legal\nthey promised Friday\n\n  and finance too  "
    assert only(text).comment == "waiting on legal\nthey promised Friday\nand finance too"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("done", 1.0),
        ("Done!", 1.0),
        ("complete", 1.0),
        ("finished, shipped Monday", 1.0),
        ("shipped", 1.0),
        ("yes", 1.0),
        ("not done", 0.0),
        ("not yet, waiting on legal", 0.0),
        ("no", 0.0),
        ("incomplete", 0.0),
    ],
)
def test_binary_done_and_not_done(text, value):
    assert only(text, BINARY_ONE).value == value


def test_binary_done_with_confidence_and_comment():
    assert only("not done at risk, waiting on legal", BINARY_ONE) == CheckInDraft(1, 0.0, AT, "waiting on legal")


def test_comments_are_verbatim():
    # The chat adapter (handlers.events) undoes Slack's escaping once; the parser keeps what it gets.
    assert only("42, R&D <3 > ops &lt;").comment == "R&D <3 > ops &lt;"
    assert only("42, 🚀 שלום עולם مرحبا").comment == "🚀 שלום עולם مرحبا"
    long = "x" * 10_000
    assert only(f"42, {long}").comment == long


# --- several KRs due ------------------------------------------------------------------------------------


def test_numbered_lines_in_every_accepted_form():
    krs = [ARR, SSO, CHURN, KRRef(4, "Hire", KRKind.MILESTONE), KRRef(5, "Docs", KRKind.BINARY)]
    text = "1: $1.2k on track\n2) done\n#3 4,5% at risk, onboarding fix\n4. 2\nKR 5: not done\n"
    assert parse_reply(text, krs) == [
        CheckInDraft(1, 1200.0, ON),
        CheckInDraft(2, 1.0, None),
        CheckInDraft(3, 4.5, AT, "onboarding fix"),
        CheckInDraft(4, 2.0, None),
        CheckInDraft(5, 0.0, None),
    ]


def test_drafts_come_back_in_kr_order_and_missing_krs_are_skipped():
    assert parse_reply("3: same\n1: 42", [ARR, SSO, CHURN]) == [
        CheckInDraft(1, 42.0, None),
        CheckInDraft(3, None, None, no_change=True),
    ]


def test_blank_lines_are_ignored():
    assert len(parse_reply("\n\n1: 42\n   \n2: done\n\n", TWO)) == 2


# --- errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "krs", "expected"),
    [
        ("", ONE, "empty reply"),
        ("  \n\t ", ONE, "empty reply"),
        ("42", [], "nothing is due"),
        ("fourty", ONE, 'line 1 "fourty": I couldn\'t read a number in "fourty"'),
        ("1: 42\n3: fourty", [ARR, SSO, CHURN], 'line 2 "3: fourty": I couldn\'t read a number in "fourty"'),
        ("7: 42", TWO, 'line 1 "7: 42": there\'s no KR 7'),
        ("1: 42\n1: 43", TWO, 'line 2 "1: 43": KR 1 was already answered on line 1'),
        ("42\ndone", TWO, "start each line with its KR number"),
        ("1: 42\n2 - done", TWO, 'line 2 "2 - done": 2 KRs are due'),
        ("2: 42", TWO, 'KR 2 ("Ship SSO") is done / not done; reply "done" or "not done" instead of "42"'),
        ("1: done", TWO, 'KR 1 ("Grow ARR") needs a number, not "done"'),
        ("2: maybe", TWO, 'I couldn\'t read "done" or "not done" in "maybe"'),
        ("1: 1e309", TWO, 'I couldn\'t read a number in "1e309": it is too large'),
        ("1: 1,2,3", TWO, '"1,2,3"'),
        ("on track, at risk", ONE, '"on track" and "at risk" contradict each other'),
        ("42 on track, waiting, red", ONE, "contradict"),
        ("42 same", ONE, '"42" and "same" contradict each other'),
        ("2:", TWO, 'line 1 "2:"'),
    ],
)
def test_errors_name_the_fragment(text, krs, expected):
    assert any(expected in p for p in problems(text, krs)), problems(text, krs)


def test_every_problem_is_reported_not_just_the_first():
    found = problems("1: fourty\n2: 42\n9: done", TWO)
    assert [p.split(":")[0] for p in found] == ['line 1 "1', 'line 2 "2', 'line 3 "9']


def test_duplicate_kr_numbers_in_the_prompt_are_a_parse_error():
    assert problems("42", [ARR, ARR])


def test_parse_error_example_uses_the_persons_own_krs():
    with pytest.raises(ParseError) as info:
        parse_reply("3: fourty", [ARR, SSO, CHURN])
    err = info.value
    assert err.example.splitlines() == [
        "1: $1,200, on track, waiting on legal",
        "2: not done, on track, waiting on legal",
        "3: 4.5%, at risk, waiting on legal",
    ]
    message = str(err)
    assert 'line 1 "3: fourty"' in message and err.example in message
    assert isinstance(err, ValueError)


def test_single_kr_example_has_no_number_prefix():
    assert build_example(ONE) == "42, on track, waiting on legal"
    assert build_example([]) == ""


# --- properties -----------------------------------------------------------------------------------------

_kinds = st.sampled_from(list(KRKind))
_titles = st.text(max_size=60)


@st.composite
def kr_lists(draw):
    n = draw(st.integers(1, 4))
    return [
        KRRef(
            i,
            draw(_titles),
            draw(_kinds),
            unit=draw(st.sampled_from(["", "%", "$", "€", "signups", "story points"]) | st.text(max_size=5)),
            current=draw(st.none() | st.floats()),
            confidence=draw(st.none() | st.sampled_from(list(Confidence))),
        )
        for i in range(1, n + 1)
    ]


_pieces = st.sampled_from(
    ["42", "-5", "1,200", "1.200,5", "$1.2k", "1e309", "nan", "42%", "done", "not done", "same", "no change",
     "on track", "at risk", "off-track", "red", "good", "blocked by", "blockers:", "legal", "&amp;", "🚀", "1:",
     "2)", "#3", "4.", "KR 2", "7:", ", ", " - ", " — ", ". ", "\n", " ", "yes", "no"]
)  # fmt: skip
reply_texts = st.text() | st.lists(_pieces | st.text(max_size=4), max_size=25).map("".join)


def _assert_valid(drafts, krs):
    indexes = [d.index for d in drafts]
    assert len(indexes) == len(set(indexes))
    assert set(indexes) <= {kr.index for kr in krs}
    for draft in drafts:
        assert (draft.value is None) == draft.no_change
        assert draft.value is None or math.isfinite(draft.value)


@pytest.mark.slow
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(reply_texts, kr_lists())
def test_parse_reply_returns_valid_drafts_or_raises_parse_error(text, krs):
    try:
        drafts = parse_reply(text, krs)
    except ParseError as err:
        assert err.problems and str(err)
        return
    _assert_valid(drafts, krs)
    assert all(d.unsure is None for d in drafts)  # by default an unsure reading is never returned as a draft


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(reply_texts, kr_lists())
def test_allow_unsure_returns_valid_drafts_with_a_reason_or_raises_parse_error(text, krs):
    try:
        drafts = parse_reply(text, krs, allow_unsure=True)
    except ParseError as err:
        assert err.problems and str(err)
        return
    _assert_valid(drafts, krs)
    assert all(d.unsure is None or d.unsure.strip() for d in drafts)
    sure = [d for d in drafts if d.unsure is None]
    if len(sure) == len(drafts):
        assert parse_reply(text, krs) == drafts  # the flag changes nothing when every reading is sure


@given(kr_lists())
def test_build_example_parses_back_for_every_kr(krs):
    drafts = parse_reply(build_example(krs), krs)
    assert [d.index for d in drafts] == [kr.index for kr in krs]
