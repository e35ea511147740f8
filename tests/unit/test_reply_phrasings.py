"""Real-world check-in replies, as people type them, with what must be recorded (issue 11 item 3).

Each row: the reply, the KR it answers, then the expected value, confidence (None = the person did not say one),
comment, blockers, and whether the parser must ask "Confirm / Edit" (unsure) instead of recording.
"""

import pytest

from bot.okr.replies import CheckInDraft, KRRef, ParseError, parse_reply
from bot.okr.types import Confidence, KRKind

ON, AT, OFF = Confidence.ON_TRACK, Confidence.AT_RISK, Confidence.OFF_TRACK
NUM = KRRef(1, "Tickets closed per week", KRKind.INCREASE, unit="tickets/week", current=80.0, confidence=ON)
TICKETS = KRRef(1, "Tickets closed", KRKind.INCREASE, unit="tickets")
PCT = KRRef(1, "Test coverage", KRKind.INCREASE, unit="%", current=30.0)
USD = KRRef(1, "Grow ARR", KRKind.INCREASE, unit="$", current=1200.0)
DOWN = KRRef(1, "Cut churn", KRKind.DECREASE, unit="%", current=4.5)
BIN = KRRef(1, "Ship SSO", KRKind.BINARY, confidence=ON)
SURE, UNSURE = False, True

