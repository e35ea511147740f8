"""Issue 10, item 1: a full inbox answers Slack 503 and never acks what it did not keep.

OKRBOT_INBOX_LIMIT bounds the requests waiting in the inbox. Past it, a request is refused with 503 (not 200):
Slack redelivers an event, so nothing acked is lost; a person's command is answered "busy, try again" as well.
"""

from sqlalchemy import func, select

from storage.models import InboxItem
from tests.harness import running_bot
from tests.scenario.seed import MONDAY_10_BERLIN, at, seed


async def kept(bot) -> int:
    async with bot.db.read() as s:
        return (await s.execute(select(func.count()).select_from(InboxItem))).scalar_one()


async def test_past_the_inbox_limit_requests_get_503_and_are_kept_once_there_is_room(fake_slack, tmp_path):
    async with running_bot(fake_slack, tmp_path / "bot.db", inbox=False, OKRBOT_INBOX_LIMIT="2") as bot:
        await seed(bot)
        await bot.tick(MONDAY_10_BERLIN)
        bot.svc.clock = at(MONDAY_10_BERLIN)
        (prompt,) = bot.dm("U0ALICE")
        fake_slack.reset_calls()
        bot.req.settle = None  # nothing processes the inbox here: each request returns at its ack
        for i, event_id in enumerate(("Ev0A1", "Ev0A2")):
            sent = await bot.req.message_im("U0ALICE", str(40 + i), thread_ts=prompt.ts, event_id=event_id)
            assert sent.status == 200
        full = await bot.req.message_im("U0ALICE", "42", thread_ts=prompt.ts, event_id="Ev0A3")
        assert full.status == 503  # not acked: Slack will redeliver it
        assert await kept(bot) == 2
        assert fake_slack.calls_to("chat.postMessage") == []  # an event is refused quietly

        command = await bot.req.command("/okr", "mine", user_id="U0ALICE")
        assert command.status == 503
        (told,) = fake_slack.calls_to("response_url")
        assert "busy" in told.args["text"] and told.args.get("response_type") == "ephemeral"
        assert await kept(bot) == 2
