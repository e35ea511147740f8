"""Issue 15: `okrbot serve --web-only` answers and keeps requests; `okrbot work` processes do their work.

The web process then spends its core on acks alone (docs/performance.md: ack p99 under 50 ms with one work process
beside it). Real subprocesses on one SQLite file, against the fake Slack over loopback: what the web process
acked is done by a work process, a modal still opens straight after its click, and a work process killed mid-work
loses and doubles nothing.
"""

import asyncio
import signal
import sqlite3
import subprocess
import sys
from collections import Counter

import aiohttp
import pytest

from benchmarks.serve_process import SIGNING_SECRET, free_port
from bot.slack.ids import Action
from tests.fakes.signing import SlackRequests
from tests.fakes.state import buttons
from tests.reliability.helpers import wait_for
from tests.reliability.test_inbox_durability import (
    okrbot_env,
    open_inbox_items,
    prompted_org,
    reply_to_every_prompt,
    start_serve,
    stored,
)

pytestmark = pytest.mark.slow

WEB_ONLY = "--web-only"
MODAL = {"value": {"value": "77"}, "comment": {"comment": "from the modal"}}


def start_work(fake, db_url: str, *flags: str, **extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "bot", "work", "--no-scheduler", *flags]
    return subprocess.Popen(cmd, env=okrbot_env(fake, db_url, **extra), stdout=subprocess.DEVNULL)


def owners_of_done_items(path) -> set[str]:
    """The pid part of each finished item's owner (host:pid:token): which process did the work."""
    with sqlite3.connect(path) as db:
        return {owner.split(":")[1] for (owner,) in db.execute("SELECT owner FROM inbox_item WHERE state = 'done'")}


def stop(*procs: subprocess.Popen) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


async def test_what_a_web_only_serve_acks_a_work_process_does_and_its_modals_still_open(fake_slack, tmp_path):
    org, prompts = await prompted_org(fake_slack, tmp_path, owners=20)
    fake_slack.reset_calls()
    web, url = await start_serve(fake_slack, org.url, WEB_ONLY)
    work = None
    try:
        async with aiohttp.ClientSession() as http:
            req = SlackRequests(url, SIGNING_SECRET, fake=fake_slack, session=http)
            *repliers, clicker = sorted(prompts)
            statuses = [(await req.message_im(u, "42", thread_ts=prompts[u].ts)).status for u in repliers]
            assert statuses == [200] * len(repliers)

            # A click that opens a modal is not queued: the web process itself opens it straight after the ack.
            prompt = prompts[clicker]
            trigger = fake_slack.issue_trigger_id()
            value = buttons(prompt)[Action.UPDATE_KR]
            clicked = await req.block_action(clicker, Action.UPDATE_KR, value, message=prompt, trigger_id=trigger)
            assert clicked.status == 200
            await wait_for(lambda: any(c.args.get("trigger_id") == trigger for c in fake_slack.calls_to("views.open")))
            (view,) = [v for v in fake_slack.open_views if v["callback_id"] == "okr.checkin.modal"]
            submitted = await req.view_submission(clicker, view["callback_id"], MODAL, view_id=view["id"])
            assert submitted.status == 200 and not submitted.body

            await asyncio.sleep(1.5)  # a serve that did its own work would have recorded them all by now
            assert stored(org.path) == Counter() and open_inbox_items(org.path) == len(repliers) + 1

            health_port = free_port()
            work = start_work(fake_slack, org.url, "--health-port", str(health_port))
            health = f"http://127.0.0.1:{health_port}"
            await wait_for(lambda: open_inbox_items(org.path) == 0, timeout=60)
            async with http.get(f"{health}/healthz") as probed:  # for a container's probe: the database is writable
                assert (probed.status, await probed.json()) == (200, {"ok": True})
            async with http.post(f"{health}/slack/events", data=b"{}") as refused:  # it answers no requests
                assert refused.status == 404
    finally:
        stop(web, *([work] if work else []))

    assert stored(org.path) == Counter(repliers)  # each reply once
    with sqlite3.connect(org.path) as db:
        ((modal_value, source),) = db.execute("SELECT value, source FROM check_in WHERE comment = 'from the modal'")
    assert (modal_value, source) == (77, "modal")
    assert owners_of_done_items(org.path) == {str(work.pid)}  # the web process did none of it
    confirmed = Counter(m.channel for m in fake_slack.messages() if m.thread_ts and "Recorded" in m.text)
    # Every check-in confirmed in its thread once, the modal's included.
    assert sorted(confirmed) == sorted(fake_slack.dm_channel(u) for u in prompts) and set(confirmed.values()) == {1}


async def test_two_work_processes_one_killed_mid_work_lose_and_double_nothing(fake_slack, tmp_path):
    org, prompts = await prompted_org(fake_slack, tmp_path, owners=80)
    fake_slack.reset_calls()
    fake_slack.hang_next("chat.postMessage", times=100_000, seconds=0.3)  # slow Slack: work piles up in both
    web, url = await start_serve(fake_slack, org.url, WEB_ONLY)
    victim, survivor = start_work(fake_slack, org.url), start_work(fake_slack, org.url)
    try:
        assert await reply_to_every_prompt(fake_slack, url, prompts) == [200] * len(prompts)
        held_sql = f"SELECT count(*) FROM inbox_item WHERE state = 'claimed' AND owner LIKE '%:{victim.pid}:%'"

        def victim_busy() -> bool:
            with sqlite3.connect(org.path) as db:
                return db.execute(held_sql).fetchone()[0] > 0

        await wait_for(victim_busy, timeout=60, every=0.05)  # each item holds a 0.3 s Slack call: still in flight
        victim.send_signal(signal.SIGKILL)
        assert await asyncio.to_thread(victim.wait, 30) == -signal.SIGKILL
        assert victim_busy(), "the kill came after the victim's work was done: the test proves nothing"
        fake_slack.clear_faults()
        await wait_for(lambda: open_inbox_items(org.path) == 0, timeout=120, every=0.2)  # its leases lapse: retaken
    finally:
        stop(web, victim, survivor)

    per_author = stored(org.path)
    assert sorted(per_author) == sorted(prompts), "lost: " + ", ".join(sorted(set(prompts) - set(per_author)))
    assert set(per_author.values()) == {1}, "doubled: " + str([a for a, n in per_author.items() if n > 1])
    assert str(survivor.pid) in owners_of_done_items(org.path)
    confirmations = Counter(m.channel for m in fake_slack.messages() if m.thread_ts and "Recorded" in m.text)
    assert max(confirmations.values()) == 1  # none confirmed twice
