"""Issue 9, item 6: who may read and write review notes, through the real app (signed requests, fake Slack).

The cast makes the reporting line explicit: Lee leads Growth together with Pat (a peer manager) and reports to
Bea (`manager: U0BOSS` in the OKR file); Bea and Lee both manage Exec. Alice and Mo are Growth members.
Notes about X belong to X's line managers up the chain and to HR (OKRBOT_HR=U0HR); never to X, never to an
admin as such, never to anyone about themselves. Each refusal reads the same whether or not notes exist, and
note text reaches no Slack call except an entitled reader's own `/okr notes` answer.
"""

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import func, select

from bot.services.notes import REFUSAL
from bot.services.okr_io.importer import import_okrs
from storage.models import ReviewNote, ReviewThread
from tests.reliability.helpers import string_leaves
from tests.scenario.seed import CYCLE

FRIDAY_DUE = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)  # Friday 16:00 in Berlin
DIGEST = {"day": "friday", "time": "16:00"}
NAMES = {
    "U0ALICE": "Alice",
    "U0MEMBER": "Mo",
    "U0LEAD": "Lee",
    "U0PEER": "Pat",
    "U0BOSS": "Bea",
    "U0ADMIN": "Ada",
}


def kr(title: str, owner: str) -> dict:
    return {"title": title, "owner": owner, "start": 0, "target": 10}


def cast() -> dict:
    people = [{"id": pid, "name": name, "tz": "Europe/Berlin"} for pid, name in NAMES.items()]
    people[2]["manager"] = "U0BOSS"  # Lee reports to Bea
    team = {"timezone": "Europe/Berlin", "digest": DIGEST}
    return {
        "cycle": CYCLE,
        "teams": [
            {
                "name": "Growth",
                "channel": "C0GROWTH",
                "managers": ["U0LEAD", "U0PEER"],
                "members": ["U0ALICE", "U0MEMBER"],
                **team,
            },
            {"name": "Exec", "channel": "C0EXEC", "managers": ["U0BOSS", "U0LEAD"], **team},
        ],
        "people": [*people, "U0HR"],  # a bare id is a person entry too
        "objectives": [
            {
                "title": "Grow",
                "team": "Growth",
                "key_results": [kr(f"Growth KR {pid}", pid) for pid in ("U0ALICE", "U0MEMBER", "U0LEAD", "U0PEER")],
            },
            {
                "title": "Lead",
                "team": "Exec",
                "key_results": [kr(f"Exec KR {pid}", pid) for pid in ("U0BOSS", "U0LEAD")],
            },
        ],
    }


async def seed_cast(bot, data: dict | None = None) -> None:
    """Import the cast through the real importer, and register everyone in the fake Slack."""
    for pid, name in [*NAMES.items(), ("U0HR", "Hana")]:
        bot.fake.add_user(pid, name=name, tz="Europe/Berlin")
    report = await import_okrs(bot.svc, data or cast(), dry_run=False)
    assert report.created


# (viewer, subject, allowed)
CELLS = {
    "subject": ("U0ALICE", "U0ALICE", False),
    "line_manager": ("U0LEAD", "U0ALICE", True),
    "co_manager_of_her_team": ("U0PEER", "U0ALICE", True),
    "skip_level_manager": ("U0BOSS", "U0ALICE", True),
    "explicit_manager": ("U0BOSS", "U0LEAD", True),
    "peer_manager_about_peer": ("U0PEER", "U0LEAD", False),
    "peer_manager_about_peer_reverse": ("U0LEAD", "U0PEER", False),
    "report_on_boss_team_about_boss": ("U0LEAD", "U0BOSS", False),
    "manager_about_self": ("U0LEAD", "U0LEAD", False),
    "team_member": ("U0MEMBER", "U0ALICE", False),
    "admin": ("U0ADMIN", "U0ALICE", False),
    "admin_about_self": ("U0ADMIN", "U0ADMIN", False),
    "hr": ("U0HR", "U0ALICE", True),
    "hr_about_a_manager": ("U0HR", "U0BOSS", True),
    "hr_about_self": ("U0HR", "U0HR", False),
}


async def note_count(bot, *where) -> int:
    async with bot.db.transaction() as s:
        return (await s.exec(select(func.count()).select_from(ReviewNote).where(*where))).one()


def answers(bot, since: int) -> str:
    return "\n".join(string_leaves([c.args for c in bot.fake.calls[since:] if c.method == "response_url"]))


async def plant_note(bot, subject: str, body: str) -> None:
    """A note that exists whoever may write it (even one nobody may: about HR), stored as the service stores it."""
    async with bot.db.transaction() as s:
        s.add(ReviewNote(author_id="U0BOSS" if subject == "U0HR" else "U0HR", subject_id=subject, body=body))


def assert_marker_only_in(bot, marker: str, allowed_calls: set[int]) -> None:
    """The privacy scan: the marker is in no Slack call (nor stored message) but the allowed ones."""
    for i, call in enumerate(bot.fake.calls):
        if marker in json.dumps(call.args, ensure_ascii=False):
            assert i in allowed_calls, (marker, call.method, call.args.get("channel"))
    for message in bot.fake.messages():
        assert marker not in json.dumps([message.text, message.blocks], ensure_ascii=False), message.channel


