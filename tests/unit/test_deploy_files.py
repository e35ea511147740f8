"""The deploy files (Dockerfile, compose.yaml, deploy/) parse, and what they run exists in okrbot's CLI.

Docker is not available where the tests run, so these check the files as text and data: every command they
start goes through okrbot's real argument parser, the image's health check runs against a real /healthz,
and the stop signal they send is shown to shut `okrbot serve` down through its clean-up path.
"""

import asyncio
import configparser
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli import _parser
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
OKRBOT_SERVICES = {"migrate", "scheduler", "web-1", "web-2"}


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        if not current and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        current += raw.rstrip().removesuffix("\\") + " "
        if not raw.rstrip().endswith("\\"):
            lines.append(current.strip())
            current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def instruction(name: str) -> list[str]:
    return [args for instr, args in dockerfile() if instr == name]


def exec_form(args: str) -> list[str]:
    return json.loads(args[args.index("[") :])


def cli(argv: list[str]):
    assert argv[0] == "okrbot", argv
    return _parser().parse_args(argv[1:])


# ---- Dockerfile ------------------------------------------------------------------------------------------


def test_dockerfile_runs_okrbot_serve_as_a_non_root_user():
    assert instruction("FROM") == ["python:3.11-slim"]
    users = instruction("USER")
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert instruction("EXPOSE") == ["3000"]
    assert exec_form(instruction("VOLUME")[0]) == ["/data"]
    args = cli(exec_form(instruction("CMD")[-1]))
    assert (args.command, args.host, args.port, args.no_scheduler) == ("serve", "0.0.0.0", 3000, False)
    assert instruction("STOPSIGNAL") == ["SIGTERM"]  # why: test_sigterm_stops_serve_through_its_drain


def test_dockerfile_keeps_the_database_in_the_volume():
    env = " ".join(instruction("ENV"))
    url = re.search(r"DATABASE_URL=(\S+)", env).group(1)
    assert Settings(DATABASE_URL=url).database_url == "sqlite+aiosqlite:////data/okrbot.db"
    assert "chmod 0700 /data" in " ".join(instruction("RUN"))


def healthcheck_code() -> str:
    (check,) = instruction("HEALTHCHECK")
    argv = exec_form(check.split("CMD", 1)[1])
    assert argv[:2] == ["python", "-c"]
    return argv[2]


def test_healthcheck_url_is_the_served_port():
    env = " ".join(instruction("ENV"))
    assert "OKRBOT_HEALTHCHECK_URL=http://127.0.0.1:3000/healthz" in env


async def run_healthcheck(url: str) -> int:
    # Async subprocess: the bot under test answers on this same event loop.
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        healthcheck_code(),
        env={**os.environ, "OKRBOT_HEALTHCHECK_URL": url},
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(proc.wait(), timeout=20)


async def test_healthcheck_passes_on_a_running_bot_and_fails_when_nothing_answers(bot, unused_port):
    assert await run_healthcheck(f"{bot.app_url}/healthz") == 0
    assert await run_healthcheck(f"http://127.0.0.1:{unused_port}/healthz") == 1
    assert await run_healthcheck(f"{bot.app_url}/no-such-path") == 1


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sigterm_stops_serve_through_its_drain(tmp_path, unused_port):
    """The Dockerfile and the systemd unit stop okrbot with SIGTERM: it drains and cleans up, exit 0."""
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "test-secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'okrbot.db'}",
        "PYTHONPATH": str(ROOT),
    }
    cmd = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(unused_port)]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_healthz(f"http://127.0.0.1:{unused_port}/healthz", proc)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out
    assert "Scheduler has been shut down" in out
    assert "Traceback" not in out


def wait_for_healthz(url: str, proc: subprocess.Popen) -> None:
    import time
    import urllib.request

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def test_dockerignore_keeps_secrets_and_databases_out_of_the_image():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".env", "*.db", ".venv", ".git"} <= ignored
    copied = {args.split()[0] for args in instruction("COPY")}
    assert not {".", "./"} & copied  # only named files and folders go in


