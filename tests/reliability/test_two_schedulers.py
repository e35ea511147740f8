"""Item 6: two `okrbot tick --at` processes for the same instants on one database send nothing twice."""

import asyncio
import os
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.scenario import digest_seed
from tests.scenario.seed import ledger_rows

ROOT = Path(__file__).parents[2]
INSTANTS = [
    "2027-01-11T09:00Z",  # Monday 10:00 Berlin: Alice's prompt
    "2027-01-11T15:00Z",  # Monday 10:00 New York: Bob's prompt
    "2027-01-15T15:00Z",  # Friday 16:00 Berlin: Growth's digest and Maya's manager digest
    "2027-01-21T20:00Z",  # Thursday 15:00 New York: Platform's biweekly digest
]


async def scheduler(bot, cwd: Path) -> None:
    """One scheduler process: `okrbot tick --at` for each instant in turn."""
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": bot.fake.token,
        "SLACK_API_URL": bot.fake.base_url,
        "DATABASE_URL": bot.settings.database_url,
        "PYTHONPATH": str(ROOT),
    }
    script = " && ".join(f"{sys.executable} -m bot tick --at {at}" for at in INSTANTS)
    proc = await asyncio.create_subprocess_shell(
        script, cwd=cwd, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), timeout=600)  # interpreter starts on 2 busy cores
    assert proc.returncode == 0, err.decode()[-2000:]
    return proc.returncode


@pytest.mark.slow
async def test_two_schedulers_for_the_same_instants_send_each_thing_once(bot, tmp_path):
    await digest_seed.seed(bot)
    await asyncio.gather(scheduler(bot, tmp_path), scheduler(bot, tmp_path))

    posts = [c for c in bot.fake.calls_to("chat.postMessage") if c.ok]
    same = Counter((c.args["channel"], c.args.get("thread_ts"), c.args["text"]) for c in posts)
    assert [key for key, n in same.items() if n > 1] == []
    assert len(bot.fake.messages("C0GROWTH")) == 1 and len(bot.fake.messages("C0PLATFORM")) == 1
    for person in ("U0ALICE", "U0BOB"):
        prompts = [m for m in bot.dm(person) if m.thread_ts is None and "check-in" in (m.text or "").lower()]
        assert len(prompts) == 1, (person, [m.text for m in bot.dm(person)])
    for kind in ("prompt", "digest", "manager_digest"):
        rows = await ledger_rows(bot, kind)
        keys = Counter((r.recipient, r.period) for r in rows)
        assert rows and max(keys.values()) == 1, kind
        assert {r.status for r in rows} <= {"sent", "skipped"}, [(r.recipient, r.status, r.error) for r in rows]
    bot.fake.assert_no_warnings()
