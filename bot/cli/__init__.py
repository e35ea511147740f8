"""The `okrbot` command: its parser and dispatch. Every subcommand loads Settings once and passes them down.

Each command group lives in its own module (running, okr_io, cycles, teams, checkout); they import what they
need inside the command, so `okrbot tick` loads no web server and `okrbot --help` no database driver.
"""

import argparse
import sys
from datetime import UTC, datetime

from bot.cli.checkout import bench_command, demo_command
from bot.cli.cycles import cycle_command
from bot.cli.database import check_sqlite_path
from bot.cli.okr_io import export_command, import_command
from bot.cli.running import db_command, run_command, serve_command, tick_command, work_command
from bot.cli.teams import teams_command
from bot.config import SettingsError, load_settings
from bot.logs import setup_logging
from bot.services.kernel.errors import OkrError


class _Help(argparse.HelpFormatter):
    """Every option's help ends with its default; a None default is said in words in the help itself."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "%(default)" in text or action.default in (None, argparse.SUPPRESS) or not action.option_strings:
            return text
        if isinstance(action, argparse._StoreTrueAction):
            return f"{text} (default: off)"
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Help)  # subcommands' parsers are built with this class too
        super().__init__(*args, **kwargs)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("okrbot")
    except PackageNotFoundError:  # a source checkout run without installing
        return "unknown (not installed)"


def _listen_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=3000, help="TCP port for HTTP mode (0: any free port, logged)")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on in HTTP mode")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="okrbot", description="Self-hosted OKR check-ins for Slack.")
    p.add_argument("--version", action="version", version=f"okrbot {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run the bot: Socket Mode if SLACK_APP_TOKEN is set, else HTTP; scheduler inside")
    _listen_options(run)
    serve = sub.add_parser("serve", help="HTTP mode: POST /slack/events, GET /healthz")
    _listen_options(serve)
    serve.add_argument("--no-scheduler", action="store_true", help="for extra web workers")
    serve.add_argument(
        "--web-only", action="store_true", help="answer and keep requests only; `okrbot work` processes do the work"
    )
    work = sub.add_parser(
        "work", help="do the kept requests' work and the scheduler's ticks, beside `okrbot serve --web-only`"
    )
    work.add_argument("--no-scheduler", action="store_true", help="for extra work processes")
    work.add_argument(
        "--health-port", type=int, metavar="P", help="answer GET /healthz on this port (default: no HTTP at all)"
    )
    work.add_argument("--host", default="127.0.0.1", help="address for --health-port")
    work.add_argument(
        "--nice",
        type=int,
        choices=range(20),
        default=10,
        metavar="N",
        help="lower this process's CPU priority by N (0-19), so a web process on the same machine acks first",
    )

    tick = sub.add_parser("tick", help="run exactly one scheduler pass, wait for its sends, print what it did")
    tick.add_argument("--at", type=_instant, help="ISO-8601 instant (default: now); naive means UTC")

    imp = sub.add_parser("import", help="create or update teams and OKRs from a YAML/JSON file (docs/yaml-format.md)")
    imp.add_argument("file", help="path to the OKR file, e.g. examples/okrs.yaml")
    imp.add_argument("--dry-run", action="store_true", help="show what would change and write nothing")
    imp.add_argument(
        "--archive-missing",
        action="store_true",
        help="archive the objectives and KRs of the file's teams and cycle that the file no longer lists",
    )

    exp = sub.add_parser("export", help="write a cycle's OKRs in the import format, or as CSV")
    exp.add_argument("--format", choices=("yaml", "json", "csv"), default="yaml", dest="fmt", help="output format")
    exp.add_argument("--out", help="write to this file (default: stdout)")
    exp.add_argument("--cycle", help="cycle name (default: the active cycle, else the latest)")
    exp.add_argument(
        "--include-review-notes", action="store_true", help="also export confidential review notes (yaml/json)"
    )
    exp.add_argument("--history", action="store_true", help="also export every check-in (csv: one row per check-in)")

    cyc = sub.add_parser("cycle", help="open or close OKR cycles (docs/digests.md)")
    cyc_sub = cyc.add_subparsers(dest="cycle_command", required=True, metavar="ACTION")
    cyc_sub.add_parser("close", help="close the active cycle")
    cyc_open = cyc_sub.add_parser("open", help="open and activate a new cycle, closing the active one")
    cyc_open.add_argument("name", help="the new cycle's name, e.g. 2027-Q2")
    cyc_open.add_argument("--start", required=True, type=_day, help="first day, YYYY-MM-DD")
    cyc_open.add_argument("--end", required=True, type=_day, help="last day, YYYY-MM-DD")
    cyc_open.add_argument("--carry-over", action="store_true", help="copy unfinished objectives and their KRs")

    bench = sub.add_parser("bench", help="run the benchmarks (source checkout only; same as python -m benchmarks)")
    bench.add_argument("names", nargs="*", help="which benchmarks (default: all)")
    bench.add_argument("--tiny", action="store_true", help="smallest sizes: only checks that each still works")

    demo = sub.add_parser(
        "demo", help="one OKR week against local stand-ins, printed as people read it (source checkout)"
    )
    demo.add_argument("--platform", choices=("slack", "teams"), default="slack", help="whose chats to show")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply Alembic migrations")

    teams = sub.add_parser("teams", help="Microsoft Teams: the app package (docs/teams.md)")
    teams_sub = teams.add_subparsers(dest="teams_command", required=True, metavar="ACTION")
    manifest = teams_sub.add_parser("manifest", help="write the Teams app manifest.json (bot id: TEAMS_CLIENT_ID)")
    manifest.add_argument("--out", default="manifest.json", help="where to write it ('-': stdout)")
    manifest.add_argument("--base-url", default="https://okrbot.example.com", help="your site (https): developer links")
    manifest.add_argument("--app-version", default="1.0.0", help="the app package's version, MAJOR.MINOR.PATCH")
    teams_sub.add_parser("roster", help="read every Teams team's roster now and map people named by email")
    return p


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO-8601 time, e.g. 2027-01-04T10:00+01:00") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _day(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date, e.g. 2027-04-05") from None


def main(argv: list[str] | None = None) -> int:
    from sqlalchemy.exc import DBAPIError

    from storage.db import DatabaseUnreachable, probe

    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        setup_logging(settings.log_level)
        if args.command not in NO_DATABASE:
            check_sqlite_path(settings.database_url)
            probe(settings.database_url, settings.database_connect_timeout)
        return COMMANDS[args.command](settings, args) or 0
    except (SettingsError, DatabaseUnreachable) as exc:
        print(f"okrbot: {exc}", file=sys.stderr)
        return 2
    except DBAPIError as exc:  # a folder that does not exist, a read-only file, a full disk: one line, no traceback
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
        hint = "is DATABASE_URL right, is it migrated (okrbot db upgrade), and may this user write it?"
        print(f"okrbot: database error ({reason}): {hint}", file=sys.stderr)
        return 2
    except OkrError as exc:  # bad input file, unknown cycle: the message is written for the person
        print(f"okrbot: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `okrbot export | head` is fine
        return 0


NO_DATABASE = {
    "bench",
    "teams",
    "demo",
}  # bench and demo bring their own; teams manifest needs none (teams roster probes its own)
COMMANDS = {
    "run": run_command,
    "serve": serve_command,
    "work": work_command,
    "tick": tick_command,
    "import": import_command,
    "export": export_command,
    "cycle": cycle_command,
    "bench": bench_command,
    "db": db_command,
    "demo": demo_command,
    "teams": teams_command,
}