# ---- compose.yaml ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_declares_postgres_migrate_one_scheduler_and_two_web_workers(compose):
    services = compose["services"]
    assert set(services) == {"db"} | OKRBOT_SERVICES
    assert re.fullmatch(r"postgres:1[56](\b.*)?", services["db"]["image"])
    assert services["db"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    parsed = {name: cli(services[name]["command"]) for name in OKRBOT_SERVICES}
    assert parsed["migrate"].command == "db" and parsed["migrate"].db_command == "upgrade"
    assert services["migrate"]["restart"] == "no"
    serving = {name: args for name, args in parsed.items() if args.command == "serve"}
    assert set(serving) == OKRBOT_SERVICES - {"migrate"}
    assert [name for name, args in serving.items() if not args.no_scheduler] == ["scheduler"]
    assert all(args.host == "0.0.0.0" and args.port == 3000 for args in serving.values())


def test_compose_starts_okrbot_only_after_the_migration_succeeded(compose):
    for name in OKRBOT_SERVICES - {"migrate"}:
        depends = compose["services"][name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["db"] == {"condition": "service_healthy"}, name
    assert compose["services"]["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}


def test_compose_reads_env_and_points_every_process_at_postgres(compose):
    for name in OKRBOT_SERVICES:
        service = compose["services"][name]
        assert service["env_file"] == ".env"
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://okrbot:${POSTGRES_PASSWORD")
        assert service["environment"]["DATABASE_URL"].endswith("@db:5432/okrbot")
        assert service["build"]["context"] == "."
    published = [p for name in ("web-1", "web-2") for p in compose["services"][name]["ports"]]
    assert sorted(published) == ["127.0.0.1:3001:3000", "127.0.0.1:3002:3000"]
    assert "ports" not in compose["services"]["scheduler"]


# ---- systemd unit ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((ROOT / "deploy" / "okrbot.service").read_text())
    return parser


def test_systemd_unit_runs_serve_as_a_dedicated_user_with_a_private_env_file(unit):
    assert set(unit.sections()) == {"Unit", "Service", "Install"}
    service = unit["Service"]
    assert service["User"] == "okrbot" and service["Group"] == "okrbot"
    assert service["EnvironmentFile"] == "/etc/okrbot/env"
    argv = service["ExecStart"].split()
    args = cli(["okrbot", *argv[1:]])
    assert argv[0].endswith("/bin/okrbot")
    assert (args.command, args.host, args.port) == ("serve", "127.0.0.1", 3000)
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_unit_restarts_stops_cleanly_and_is_hardened(unit):
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert 20 < int(service["TimeoutStopSec"]) <= 60
    assert service["KillSignal"] == "SIGTERM"
    assert service["UMask"] == "0077"
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes"}.items():
        assert service[key] == value, key
    assert service["WorkingDirectory"] in service["ReadWritePaths"].split()
    assert service["WorkingDirectory"] == f"/var/lib/{service['StateDirectory']}"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path):
    # verify insists the ExecStart binary exists: point it at this interpreter's okrbot (or python).
    okrbot = Path(sys.executable).with_name("okrbot")
    text = (ROOT / "deploy" / "okrbot.service").read_text()
    copy = tmp_path / "okrbot.service"
    copy.write_text(text.replace("/opt/okrbot/venv/bin/okrbot", str(okrbot if okrbot.exists() else sys.executable)))
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


# ---- nginx example ---------------------------------------------------------------------------------------


def test_nginx_example_proxies_slack_and_health_to_the_unit_port():
    text = (ROOT / "deploy" / "nginx.conf.example").read_text()
    live = "\n".join(line.split("#", 1)[0] for line in text.splitlines())  # without comments
    upstream = re.search(r"upstream okrbot \{([^}]*)\}", live).group(1)
    assert re.findall(r"server (\S+);", upstream) == ["127.0.0.1:3000"]
    for path in ("/slack/events", "/healthz"):
        block = re.search(rf"location = {re.escape(path)} \{{(.*?)\n    \}}", live, re.S).group(1)
        assert "proxy_pass http://okrbot;" in block, path
    for directive in ("client_max_body_size", "client_body_timeout", "proxy_read_timeout", "limit_conn "):
        assert re.search(rf"^\s*{directive}", live, re.M), directive
    assert re.search(r"listen 443 ssl", live) and "ssl_certificate " in live


# ---- docs ------------------------------------------------------------------------------------------------


def test_deploy_guide_links_resolve():
    doc = ROOT / "docs" / "deploy.md"
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text())
    assert links
    missing = [link for link in links if not (doc.parent / link).exists()]
    assert not missing