PHRASINGS = [
    # --- the replies quoted in the issue
    ("we're at 95 now, on track", NUM, 95.0, ON, "", "", SURE),
    ("95 tickets/week, at risk - new release", NUM, 95.0, AT, "new release", "", SURE),
    ("about 95", NUM, 95.0, None, "", "", SURE),
    ("~95", NUM, 95.0, None, "", "", SURE),
    ("up to 34%", PCT, 34.0, None, "", "", SURE),
    ("it's done!", BIN, 1.0, None, "", "", SURE),
    # --- fillers around the number
    ("we are at 95", NUM, 95.0, None, "", "", SURE),
    ("now at 95, on track", NUM, 95.0, ON, "", "", SURE),
    ("currently 95", NUM, 95.0, None, "", "", SURE),
    ("at 95 so far", NUM, 95.0, None, "", "", SURE),
    ("reached 95 this week!", NUM, 95.0, None, "", "", SURE),
    ("hit 95, on track", NUM, 95.0, ON, "", "", SURE),
    ("roughly 95 - on track", NUM, 95.0, ON, "", "", SURE),
    ("approx. 95", NUM, 95.0, None, "", "", SURE),
    ("approximately 95 tickets/week", NUM, 95.0, None, "", "", SURE),
    ("around 95, new release helped", NUM, 95.0, None, "new release helped", "", SURE),
    ("≈ 95", NUM, 95.0, None, "", "", SURE),
    ("still at 95, at risk", NUM, 95.0, AT, "", "", SURE),
    ("we’re at 95 now", NUM, 95.0, None, "", "", SURE),  # curly apostrophe from a phone
    ("went from 80 to 95, on track", NUM, 95.0, ON, "", "", SURE),
    ("80 -> 95", NUM, 95.0, None, "", "", SURE),
    # --- units after the number
    ("95 tickets/week", NUM, 95.0, None, "", "", SURE),
    ("95 tickets/week, at risk - new release", TICKETS, 95.0, AT, "new release", "", SURE),  # KR unit "tickets"
    ("95 tickets/week, at risk - new release", PCT, 95.0, AT, "new release", "", SURE),
    ("95 tickets per week, on track", NUM, 95.0, ON, "", "", SURE),
    ("95 tickets, on track", NUM, 95.0, ON, "", "", SURE),
    ("95 users, at risk", NUM, 95.0, AT, "", "", SURE),
    ("2.5k signups", NUM, 2500.0, None, "", "", SURE),
    ("34 %, on track", PCT, 34.0, ON, "", "", SURE),
    ("42 hopefully", NUM, 42.0, None, "hopefully", "", SURE),  # an adverb is not a unit: it stays in the comment
    ("42 waiting on legal", NUM, 42.0, None, "waiting on legal", "", SURE),
    ("42 thanks, on track", NUM, 42.0, ON, "thanks", "", SURE),  # a word that is not a unit is never dropped
    ("42 yay", NUM, 42.0, None, "yay", "", SURE),
    # --- numbers as people write them
    ("1,200 on track", USD, 1200.0, ON, "", "", SURE),
    ("$1,234,567", USD, 1_234_567.0, None, "", "", SURE),
    ("€1.234,56 at risk", USD, 1234.56, AT, "", "", SURE),
    ("$1.2k, on track", USD, 1200.0, ON, "", "", SURE),
    ("-5, off track", NUM, -5.0, OFF, "", "", SURE),
    ("−3.5", NUM, -3.5, None, "", "", SURE),  # unicode minus
    ("4,2% at risk", DOWN, 4.2, AT, "", "", SURE),
    ("3.9%, churn down after onboarding fix", DOWN, 3.9, None, "churn down after onboarding fix", "", SURE),
    ("0", NUM, 0.0, None, "", "", SURE),
    # --- confidence anywhere, and never one the person did not say
    ("95, new release", NUM, 95.0, None, "new release", "", SURE),
    ("at risk: 95", NUM, 95.0, AT, "", "", SURE),
    ("95, waiting on legal, at risk", NUM, 95.0, AT, "waiting on legal", "", SURE),
    ("95, still on track", NUM, 95.0, ON, "", "", SURE),
    ("95, a bit behind", NUM, 95.0, OFF, "", "", SURE),
    ("95, back on track after the outage", NUM, 95.0, ON, "after the outage", "", SURE),
    ("95, we fell behind after the outage", NUM, 95.0, None, "we fell behind after the outage", "", UNSURE),
    ("95, hiring fell behind", NUM, 95.0, OFF, "hiring fell behind", "", SURE),
    ("95 - legal is slow so we're at risk", NUM, 95.0, AT, "legal is slow so we're at risk", "", SURE),
    ("95, not on track", NUM, 95.0, None, "not on track", "", UNSURE),
    ("95, no longer at risk", NUM, 95.0, None, "no longer at risk", "", UNSURE),
    ("95, fixing at-risk accounts first", NUM, 95.0, None, "fixing at-risk accounts first", "", UNSURE),
    ("95 good progress with legal", NUM, 95.0, None, "good progress with legal", "", SURE),
    ("95, red tape everywhere", NUM, 95.0, None, "red tape everywhere", "", SURE),
    ("95 on schedule", NUM, 95.0, ON, "", "", SURE),
    ("95 behind schedule", NUM, 95.0, OFF, "", "", SURE),
    # --- no change
    ("no change", NUM, None, None, "", "", SURE),
    ("same as last week", NUM, None, None, "", "", SURE),
    ("same, at risk", NUM, None, AT, "", "", SURE),
    ("unchanged - waiting on legal", NUM, None, None, "waiting on legal", "", SURE),
    ("nothing new, on track", NUM, None, ON, "", "", SURE),
    # --- blockers
    ("blocked by legal, 40", NUM, 40.0, OFF, "", "legal", SURE),
    ("40, blocked by legal", NUM, 40.0, OFF, "", "legal", SURE),
    ("we're blocked by legal", NUM, None, OFF, "", "legal", SURE),
    ("40 at risk, blockers: legal, finance", NUM, 40.0, AT, "", "legal, finance", SURE),
    ("40 on track, blockers: none", NUM, 40.0, ON, "", "", SURE),
    ("40, still blocked on the vendor contract", NUM, 40.0, OFF, "", "the vendor contract", SURE),
    # --- binary KRs
    ("Shipped.", BIN, 1.0, None, "", "", SURE),
    ("we finished it", BIN, 1.0, None, "", "", SURE),
    ("done", BIN, 1.0, None, "", "", SURE),
    ("DONE!!", BIN, 1.0, None, "", "", SURE),
    ("it’s done, shipped Monday", BIN, 1.0, None, "shipped Monday", "", SURE),
    ("launched today 🎉", BIN, 1.0, None, "🎉", "", SURE),
    ("complete", BIN, 1.0, None, "", "", SURE),
    ("finally done, on track", BIN, 1.0, ON, "", "", SURE),
    ("not done yet, at risk", BIN, 0.0, AT, "", "", SURE),
    ("not yet - waiting on legal", BIN, 0.0, None, "waiting on legal", "", SURE),
    ("in progress, on track", BIN, 0.0, ON, "", "", SURE),
    ("done by Friday hopefully, on track", BIN, None, ON, "done by Friday hopefully", "", SURE),
    # --- tricky prose: a number inside a sentence, or two numbers
    ("waiting on 2 vendors", NUM, 2.0, None, "waiting on 2 vendors", "", UNSURE),
    ("just 2 days left", NUM, 2.0, None, "days left", "", UNSURE),
    ("at 3 customers we paused the rollout", NUM, 3.0, None, "customers we paused the rollout", "", UNSURE),
    ("95, 3 vendors still pending", NUM, 95.0, None, "3 vendors still pending", "", SURE),
    ("95, 97", NUM, 95.0, None, "97", "", UNSURE),
    ("95 on track, 97", NUM, 95.0, ON, "97", "", UNSURE),
    ("at risk, waiting on 2 vendors", NUM, None, AT, "waiting on 2 vendors", "", SURE),
    ("blocked by 2 vendors", NUM, None, OFF, "", "2 vendors", SURE),
    ("Q3 planning took the week", NUM, None, None, None, None, None),  # no number at all: a ParseError
    ("we closed 95 and reopened 3", NUM, None, None, None, None, None),  # which one? a ParseError
]


