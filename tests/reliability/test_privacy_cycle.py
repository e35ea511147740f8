"""Item 10b: the privacy scan over a whole simulated cycle (13 weeks of 2027-Q1).

Every week: the Monday prompts, thread-reply check-ins, the Friday digests (team + manager), three review
notes with unique markers (review-thread reply, Add review note modal alternately private/shared, /okr note),
other people's commands and everyone's Home tab. Then the final-week score prompts and `okrbot export` in every
format. Each marker may appear only in the manager's own DM, in `/okr notes` answers to the manager or HR,
and (for shared notes) in Bob's own DM thread; never in any other Slack call, stored message, export
or log line.

The role matrix of issue 9 item 6 runs every week too: the admin (not HR) asks for Bob's notes; Pat, who
manages Growth alongside Maya, asks for the notes HR keeps about Maya; HR itself asks for notes about itself.
None of them is entitled, so none of those markers may appear anywhere.
"""

import asyncio
import json
import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlmodel import select

from bot.cli import main
from bot.logs import quiet_libraries
from bot.slack.ids import DigestId
from storage.migrate import alembic_config
from storage.models import ReviewNote, ReviewThread, SendLedger
from tests.scenario.seed import at, okr_data, seed

CYCLE_START = date(2027, 1, 4)
TEAM = {"channel": "C0GROWTH", "digest": {"day": "friday", "time": "16:00"}, "managers": ["U0MANAGER", "U0PEER"]}
PEOPLE = [{"id": "U0PEER", "name": "Pat", "tz": "Europe/Berlin"}]
EXTRA_KR = {"title": "Help articles to 20", "owner": "U0ALICE", "start": 0, "target": 20}
OWNERS = {"U0ALICE": "Europe/Berlin", "U0BOB": "America/New_York"}
ONLOOKERS = ["U0ALICE", "U0BOB", "U0EVE", "U0ADMIN"]  # the admin is not a note reader
READERS = ("U0MANAGER", "U0HR")
MANAGER_DM = ("U0MANAGER", "D0MANAGER")
BOB_DM = ("U0BOB", "D0BOB")


