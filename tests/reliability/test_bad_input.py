"""Item 11: bad input, as one table. Each row: how it is sent, what the person is told, what is stored.

Decisions (from the code, documented in docs/reliability.md):
- a 10,000-character comment is stored in full; every message that shows it shortens it (500 characters);
- a negative value for an increase KR is allowed (a metric can really drop below its start) and stored;
- "1,200.5" and "1.200,5" both read as 1200.5 (bot/okr/numbers.py);
- an unparseable thread reply stores nothing but a PendingReply holding the text verbatim;
- a modal with a bad value answers `response_action: errors` naming the `value` block, so Slack keeps the form.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlmodel import select

from storage.models import CheckIn, KeyResult, PendingReply, Person
from tests.reliability.helpers import string_leaves
from tests.scenario.seed import MONDAY_10_BERLIN, at, okr_data, seed

LONG = "x" * 10_000
WORLD = "🚀 ship it — مرحبا بالعالم שלום"  # emoji and right-to-left text
ALICE = {"id": "U0ALICE"}
NO_CHANGE = {"action_id": "okr.checkin.no_change", "type": "button", "value": '{"kr": 1}'}
BINARY = {"title": "Launch the beta", "owner": "U0ALICE", "kind": "binary"}


@dataclass(frozen=True)
class Row:
    id: str
    via: str  # reply (in Alice's prompt thread) | modal (check-in modal on KR 1) | command | raw
    text: str
    says: str  # a fragment of what the person is told ("" = nothing is said: Slack gets a 4xx/empty ack)
    checkins: list = field(default_factory=list)  # expected (kr number, value, comment)
    pending: str | None = None  # the text kept as a PendingReply


ROWS = [
    Row("reply-whitespace", "reply", "   \t ", "empty reply", pending=None),  # nothing to keep, no Use as comment
    Row("reply-nan", "reply", "1: NaN", 'read a number in "NaN"', pending="1: NaN"),
    Row("reply-inf", "reply", "1: inf", 'read a number in "inf"', pending="1: inf"),
    Row("reply-1e309", "reply", "1: 1e309", "too large", pending="1: 1e309"),
    Row("reply-negative", "reply", "1: -5", "Recorded", checkins=[(1, -5.0, "")]),
    Row("reply-us-thousands", "reply", "1: 1,200.5", "Recorded", checkins=[(1, 1200.5, "")]),
    Row("reply-eu-thousands", "reply", "1: 1.200,5", "Recorded", checkins=[(1, 1200.5, "")]),
    Row("reply-unknown-kr", "reply", "7: 42", "7", pending="7: 42"),
    Row("reply-value-for-binary", "reply", "2: 42", "done", pending="2: 42"),
    Row("reply-emoji-rtl", "reply", f"1: 42 {WORLD}", WORLD, checkins=[(1, 42.0, WORLD)]),
    Row("reply-10k-comment", "reply", f"1: 42 {LONG}", "Recorded", checkins=[(1, 42.0, LONG)]),
    Row("modal-empty", "modal", "", "value"),
    Row("modal-whitespace", "modal", "   ", "value"),
    Row("modal-nan", "modal", "NaN", "finite"),
    Row("modal-inf", "modal", "inf", "finite"),
    Row("modal-1e309", "modal", "1e309", "too large"),
    Row("modal-eu-thousands", "modal", "1.200,5", "", checkins=[(1, 1200.5, "")]),
    # The modal's input holds 3,000 characters; a doctored submit past that is refused, not stored.
    Row("modal-10k-comment", "modal", f"42|{LONG}", "under 3000 characters"),
    Row("modal-emoji-rtl", "modal", f"42|{WORLD}", "", checkins=[(1, 42.0, WORLD)]),
    Row("away-in-the-past", "command", "away until 2020-01-01", "is in the past"),
    Row("away-not-a-date", "command", "away until 2027-02-30", "is not a date"),
    Row("team-unknown", "command", "team Nope", "I don't know a team called"),
    Row("digest-unknown", "command", "digest Nope", "No team called"),
    Row("at-risk-unknown", "command", "at-risk Nope", "Nope"),
    Row("checkin-unknown-kr", "command", "checkin 7", ""),
    Row("payload-not-json", "raw", "payload=not-json", ""),
    Row("payload-no-user", "raw", json.dumps({"type": "block_actions", "actions": [NO_CHANGE]}), ""),
    Row("payload-empty-actions", "raw", json.dumps({"type": "block_actions", "user": ALICE, "actions": []}), ""),
    Row("payload-no-actions", "raw", json.dumps({"type": "block_actions", "user": ALICE}), ""),
    Row("unknown-action-id", "raw", "okr.nope.unknown", ""),
]


async def _stored(bot) -> tuple[list, list[str], object]:
    async with bot.db.transaction() as s:
        krs = {kr.id: i for i, kr in enumerate((await s.exec(select(KeyResult).order_by(KeyResult.id))).all(), 1)}
        rows = (await s.exec(select(CheckIn).order_by(CheckIn.id))).all()
        pending = [p.text for p in (await s.exec(select(PendingReply))).all()]
        alice = await s.get(Person, "U0ALICE")
    return [(krs[c.kr_id], c.value, c.comment) for c in rows], pending, alice.away_until


async def _send(bot, row: Row, prompt) -> str:
    """Send the row's input; return everything Alice was shown in answer (or the modal's field errors)."""
    before = len(bot.fake.calls)
    if row.via == "reply":
        assert (await bot.req.message_im("U0ALICE", row.text, thread_ts=prompt.ts)).status == 200
    elif row.via == "modal":
        value, _, comment = row.text.partition("|")
        values = {"value": {"value": value}, "comment": {"comment": comment}}
        meta = json.dumps({"kr": 1})
        resp = await bot.req.view_submission("U0ALICE", "okr.checkin.modal", values, private_metadata=meta)
        assert resp.status == 200
        if resp.body:
            assert resp.body["response_action"] == "errors" and list(resp.body["errors"]) == ["value"], resp.body
            return resp.body["errors"]["value"]
    elif row.via == "command":
        assert (await bot.req.command("/okr", row.text, user_id="U0ALICE")).status == 200
    elif row.text.startswith("okr."):  # an action id nobody registered: Bolt answers 404, nothing happens
        assert (await bot.req.block_action("U0ALICE", row.text, "1", message=prompt)).status == 404
    else:
        body = row.text if row.text.startswith("payload=") else "payload=" + row.text
        resp = await bot.req.raw(body, "application/x-www-form-urlencoded")
        assert resp.status in (400, 404), resp.status
    return "\n".join(string_leaves([c.args for c in bot.fake.calls[before:]]))


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
async def test_bad_input(bot, row, caplog):
    caplog.set_level(logging.WARNING)
    await seed(bot, okr_data(extra_krs=[BINARY]))
    await bot.tick(MONDAY_10_BERLIN)
    prompt = bot.dm("U0ALICE")[0]
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=1))
    before = await _stored(bot)
    shown = await _send(bot, row, prompt)

    assert row.says in shown, shown[:500]
    checkins, pending, away = await _stored(bot)
    assert checkins == row.checkins
    assert pending == ([row.pending] if row.pending is not None else [])
    assert away == before[2]  # nothing else changed
    assert all(c.ok for c in bot.fake.calls), [(c.method, c.response) for c in bot.fake.calls if not c.ok]
    bot.fake.assert_no_warnings()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], caplog.text
    if LONG in row.text:
        assert LONG not in shown  # the renderers shortened it
