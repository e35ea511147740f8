"""Maya manages Growth: her Friday DM holds the team digest and one review thread per person;
whatever she writes there stays between her, the person's other line managers and HR."""

import json
import logging
from datetime import UTC, datetime

from sqlmodel import select

from bot.logs import quiet_libraries
from bot.services.okr_io.exporter import export_okrs
from bot.slack.ids import DigestId
from bot.slack.mrkdwn import esc, unescape
from storage.models import ReviewNote, ReviewThread
from tests.scenario.digest_seed import check_in, kr_id, seed, texts

FRIDAY_DUE = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)
MARKER = "ZQX-secret-7731"
EVIL = "<!channel> <@U0ALICE> <https://evil.example|your bank>"


async def _manager_dm(bot):
    await bot.tick(FRIDAY_DUE)
    parent, *people = bot.fake.messages("U0MANAGER")
    by_name = {texts(m).split("*")[1]: m for m in people}
    return parent, by_name


async def _notes(bot) -> list[ReviewNote]:
    async with bot.db.transaction() as s:
        return list((await s.exec(select(ReviewNote))).all())


async def test_manager_digest_has_one_thread_parent_per_person(bot):
    await seed(bot)
    parent, people = await _manager_dm(bot)
    assert "Your manager digest for *Growth*" in texts(parent) and "Growth · 2027-Q1" in texts(parent)
    assert sorted(people) == ["Alice", "Bob"]  # Dave owns a Growth KR but Maya does not manage him
    assert all(m.thread_ts is None for m in people.values())
    assert "missing this period" in texts(people["Bob"])
    async with bot.db.transaction() as s:
        threads = (await s.exec(select(ReviewThread))).all()
    assert {(t.manager_id, t.subject_id, t.ts) for t in threads} == {
        ("U0MANAGER", "U0ALICE", people["Alice"].ts),
        ("U0MANAGER", "U0BOB", people["Bob"].ts),
    }
    await bot.tick(FRIDAY_DUE)
    assert len(bot.fake.messages("U0MANAGER")) == 3  # sent once
    bot.fake.assert_no_warnings()


async def test_reply_in_a_review_thread_becomes_a_private_note(bot):
    await seed(bot)
    _, people = await _manager_dm(bot)
    bob = people["Bob"]
    await bot.req.message_im("U0MANAGER", "Bob &amp; the team &lt;3 the setup", channel=bob.channel, thread_ts=bob.ts)
    (note,) = await _notes(bot)
    assert (note.author_id, note.subject_id, note.visibility, note.body) == (
        "U0MANAGER",
        "U0BOB",
        "private",
        "Bob & the team <3 the setup",
    )
    (confirm,) = bot.fake.messages(bob.channel, thread_ts=bob.ts)
    assert confirm.text.startswith(
        ":lock: Saved as a private review note about Bob. Only you, Bob's other line managers and HR"
    )
    assert bot.fake.messages("U0BOB") == []


async def test_add_review_note_modal_private_and_shared(bot):
    await seed(bot)
    _, people = await _manager_dm(bot)
    bob = people["Bob"]
    await bot.req.block_action("U0MANAGER", DigestId.ADD_NOTE, "U0BOB", message=bob)
    modal = bot.fake.open_views[-1]
    assert modal["callback_id"] == DigestId.NOTE_MODAL
    empty = await bot.req.view_submission(
        "U0MANAGER", DigestId.NOTE_MODAL, {DigestId.NOTE_BODY: {DigestId.NOTE_BODY_INPUT: " "}}
    )
    assert empty.body["response_action"] == "errors"

    await bot.req.view_submission("U0MANAGER", DigestId.NOTE_MODAL, _values("keep it up", "shared"))
    (note,) = await _notes(bot)
    assert note.visibility == "shared"
    intro, shared = bot.fake.messages("U0BOB")
    assert shared.thread_ts == intro.ts and "keep it up" in texts(shared) and "keep it up" not in texts(intro)
    confirm = bot.fake.messages(bob.channel, thread_ts=bob.ts)[-1]
    assert "shared with Bob in a private thread" in confirm.text
    bot.fake.assert_no_warnings()