def local(day: date, wall: time, tz: str) -> datetime:
    return datetime.combine(day, wall, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def modal_values(text: str, visibility: str) -> dict:
    return {
        DigestId.NOTE_BODY: {DigestId.NOTE_BODY_INPUT: text},
        DigestId.NOTE_VISIBILITY: {
            DigestId.NOTE_VISIBILITY_INPUT: {"type": "radio_buttons", "selected_option": {"value": visibility}}
        },
    }


async def _prompt(bot, user: str, period: date) -> SendLedger:
    async with bot.db.transaction() as s:
        query = select(SendLedger).where(
            SendLedger.recipient == user, SendLedger.kind == "prompt", SendLedger.period == period.isoformat()
        )
        return (await s.exec(query)).one()


async def _bob_thread(bot) -> ReviewThread:
    async with bot.db.transaction() as s:
        query = (
            select(ReviewThread)
            .where(ReviewThread.subject_id == "U0BOB", ReviewThread.manager_id == "U0MANAGER")
            .order_by(ReviewThread.id.desc())
        )
        return (await s.exec(query)).first()


class Run:
    """The simulated cycle, remembering which Slack calls may carry note text."""

    def __init__(self, bot) -> None:
        self.bot = bot
        self.allowed_calls: set[int] = set()  # /okr notes answers about Bob to the manager or HR
        self.markers: list[str] = []
        self.shared: set[str] = set()

    async def week(self, n: int) -> None:
        bot, monday = self.bot, CYCLE_START + timedelta(weeks=n)
        for tz in OWNERS.values():
            await bot.tick(local(monday, time(10), tz))
        bot.svc.clock = at(local(monday, time(18), "Europe/Berlin"))
        for user, text in (("U0ALICE", f"1: {31 + n} on track\n2: {n} at risk, docs"), ("U0BOB", f"{5 * n}")):
            row = await _prompt(bot, user, monday)
            assert (await bot.req.message_im(user, text, channel=row.channel, thread_ts=row.ts)).status == 200
        await bot.tick(local(monday + timedelta(days=4), time(16), "Europe/Berlin"))
        await self.notes(n)
        for user in ONLOOKERS:
            for text in ("team", "mine", "<@U0BOB|bob>", "digest", "notes <@U0BOB|bob>"):
                await bot.req.command("/okr", text, user_id=user)
        for user in [*ONLOOKERS, "U0MANAGER", "U0PEER"]:
            await bot.req.event({"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home"})
        await self.unentitled(n)
        await self.read_notes(READERS[n % 2])

    async def unentitled(self, n: int) -> None:
        """HR writes about Maya; Pat (her fellow Growth manager) and HR (about itself) try to read."""
        bot, about_maya = self.bot, f"MK{n:02d}hrZ"
        self.markers.append(about_maya)
        await bot.req.command("/okr", f"note <@U0MANAGER|maya> {about_maya}", user_id="U0HR")
        await bot.req.command("/okr", "notes <@U0MANAGER|maya>", user_id="U0PEER")
        await bot.req.command("/okr", f"note <@U0HR|hana> self {n}", user_id="U0HR")
        await bot.req.command("/okr", "notes <@U0HR|hana>", user_id="U0HR")

    async def notes(self, n: int) -> None:
        bot, thread = self.bot, await _bob_thread(self.bot)
        thread_marker, modal_marker, cmd_marker = (f"MK{n:02d}{kind}Z" for kind in ("thread", "modal", "cmd"))
        self.markers += [thread_marker, modal_marker, cmd_marker]
        await bot.req.message_im("U0MANAGER", f"note {thread_marker}", channel=thread.channel, thread_ts=thread.ts)
        visibility = "shared" if n % 2 else "private"
        if visibility == "shared":
            self.shared.add(modal_marker)
        parent = bot.fake.message(thread.channel, thread.ts)
        await bot.req.block_action("U0MANAGER", DigestId.ADD_NOTE, "U0BOB", message=parent)
        resp = await bot.req.view_submission("U0MANAGER", DigestId.NOTE_MODAL, modal_values(modal_marker, visibility))
        assert not resp.body, resp.body
        await bot.req.command("/okr", f"note <@U0BOB|bob> {cmd_marker}", user_id="U0MANAGER")

    async def read_notes(self, reader: str) -> str:
        start = len(self.bot.fake.calls)
        await self.bot.req.command("/okr", "notes <@U0BOB|bob>", user_id=reader)
        new = range(start, len(self.bot.fake.calls))
        self.allowed_calls |= {i for i in new if self.bot.fake.calls[i].method == "response_url"}
        return json.dumps([self.bot.fake.calls[i].args for i in new], ensure_ascii=False)


def allowed(run: Run, i: int, call, marker: str) -> bool:
    """(a) the manager's own DM, (b) /okr notes to the manager/HR, (c) Bob's own DM thread, if shared."""
    if marker.endswith("hrZ"):  # about Maya: nobody in this story may read those
        return False
    channel = call.args.get("channel")
    if i in run.allowed_calls:
        return True
    if call.method in ("chat.postMessage", "chat.update") and channel in MANAGER_DM:
        return True
    return (
        call.method == "chat.postMessage" and channel in BOB_DM and call.args.get("thread_ts") and marker in run.shared
    )


def export_all(bot, tmp_path) -> str:
    # The harness builds its schema with create_all; the CLI migrates first, so mark it as at head
    # (tests/storage/test_schema.py keeps the models and the migration identical).
    command.stamp(alembic_config(bot.settings.database_url), "head")
    out = []
    for fmt in ("yaml", "json", "csv"):
        path = tmp_path / f"export.{fmt}"
        assert main(["export", "--format", fmt, "--out", str(path)]) == 0
        out.append(path.read_text())
    return "\n".join(out)


@pytest.mark.slow
async def test_notes_stay_private_over_a_whole_cycle(bot, caplog, monkeypatch, tmp_path):
    quiet_libraries("DEBUG")  # production logging config, at its most verbose
    caplog.set_level(logging.DEBUG)
    data = okr_data(team=TEAM, extra_krs=[EXTRA_KR], people=PEOPLE)
    await seed(bot, data)
    bot.fake.add_user("U0ADMIN", name="Ada")
    run = Run(bot)
    for n in range(13):
        await run.week(n)
    last_saturday = date(2027, 3, 27)
    for tz in OWNERS.values():
        await bot.tick(local(last_saturday, time(10), tz))
    everything = await run.read_notes("U0MANAGER")
    monkeypatch.setenv("DATABASE_URL", bot.settings.database_url)
    exports = await asyncio.to_thread(export_all, bot, tmp_path)

    async with bot.db.transaction() as s:
        notes = (await s.exec(select(ReviewNote))).all()
        scores = (await s.exec(select(SendLedger).where(SendLedger.kind == "score_prompt"))).all()
        digests = (await s.exec(select(SendLedger).where(SendLedger.kind == "digest"))).all()
    assert len(notes) == 52 and {n.visibility for n in notes} == {"private", "shared"}  # 39 about Bob, 13 Maya
    assert sorted({(n.author_id, n.subject_id) for n in notes}) == [("U0HR", "U0MANAGER"), ("U0MANAGER", "U0BOB")]
    assert sorted(r.recipient for r in scores if r.status == "sent") == ["U0ALICE", "U0BOB"]
    assert len([d for d in digests if d.status == "sent"]) == 13
    assert all(m in everything for m in run.markers if not m.endswith("hrZ"))  # Maya reads every note back
    bob_threads = json.dumps(
        [[m.text, m.blocks] for m in bot.fake.messages("U0BOB") if m.thread_ts], ensure_ascii=False
    )
    assert len(run.shared) == 6 and all(m in bob_threads for m in run.shared)  # the scan sees real deliveries

    for i, call in enumerate(bot.fake.calls):
        raw = json.dumps(call.args, ensure_ascii=False)
        for marker in (m for m in run.markers if m in raw):
            assert allowed(run, i, call, marker), (marker, call.method, call.args.get("channel"), call.url)
    for message in bot.fake.messages() + bot.fake.ephemeral_messages():
        raw = json.dumps([message.text, message.blocks, message.edits], ensure_ascii=False)
        for marker in (m for m in run.markers if m in raw):
            in_bob_thread = message.channel == "D0BOB" and message.thread_ts and marker in run.shared
            to_reader = message.ephemeral_user in READERS and not marker.endswith("hrZ")  # /okr notes answers
            seen_by_entitled = message.channel == "D0MANAGER" or in_bob_thread or to_reader
            assert seen_by_entitled and not marker.endswith("hrZ"), (marker, message.channel)
    for marker in run.markers:
        assert marker not in exports and marker not in caplog.text, marker
    assert all(c.ok for c in bot.fake.calls), [(c.method, c.response) for c in bot.fake.calls if not c.ok][:3]
    bot.fake.assert_no_warnings()
