"""A team of 300 owners, none of whom has checked in: the digest and the manager digests still go out.

The "not checked in" list grows with the team; over 3,000 characters Slack refuses the section, and
before the fix rendering raised, so the tick step crashed and the digest never went out, every week.
The fake Slack validates every block the way Slack does.
"""

from datetime import UTC, datetime

from tests.scenario.digest_seed import seed, texts

OWNERS = 300
FRIDAY_DUE = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)  # 16:00 in Berlin


def big_team(mention: bool) -> dict:
    ids = [f"U0P{i:04d}" for i in range(OWNERS)]
    team = {
        "name": "Big",
        "channel": "C0BIG",
        "timezone": "Europe/Berlin",
        "managers": ["U0MANAGER"],
        "members": ids,
        "checkin": {"day": "monday", "time": "10:00", "cadence": "weekly"},
        "digest": {"day": "friday", "time": "16:00"},
        "mention_missing": mention,
    }
    people = [{"id": u, "name": f"Person {u} of the rather large team", "tz": "Europe/Berlin"} for u in ids]
    people.append({"id": "U0MANAGER", "name": "Maya", "tz": "Europe/Berlin"})
    objectives = [
        {
            "title": f"Objective {o}",
            "team": "Big",
            "key_results": [
                {"title": f"KR of {u}", "owner": u, "start": 0, "target": 10} for u in ids[o * 30 : (o + 1) * 30]
            ],
        }
        for o in range(OWNERS // 30)
    ]
    cycle = {"name": "2027-Q1", "start": "2027-01-04", "end": "2027-04-02"}
    return {"cycle": cycle, "teams": [team], "people": people, "objectives": objectives}


async def _run(bot, mention: bool):
    await seed(bot, big_team(mention))
    report = await bot.tick(FRIDAY_DUE)
    (digest,) = bot.fake.messages("C0BIG")
    assert len(digest.blocks) <= 50
    assert all(len(t) <= 3000 for t in _section_texts(digest.blocks))
    manager_dm = bot.dm("U0MANAGER")
    assert len(manager_dm) == 1 + OWNERS  # the manager digest, then one section per person
    assert "Manager digest" in manager_dm[0].text
    bot.fake.assert_no_warnings()
    return report, texts(digest), texts(manager_dm[0])


def _section_texts(blocks) -> list[str]:
    return [b["text"]["text"] for b in blocks if b.get("type") == "section"]


async def test_digest_of_300_missing_names_is_capped_with_a_count(bot):
    _, digest, manager = await _run(bot, mention=False)
    assert "*Not checked in yet:* Person U0P0000 of the rather large team" in digest
    for text in (digest, manager):
        listed = text.rsplit("Not checked in yet:", 1)[1].count("of the rather large team")
        assert 100 < listed < OWNERS
        assert f"…and {OWNERS - listed} more" in text


async def test_digest_of_300_missing_mentions_goes_out(bot):
    _, digest, _ = await _run(bot, mention=True)
    assert "<@U0P0000>" in digest and "<@U0P0299>" in digest  # short mentions: all of them fit