def _values(text: str, visibility: str) -> dict:
    return {
        DigestId.NOTE_BODY: {DigestId.NOTE_BODY_INPUT: text},
        DigestId.NOTE_VISIBILITY: {
            DigestId.NOTE_VISIBILITY_INPUT: {"type": "radio_buttons", "selected_option": {"value": visibility}}
        },
    }


async def test_notes_refusal_says_nothing_about_whether_notes_exist(bot):
    await seed(bot)
    await bot.req.command("/okr", text="notes <@U0BOB|bob>", user_id="U0ALICE")
    await bot.req.command("/okr", text="note <@U0BOB|bob> good week", user_id="U0MANAGER")
    await bot.req.command("/okr", text="notes <@U0BOB|bob>", user_id="U0ALICE")
    await bot.req.command("/okr", text="notes <@U0BOB|bob>", user_id="U0BOB")
    refusals = [c.args["text"] for c in bot.fake.calls_to("response_url") if c.args.get("text", "").startswith(":warn")]
    assert len(refusals) == 3 and len(set(refusals)) == 1
    assert "line managers and HR" in refusals[0]
    await bot.req.command("/okr", text="notes <@U0BOB|bob> 2027-Q1", user_id="U0HR")
    assert "good week" in texts(bot.fake.calls_to("response_url")[-1].args["blocks"])
    await bot.req.command("/okr", text="notes <@U0BOB|bob> 2027-Q1", user_id="U0ADMIN")  # admin is not HR
    assert bot.fake.calls_to("response_url")[-1].args["text"] == refusals[0]


async def test_privacy_scan_over_a_full_week(bot, caplog):
    quiet_libraries("DEBUG")  # production logging config, at its most verbose
    caplog.set_level(logging.DEBUG)
    await seed(bot)
    await check_in(bot, await kr_id(bot, "Activation"), 40, datetime(2027, 1, 5, 9, tzinfo=UTC), comment=EVIL)
    _, people = await _manager_dm(bot)
    bob = people["Bob"]
    await bot.req.message_im("U0MANAGER", f"thread note {MARKER}", channel=bob.channel, thread_ts=bob.ts)
    await bot.req.block_action("U0MANAGER", DigestId.ADD_NOTE, "U0BOB", message=bob)
    await bot.req.view_submission("U0MANAGER", DigestId.NOTE_MODAL, _values(f"private {MARKER}", "private"))
    await bot.req.block_action("U0MANAGER", DigestId.ADD_NOTE, "U0BOB", message=bob)
    await bot.req.view_submission("U0MANAGER", DigestId.NOTE_MODAL, _values(f"shared {MARKER}", "shared"))
    await bot.req.command("/okr", text=f"note <@U0BOB|bob> command {MARKER}", user_id="U0MANAGER")
    allowed_from = len(bot.fake.calls)
    await bot.req.command("/okr", text="notes <@U0BOB|bob>", user_id="U0MANAGER")
    allowed = set(range(allowed_from, len(bot.fake.calls)))
    await bot.req.command("/okr", text="notes <@U0BOB|bob>", user_id="U0ALICE")
    await bot.req.command("/okr", text="digest growth", user_id="U0ALICE")
    await bot.req.command("/okr", text="team growth", user_id="U0ALICE")
    await bot.tick(datetime(2027, 1, 15, 15, 0, tzinfo=UTC))  # next week's digests

    assert len(await _notes(bot)) == 4
    seen = []
    for i, call in enumerate(bot.fake.calls):
        if MARKER not in json.dumps(call.args, ensure_ascii=False):
            continue
        to_bob_thread = call.method == "chat.postMessage" and call.args["channel"] in ("U0BOB", "D0BOB")
        assert i in allowed or (to_bob_thread and call.args.get("thread_ts")), (call.method, call.args)
        seen.append(call.method)
    assert seen.count("response_url") == 1 and seen.count("chat.postMessage") == 1  # manager's /okr notes; Bob's
    assert MARKER not in caplog.text
    assert MARKER not in await export_okrs(bot.db, fmt="yaml", include_review_notes=False, cycle=None)
    for message in bot.fake.messages():
        if message.channel != "D0BOB":
            assert MARKER not in json.dumps([message.text, message.blocks], ensure_ascii=False)