@pytest.mark.parametrize("cell", list(CELLS))
async def test_reading_notes_by_role(bot, cell):
    viewer, subject, allowed = CELLS[cell]
    await seed_cast(bot)
    marker = f"MK-read-{cell}"
    mark = len(bot.fake.calls)
    await bot.req.command("/okr", f"notes <@{subject}|x>", user_id=viewer)
    before = answers(bot, mark)
    await plant_note(bot, subject, f"planted {marker}")
    mark = len(bot.fake.calls)
    await bot.req.command("/okr", f"notes <@{subject}|x>", user_id=viewer)
    after, entitled_calls = answers(bot, mark), set(range(mark, len(bot.fake.calls)))
    if allowed:
        assert "No review notes" in before and marker in after
    else:
        assert REFUSAL in before and before == after  # a refusal reveals nothing about whether notes exist
    assert_marker_only_in(bot, marker, entitled_calls if allowed else set())
    assert all(c.ok for c in bot.fake.calls), [(c.method, c.response) for c in bot.fake.calls if not c.ok]


@pytest.mark.parametrize("cell", list(CELLS))
async def test_writing_notes_by_role(bot, cell):
    viewer, subject, allowed = CELLS[cell]
    await seed_cast(bot)
    marker = f"MK-write-{cell}"
    mark = len(bot.fake.calls)
    await bot.req.command("/okr", f"note <@{subject}|x> wrote {marker}", user_id=viewer)
    said = answers(bot, mark)
    stored = await note_count(bot, ReviewNote.author_id == viewer, ReviewNote.subject_id == subject)
    assert stored == (1 if allowed else 0), said
    assert ("Saved as a private review note" in said) if allowed else (REFUSAL in said), said
    assert_marker_only_in(bot, marker, set())  # the confirmation never repeats the note


async def manager_threads(bot) -> dict[tuple[str, str], ReviewThread]:
    async with bot.db.transaction() as s:
        return {(t.manager_id, t.subject_id): t for t in (await s.exec(select(ReviewThread))).all()}


async def test_manager_digest_threads_only_for_people_the_manager_line_manages(bot):
    await seed_cast(bot)
    await bot.tick(FRIDAY_DUE)
    threads = await manager_threads(bot)
    # Not Pat about Lee or Lee about Pat (peers), not Lee about Bea (his boss, on a team he also manages).
    assert set(threads) == {
        ("U0LEAD", "U0ALICE"),
        ("U0LEAD", "U0MEMBER"),
        ("U0PEER", "U0ALICE"),
        ("U0PEER", "U0MEMBER"),
        ("U0BOSS", "U0LEAD"),
    }
    for (manager, subject), thread in threads.items():
        marker = f"MK-thread-{manager}-{subject}"
        await bot.req.message_im(manager, f"noted {marker}", channel=thread.channel, thread_ts=thread.ts)
        assert await note_count(bot, ReviewNote.author_id == manager, ReviewNote.subject_id == subject) == 1
        confirm = bot.fake.messages(thread.channel, thread_ts=thread.ts)[-1]
        assert "Saved as a private review note" in confirm.text
    # The Friday DMs themselves name people, never a note.
    for manager in ("U0LEAD", "U0PEER", "U0BOSS"):
        for message in bot.fake.messages(manager):
            if message.thread_ts is None:
                assert "MK-thread" not in json.dumps([message.text, message.blocks])
    bot.fake.assert_no_warnings()


async def test_reply_in_an_old_thread_after_the_reporting_line_moved_is_refused(bot):
    await seed_cast(bot)
    await bot.tick(FRIDAY_DUE)
    lee_on_alice = (await manager_threads(bot))[("U0LEAD", "U0ALICE")]
    data = cast()
    data["people"][0]["manager"] = "U0BOSS"  # Alice now reports to Bea directly: Lee and Pat lose her notes
    await import_okrs(bot.svc, data, dry_run=False)
    await bot.req.message_im("U0LEAD", "MK-moved thread note", channel=lee_on_alice.channel, thread_ts=lee_on_alice.ts)
    assert await note_count(bot, ReviewNote.subject_id == "U0ALICE") == 0
    (refusal,) = bot.fake.messages(lee_on_alice.channel, thread_ts=lee_on_alice.ts)
    assert REFUSAL in refusal.text and "MK-moved" not in refusal.text
    mark = len(bot.fake.calls)
    await bot.req.command("/okr", "notes <@U0ALICE|alice>", user_id="U0BOSS")
    assert "No review notes" in answers(bot, mark)  # Bea, now her direct manager, reads (none yet)


async def test_home_review_people_lists_only_line_reports(bot):
    await seed_cast(bot)
    await bot.req.block_action("U0PEER", "okr.home.review_notes", view={"id": "V0", "type": "home"})
    listed = "\n".join(string_leaves(bot.fake.open_views[-1]))
    assert "Alice" in listed and "Mo" in listed and "Lee" not in listed
