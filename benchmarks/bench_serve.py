"""Memory and start-up: `okrbot serve` with the big org, from exec to /healthz, and peak RSS under load."""

import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.org import build_org
from benchmarks.report import Result
from benchmarks.serve_process import SIGNING_SECRET, peak_rss_mb, serve
from tests.fakes.signing import SlackRequests
from tests.fakes.slack_api import FakeSlack


async def run(tiny: bool) -> Result:
    teams, per_team = (3, 5) if tiny else (500, 20)
    requests = 20 if tiny else 2000
    result = Result("serve", "Memory and start-up of okrbot serve", {"teams": teams, "krs": teams * per_team})
    with tempfile.TemporaryDirectory() as tmp:
        org = build_org(Path(tmp) / "org.db", teams=teams, krs_per_team=per_team, checkins_per_kr=10)
        await asyncio.to_thread(upgrade_stamp, org.url)  # alembic drives its own event loop
        async with FakeSlack() as fake, serve(org.url, fake.base_url, fake.token) as (url, proc, ready):
            req = SlackRequests(url, SIGNING_SECRET, fake=fake)
            started = time.perf_counter()
            sem = asyncio.Semaphore(20)

            async def one(i: int) -> None:
                async with sem:
                    await req.command("/okr", text="help", user_id=org.person(1 + i % org.people))

            await asyncio.gather(*(one(i) for i in range(requests)))
            elapsed = time.perf_counter() - started
            result.add("start-up to /healthz (s)", round(ready, 3), "<= 2 s")
            result.add("requests served", requests)
            result.add("requests/s", round(requests / elapsed, 1))
            result.add("peak RSS (MB)", round(peak_rss_mb(proc.pid), 1), "<= 150 MB")
    return result


def upgrade_stamp(url: str) -> None:
    """The org was built from the models; mark it migrated so `serve`'s upgrade is a no-op."""
    from alembic import command

    from storage.migrate import alembic_config

    command.stamp(alembic_config(url), "head")