@pytest.mark.parametrize(("text", "kr", "value", "confidence", "comment", "blockers", "unsure"), PHRASINGS)
def test_phrasing(text, kr, value, confidence, comment, blockers, unsure):
    if unsure is None:
        with pytest.raises(ParseError):
            parse_reply(text, [kr], allow_unsure=True)
        return
    [draft] = parse_reply(text, [kr], allow_unsure=True)
    got = (draft.value, draft.confidence, draft.comment, draft.blockers, draft.unsure is not None)
    assert got == (value, confidence, comment, blockers, unsure), draft.unsure
    assert draft.no_change == (value is None)


def test_there_are_at_least_sixty_phrasings():
    assert len(PHRASINGS) >= 60


@pytest.mark.parametrize("row", [row for row in PHRASINGS if row[-1] is UNSURE], ids=lambda row: row[0])
def test_unsure_readings_are_refused_unless_the_caller_can_confirm(row):
    """Today's callers never ask "Confirm / Edit", so by default an unsure reading is a ParseError saying why."""
    text, kr = row[0], row[1]
    with pytest.raises(ParseError) as info:
        parse_reply(text, [kr])
    [draft] = parse_reply(text, [kr], allow_unsure=True)
    assert any(draft.unsure in problem for problem in info.value.problems)


def test_unsure_reason_names_what_to_confirm():
    [draft] = parse_reply("waiting on 2 vendors", [NUM], allow_unsure=True)
    assert draft.unsure == 'is "2" the value? It is inside a sentence'
    [draft] = parse_reply("95, 97", [NUM], allow_unsure=True)
    assert draft.unsure == 'two numbers ("95" and "97"): which is the value?'


def test_it_is_done_on_a_numeric_kr_asks_for_a_number():
    with pytest.raises(ParseError) as info:
        parse_reply("it's done!", [NUM])
    assert 'needs a number, not "it\'s done"' in info.value.problems[0]


def test_several_numbers_in_prose_are_named():
    with pytest.raises(ParseError) as info:
        parse_reply("we closed 95 and reopened 3", [NUM])
    assert '"95", "3"' in info.value.problems[0]


def test_multi_kr_replies():
    krs = [
        KRRef(1, "Tickets", KRKind.INCREASE, unit="tickets/week"),
        KRRef(2, "Ship SSO", KRKind.BINARY),
        KRRef(3, "Coverage", KRKind.INCREASE, unit="%"),
        KRRef(4, "Churn", KRKind.DECREASE, unit="%"),
    ]
    text = "1: 42 on track\n2: done\n3) we're at 34% now, at risk - flaky CI\n#4 same as last week"
    assert parse_reply(text, krs) == [
        CheckInDraft(1, 42.0, ON),
        CheckInDraft(2, 1.0, None),
        CheckInDraft(3, 34.0, AT, "flaky CI"),
        CheckInDraft(4, None, None, no_change=True),
    ]


def test_multi_kr_reply_with_one_unsure_line_keeps_the_sure_ones_sure():
    krs = [KRRef(1, "Tickets", KRKind.INCREASE), KRRef(2, "Ship SSO", KRKind.BINARY)]
    drafts = parse_reply("1: waiting on 2 vendors\n2: it's done!", krs, allow_unsure=True)
    assert [d.unsure is not None for d in drafts] == [True, False]
    with pytest.raises(ParseError) as info:
        parse_reply("1: waiting on 2 vendors\n2: it's done!", krs)
    assert [p.split(":")[0] for p in info.value.problems] == ['line 1 "1']
