"""Item 5 for the methods a check-in's effects call: an odd answer to chat.update (the posted digest's edit)
or views.publish (the Home tab) never loses the check-in or duplicates the confirmation; the next check-in
brings the digest up to date."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from storage.models import CheckIn
from tests.fakes.slack_api import HTML_503
from tests.scenario import digest_seed
from tests.scenario.seed import opens_home

FRIDAY_16_BERLIN = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)
MONDAY_10_BERLIN = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
KINDS = ["text_503", "html_503", "bad_json_200", "text_200", "ok_without_fields", "drop"]


def _fault(fake, method: str, kind: str) -> None:
    if kind == "text_503":
        fake.answer_next(method, 4, status=503, content_type="text/plain", body="upstream error")
    elif kind == "html_503":
        fake.answer_next(method, 4, status=503, content_type="text/html", body=HTML_503)
    elif kind == "bad_json_200":
        fake.answer_next(method, status=200, content_type="application/json", body="{", after=True)
    elif kind == "text_200":
        fake.answer_next(method, status=200, content_type="text/plain", body="ok")
    elif kind == "ok_without_fields":
        fake.ok_without_fields_next(method)
    elif kind == "drop":
        fake.drop_next(method, times=4)


@pytest.mark.parametrize("method", ["chat.update", "views.publish"])
@pytest.mark.parametrize("kind", KINDS)
async def test_an_odd_answer_to_a_check_in_effect_loses_nothing(bot, method, kind):
    await digest_seed.seed(bot)
    await bot.tick(FRIDAY_16_BERLIN)
    (digest,) = bot.fake.messages("C0GROWTH")
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = [m for m in bot.dm("U0ALICE") if m.thread_ts is None]
    bot.svc.clock = lambda: MONDAY_10_BERLIN + timedelta(hours=1)
    await opens_home(bot, "U0ALICE")  # so her check-ins refresh the Home tab (views.publish) too
    _fault(bot.fake, method, kind)

    await bot.req.message_im("U0ALICE", "1: 41", thread_ts=prompt.ts)
    await bot.req.message_im("U0ALICE", "1: 43", thread_ts=prompt.ts)

    async with bot.db.transaction() as s:
        values = sorted(c.value for c in (await s.exec(select(CheckIn))).all() if c.value in (41, 43))
    assert values == [41, 43]  # lost = 0
    confirmations = bot.fake.messages("U0ALICE", thread_ts=prompt.ts)
    assert len(confirmations) == 2  # duplicated = 0: one confirmation per reply
    assert len(bot.fake.messages("C0GROWTH")) == 1  # the digest is edited in place, never reposted
    assert bot.fake.message(digest.channel, digest.ts).edits  # the later check-in's edit went through
