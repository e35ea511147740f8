"""Start `okrbot serve` as a real subprocess against a fake Slack, and read its memory."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from contextlib import asynccontextmanager

import aiohttp

SIGNING_SECRET = "bench-signing-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the process's peak resident set size, from /proc (Linux)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def wait_healthy(proc: subprocess.Popen, url: str, *, attempts: int | None = None, stderr=None) -> None:
    """Until `url`/healthz answers 200, polling every 10 ms (at most `attempts` times); raises if the process exits
    first (with what it wrote to `stderr`, a file, when given) or never answers."""
    async with aiohttp.ClientSession() as session:
        polls = 0
        while attempts is None or polls < attempts:
            polls += 1
            if proc.poll() is not None:
                written = ""
                if stderr is not None:
                    stderr.seek(0)
                    written = ": " + stderr.read().decode()
                raise RuntimeError(f"okrbot serve exited with {proc.returncode}{written}")
            try:
                async with session.get(f"{url}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.01)
    raise RuntimeError("okrbot serve did not become healthy")


@asynccontextmanager
async def serve(
    db_url: str, slack_api_url: str, token: str, *, work: list | None = None, web_only: bool = False, **env_overrides
):
    """Yields (base_url, process, seconds_until_healthz); `env_overrides` are extra settings, e.g.
    SLACK_MAX_MESSAGES_PER_SECOND="0". `work`: a list, filled with that many `okrbot work` processes started
    beside the serve (each None in it becomes one); `web_only`: the serve does no inbox work itself."""
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "DATABASE_URL": db_url,
        "LOG_LEVEL": "WARNING",
        **env_overrides,
    }
    env.pop("SLACK_APP_TOKEN", None)
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "bot", "serve", "--port", str(port), "--host", "127.0.0.1", "--no-scheduler"]
    proc = subprocess.Popen([*cmd, "--web-only"] if web_only else cmd, env=env)
    url = f"http://127.0.0.1:{port}"
    await wait_healthy(proc, url)
    ready = time.perf_counter() - started
    work = work if work is not None else []
    nice = os.environ.get("OKRBOT_BENCH_WORK_NICE", "10")  # okrbot work's --nice (its default: 10)
    work_cmd = [sys.executable, "-m", "bot", "work", "--no-scheduler", "--nice", nice]
    work[:] = [subprocess.Popen(work_cmd, env=env) for _ in work]
    try:
        yield url, proc, ready
    finally:
        for p in [proc, *work]:
            p.terminate()  # SIGTERM: okrbot drains running inbox work (OKRBOT_DRAIN_SECONDS) before exiting
        # Waited for off the event loop: the drain's Slack calls go to a fake Slack that usually runs on this
        # loop, and a blocking wait here kept it from answering them until the drain gave up (20 s).
        for p in [proc, *work]:
            await asyncio.to_thread(p.wait, 60)
