"""The connector's limits and faults: okrbot paces per tenant and conversation, waits out 429s in the bucket they
came from, retries what Microsoft says to retry, and never resends a message a 500 may have delivered.

The fake connector enforces Teams' limits when asked (per conversation and per tenant, 429 + Retry-After past
them) and can deliver an activity and still answer 500 (the ambiguous case). Every story ends by counting what
landed in each chat: none lost, none twice.
"""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.services.okr_io.importer import import_okrs
from bot.teams.sender import MAYBE
from storage.models import CheckIn, SendLedger
from tests.harness import running_bot
from tests.teams.activities import CHAT, install, message, post
from tests.teams.crowd import as_person, crowd, okrs
from tests.teams.test_teams_checkin import MONDAY_10_BERLIN, OKRS

MONDAY_10_UTC = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


@pytest.fixture
async def paced_bot(fake_slack, tmp_path, connector):
    """okrbot with Teams paced as in production (TEAMS_MAX_MESSAGES_PER_SECOND's default)."""
    async with running_bot(fake_slack, tmp_path / "bot.db", TEAMS_ALLOW_UNAUTHENTICATED="true") as harness:
        harness.connector = connector
        harness.svc.notifier.teams.backoff = 0.01  # the 5xx retry schedule, shortened for the test
        yield harness


async def _prompts(bot) -> list[SendLedger]:
    async with bot.db.read() as s:
        return (await s.exec(select(SendLedger).where(SendLedger.kind == "prompt"))).all()


async def _alice_ready(bot) -> None:
    await import_okrs(bot.svc, OKRS, dry_run=False)
    await post(bot, install(bot.connector))


async def test_a_fan_out_in_one_tenant_is_paced_and_every_prompt_lands_once(paced_bot):
    people = crowd(60)
    await import_okrs(paced_bot.svc, okrs(people), dry_run=False)
    for p in people:
        await post(paced_bot, as_person(install(paced_bot.connector, tz="UTC"), p))
    paced_bot.connector.limits = {"tenant": (50, 1.0), "conversation": (7, 1.0)}  # Teams' documented limits
    await paced_bot.tick(MONDAY_10_UTC)
    await paced_bot.tick(MONDAY_10_UTC + timedelta(minutes=1))  # anything left to a later tick goes now
    landed = Counter({chat: len(acts) for chat, acts in paced_bot.connector.delivered.items()})
    assert landed == Counter({p["chat"]: 1 for p in people})  # none lost, none twice
    assert {r.status for r in await _prompts(paced_bot)} == {"sent"}
    # Any 429 the fake's clock still saw (a busy machine bunches sends) was waited out, not lost: reported only.
    print(f"connector 429s during a 60-person fan-out: {paced_bot.connector.throttled}")


async def test_a_429_holds_that_conversation_for_retry_after_then_the_prompt_lands_once(paced_bot):
    await _alice_ready(paced_bot)
    paced_bot.connector.fail_next = [(429, {"Retry-After": "0.2"}, {"error": {"code": "Throttled"}})]
    await paced_bot.tick(MONDAY_10_BERLIN)
    assert len(paced_bot.connector.delivered[CHAT]) == 1
    (pacer,) = paced_bot.svc.notifier.teams.pacers.values()  # one tenant, one pacer
    assert pacer.rate_limited == 1  # the retry went through the pacer's hold, not a blind sleep
    assert [(r.status, r.ts) for r in await _prompts(paced_bot)] == [("sent", "act-1")]


async def test_a_retry_after_longer_than_okrbot_waits_leaves_the_prompt_to_a_later_tick(paced_bot):
    await _alice_ready(paced_bot)
    paced_bot.connector.fail_next = [(429, {"Retry-After": "120"}, {"error": {"code": "Throttled"}})]
    await paced_bot.tick(MONDAY_10_BERLIN)
    (row,) = await _prompts(paced_bot)
    assert (row.status, row.error) == ("failed", "teams_429 Throttled")
    assert CHAT not in paced_bot.connector.delivered
    await paced_bot.tick(MONDAY_10_BERLIN + timedelta(minutes=5))
    assert len(paced_bot.connector.delivered[CHAT]) == 1


@pytest.mark.parametrize("status", [412, 502, 503, 504])
async def test_what_microsoft_says_to_retry_is_retried_and_lands_once(paced_bot, status):
    await _alice_ready(paced_bot)
    paced_bot.connector.fail_next = [(status, {}, {"error": {"code": "Transient"}})] * 2
    await paced_bot.tick(MONDAY_10_BERLIN)
    assert len(paced_bot.connector.delivered[CHAT]) == 1
    assert (await _prompts(paced_bot))[0].status == "sent"


async def test_a_500_after_delivery_is_maybe_delivered_never_resent_and_the_reply_still_counts(paced_bot):
    await _alice_ready(paced_bot)
    paced_bot.connector.fail_after_delivery = [(500, {}, {"error": {"code": "InternalServerError"}})]
    await paced_bot.tick(MONDAY_10_BERLIN)
    (row,) = await _prompts(paced_bot)
    assert (row.status, row.ts) == ("sent", f"{MAYBE}{row.id}")  # recorded as maybe delivered, under a stand-in id
    assert paced_bot.svc.notifier.teams.maybe_delivered == 1
    for minutes in (1, 15, 60):  # later ticks (reconcile included) never post it again
        await paced_bot.tick(MONDAY_10_BERLIN + timedelta(minutes=minutes))
    assert len(paced_bot.connector.delivered[CHAT]) == 1

    paced_bot.svc.clock = lambda: MONDAY_10_BERLIN + timedelta(hours=2)
    assert await post(paced_bot, message(paced_bot.connector, "42, on track")) == 200  # Alice did get it
    async with paced_bot.db.read() as s:
        (ci,) = (await s.exec(select(CheckIn))).all()
    assert ci.value == 42
    prompt, confirmation = paced_bot.connector.delivered[CHAT]
    assert "Recorded" in confirmation["text"]


async def test_a_send_a_crash_left_unconfirmed_is_settled_as_maybe_delivered_not_resent(paced_bot):
    await _alice_ready(paced_bot)
    await paced_bot.tick(MONDAY_10_BERLIN)
    async with paced_bot.db.transaction() as s:  # as if the process died between the connector's answer and the record
        (row,) = (await s.exec(select(SendLedger).where(SendLedger.kind == "prompt"))).all()
        row.status, row.ts = "unknown", None
        s.add(row)
    report = await paced_bot.tick(MONDAY_10_BERLIN + timedelta(minutes=1))
    assert any(
        "may have been delivered (no history to check): recorded sent, not resent" in line for line in report.lines
    )
    (row,) = await _prompts(paced_bot)
    assert (row.status, row.ts) == ("sent", f"{MAYBE}{row.id}")
    assert len(paced_bot.connector.delivered[CHAT]) == 1


async def test_an_answer_lost_after_delivery_is_maybe_delivered_and_not_resent(paced_bot):
    await _alice_ready(paced_bot)
    paced_bot.connector.drop_after_delivery = 1  # the connection drops after the connector posted the card
    await paced_bot.tick(MONDAY_10_BERLIN)
    await paced_bot.tick(MONDAY_10_BERLIN + timedelta(minutes=1))
    (row,) = await _prompts(paced_bot)
    assert (row.status, row.ts) == ("sent", f"{MAYBE}{row.id}")
    assert len(paced_bot.connector.delivered[CHAT]) == 1