async def test_user_text_is_escaped_in_digest_and_manager_dm(bot):
    await seed(bot)
    await check_in(bot, await kr_id(bot, "Activation"), 40, datetime(2027, 1, 5, 9, tzinfo=UTC), comment=EVIL)
    await bot.tick(FRIDAY_DUE)
    posted = [c for c in bot.fake.calls_to("chat.postMessage") if c.args["channel"] in ("C0GROWTH", "U0MANAGER")]
    assert len(posted) >= 2
    for call in posted:
        raw = json.dumps([call.args["text"], call.args.get("blocks")])
        assert "<!channel>" not in raw and "<@U0ALICE>" not in raw and "<https://" not in raw
    assert "&lt;!channel&gt; &lt;@U0ALICE&gt; &lt;https://evil.example|your bank&gt;" in texts(
        bot.fake.messages("C0GROWTH")[0]
    )


# Item 8: escaping can make a note up to five times longer; it must still be shown, whole, to its readers.
HEAVY = " ".join(["a&b<c>d&&<<>>"] * 200) + " END-OF-NOTE"  # ~2,800 characters, ~600 of them & < >


def _words(text: str) -> str:
    return "".join(text.split())


def _note_text(blocks: list[dict]) -> str:
    """The note as the reader sees it: section texts with the quote marks and Slack's escaping undone."""
    raw = "\n".join(b["text"]["text"] for b in blocks[1:])
    lines = [line.removeprefix("> ") for line in raw.splitlines() if line.startswith("> ")]
    return unescape("\n".join(lines))


async def test_a_heavily_escaped_note_is_shown_whole(bot):
    await seed(bot)
    assert len(HEAVY) <= 3000 and len(esc(HEAVY)) > 6000
    meta = json.dumps({"subject": "U0BOB", "channel": "", "thread_ts": ""})
    await bot.req.view_submission("U0MANAGER", DigestId.NOTE_MODAL, _values(HEAVY, "shared"), private_metadata=meta)
    await bot.req.command("/okr", text="notes <@U0BOB|bob>", user_id="U0MANAGER")
    answer = bot.fake.calls_to("response_url")[-1]
    assert answer.ok, answer.response
    blocks = answer.args["blocks"]
    assert len(blocks) > 2 and all(len(b["text"]["text"]) <= 3000 for b in blocks)
    assert _words(_note_text(blocks)) == _words(HEAVY)  # nothing clipped, nothing garbled
    (shared,) = [m for m in bot.fake.messages("U0BOB") if m.thread_ts]  # the copy shared with Bob, whole too
    assert _words(_note_text([{}, *shared.blocks])) == _words(HEAVY)
    assert all(c.ok for c in bot.fake.calls), [(c.method, c.response) for c in bot.fake.calls if not c.ok]
    bot.fake.assert_no_warnings()


def _edit(bob, reply_ts: str, text: str) -> dict:
    message = {"type": "message", "user": "U0MANAGER", "text": text, "ts": reply_ts, "thread_ts": bob.ts}
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": bob.channel,
        "channel_type": "im",
        "message": message,
        "ts": str(float(reply_ts) + 1),
    }


async def test_editing_a_thread_reply_keeps_the_note_limit(bot):
    await seed(bot)
    _, people = await _manager_dm(bot)
    bob = people["Bob"]
    reply_ts = bot.fake.new_ts()
    await bot.req.message_im("U0MANAGER", "short note", channel=bob.channel, thread_ts=bob.ts, ts=reply_ts)
    await bot.req.event(_edit(bob, reply_ts, "x" * 3001))
    (note,) = await _notes(bot)
    assert note.body == "short note"
    warning = bot.fake.messages(bob.channel, thread_ts=bob.ts)[-1]
    assert "under 3000 characters" in warning.text and "keeps its earlier text" in warning.text
    await bot.req.event(_edit(bob, reply_ts, "better &amp; longer note"))
    (note,) = await _notes(bot)
    assert note.body == "better & longer note"
    await bot.req.message_im("U0MANAGER", "y" * 3001, channel=bob.channel, thread_ts=bob.ts)  # a new reply too
    assert len(await _notes(bot)) == 1
    assert "under 3000 characters" in bot.fake.messages(bob.channel, thread_ts=bob.ts)[-1].text
