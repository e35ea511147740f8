"""The `okrbot` command. Every subcommand loads Settings once and passes them down."""

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from bot.config import WHERE, SettingsError, load_settings, require_platforms
from bot.logs import setup_logging
from bot.services.kernel.errors import OkrError

NOTES_WARNING = (
    "WARNING: this export contains confidential performance-review notes. "
    "Store it encrypted, share it with no one who may not read every note, and delete it when done."
)


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


def _db(settings, args) -> int:
    from storage.migrate import upgrade

    upgrade(settings.database_url)
    print("database is up to date")
    return 0


def _tick(settings, args) -> int:
    from bot.wiring import run_one_tick  # not bot.runtime: a tick loads no Bolt, web server or scheduler

    at = args.at or datetime.now(UTC)
    require_platforms(settings, send_only=True)  # a tick only sends: no signing secret needed
    report = asyncio.run(run_one_tick(settings, at))
    print(f"tick at {at.isoformat()}:")
    for line in report.lines or ["nothing was due"]:
        print(f"  {line}")
    return 0


def _serve(settings, args) -> int:
    from bot.runtime import serve_http
    from storage.migrate import ensure_current

    require_platforms(settings)  # Slack, Teams or both
    ensure_current(settings.database_url)
    asyncio.run(serve_http(settings, host=args.host, port=args.port, scheduler=not args.no_scheduler))
    return 0


def _run(settings, args) -> int:
    from bot.runtime import serve_http, serve_socket_mode
    from storage.migrate import ensure_current

    socket_mode = settings.slack_app_token is not None
    if settings.teams_only:  # Teams alone: HTTP (POST /api/messages), with the scheduler
        return _serve(settings, argparse.Namespace(host=args.host, port=args.port, no_scheduler=False))
    if not socket_mode and settings.slack_signing_secret is None:  # neither mode is set up: name both
        raise SettingsError(
            "set SLACK_APP_TOKEN for Socket Mode (no public URL needed; "
            f"{WHERE['SLACK_APP_TOKEN']}), or SLACK_SIGNING_SECRET for HTTP mode, and SLACK_BOT_TOKEN for both"
            + ("" if settings.slack_configured else "; or TEAMS_CLIENT_ID and TEAMS_CLIENT_SECRET for Teams alone")
        )
    require_platforms(settings, socket_mode=socket_mode)
    ensure_current(settings.database_url)
    if socket_mode:
        asyncio.run(serve_socket_mode(settings))
    else:
        asyncio.run(serve_http(settings, host=args.host, port=args.port, scheduler=True))
    return 0


async def _with_db(settings, work):
    from storage.db import Database

    db = Database.from_settings(settings)
    try:
        return await work(db)
    finally:
        await db.dispose()


def _import(settings, args) -> int:
    from pathlib import Path

    from bot.services.okr_io.importer import import_okrs
    from bot.services.okr_io.okr_file_checks import too_large
    from storage.migrate import upgrade

    path = Path(args.file)
    if not path.is_file():
        print(f"okrbot: no such file: {path}", file=sys.stderr)
        return 2
    refusal = too_large(path.stat().st_size)  # before reading: a 10 GB file must not be loaded to be refused
    if refusal:
        print(f"okrbot: {path}: {refusal}", file=sys.stderr)
        return 2
    text = path.read_text(encoding="utf-8")  # read before migrating, so a typo in the path touches nothing
    if args.dry_run and _sqlite_file(settings.database_url) and not _sqlite_file(settings.database_url).exists():
        return _dry_run_without_database(settings, text)
    upgrade(settings.database_url)
    report = asyncio.run(
        _with_db(settings, lambda db: import_okrs(db, text, dry_run=args.dry_run, archive_missing=args.archive_missing))
    )
    return _print_import(report)


def _dry_run_without_database(settings, text: str) -> int:
    """A dry run writes nothing, not even the database file: against a missing file, use a throwaway one."""
    import tempfile

    from bot.services.okr_io.importer import import_okrs
    from storage.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="okrbot-dry-run-") as tmp:
        scratch = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{tmp}/dry-run.db"})
        upgrade(scratch.database_url)
        report = asyncio.run(_with_db(scratch, lambda db: import_okrs(db, text, dry_run=True)))
    return _print_import(report)


def _print_import(report) -> int:
    print(("dry run, nothing written: " if report.dry_run else "imported: ") + report.summary())
    for line in report.changes + report.notices:
        print(f"  {line}")
    for line in report.warnings:
        print(f"  ! {line}")
    return 0


def _sqlite_file(url: str):
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def check_sqlite_path(url: str) -> None:
    """A SQLite file must be creatable and writable: say so in one line before anything opens it."""
    import os

    path = _sqlite_file(url)
    if path is None:
        return
    if not path.parent.is_dir():
        raise SettingsError(f"DATABASE_URL: the folder {path.parent} does not exist; create it, or change DATABASE_URL")
    if path.exists() and not path.is_file():
        # Caught here, not left to SQLite: aiosqlite's "unable to open" races the closing event loop and prints
        # a thread traceback after our one line.
        raise SettingsError(f"DATABASE_URL: {path} is not a file (a folder?); point DATABASE_URL at a database file")
    if path.exists() and not os.access(path, os.W_OK):
        raise SettingsError(f"DATABASE_URL: {path} is read-only for this user; okrbot must be able to write it")
    if not path.exists() and not os.access(path.parent, os.W_OK):
        raise SettingsError(f"DATABASE_URL: cannot create {path}: the folder {path.parent} is read-only for this user")


def _export(settings, args) -> int:
    from pathlib import Path

    from bot.services.okr_io.exporter import export_okrs
    from storage.migrate import upgrade

    if args.include_review_notes:
        print(NOTES_WARNING, file=sys.stderr)
    upgrade(settings.database_url)
    text = asyncio.run(
        _with_db(
            settings,
            lambda db: export_okrs(
                db,
                fmt=args.fmt,
                include_review_notes=args.include_review_notes,
                cycle=args.cycle,
                history=args.history,
            ),
        )
    )
    if args.out:
        _write_private(Path(args.out), text)
        print(f"wrote {args.out} (readable by its owner only)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _write_private(path, text: str) -> None:
    """Write an export readable by its owner only (0600): any export may hold people's check-ins or notes.

    os.open's mode only applies to a new file, so an existing one (say 0644 from an older export) is
    chmod-ed before a byte is written to it.
    """
    import os

    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            fd = -1  # the file object owns it now
            out.write(text)
    finally:
        if fd != -1:
            os.close(fd)


def _cycle(settings, args) -> int:
    from bot.services.cycles import admin as cycles_admin
    from storage.migrate import upgrade

    upgrade(settings.database_url)
    if args.cycle_command == "close":
        change = asyncio.run(_with_db(settings, cycles_admin.close_active))
    else:
        change = asyncio.run(
            _with_db(
                settings,
                lambda db: cycles_admin.open_cycle(
                    db, name=args.name, start=args.start, end=args.end, carry_over=args.carry_over
                ),
            )
        )
    print(change.describe())
    return 0


def _bench(settings, args) -> int:
    from pathlib import Path

    # benchmarks/ and tests/ (the fake Slack) ship with the checkout, not the package: import them from there.
    root = Path(__file__).resolve().parents[1]
    if not (root / "benchmarks" / "__main__.py").is_file() or not (root / "tests" / "fakes").is_dir():
        print("okrbot: bench runs from a source checkout (it needs benchmarks/ and tests/fakes/)", file=sys.stderr)
        return 2
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from benchmarks.__main__ import BENCHMARKS
    from benchmarks.__main__ import main as bench_main

    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        print(f"okrbot: no benchmark named {unknown[0]!r}; choose from: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    return bench_main([*args.names, *(["--tiny"] if args.tiny else [])])


def _demo(settings, args) -> int:
    """The demo runs the real app against tests/fakes, with its own temporary database and settings."""
    import logging
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    if not (root / "devtools" / "demo.py").is_file() or not (root / "tests" / "fakes").is_dir():
        print("okrbot: demo runs from a source checkout (it needs devtools/ and tests/fakes/)", file=sys.stderr)
        return 2
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    logging.getLogger().setLevel(logging.ERROR)  # the story is the output; problems still show
    if args.platform == "teams":
        import warnings

        from devtools.teams_demo import run_teams_demo

        warnings.simplefilter("ignore")  # the Teams SDK's preview notices are not the story
        asyncio.run(run_teams_demo())
    else:
        from devtools.demo import run_demo

        asyncio.run(run_demo())
    return 0


def _teams(settings, args) -> int:
    if args.teams_command == "roster":
        return _teams_roster(settings)
    import json
    from pathlib import Path

    from teams_in.manifest import ManifestError, build_manifest

    try:
        manifest = build_manifest(
            bot_id=settings.teams_client_id or "", base_url=args.base_url, version=args.app_version
        )
    except ManifestError as exc:
        raise SettingsError(str(exc)) from None
    text = json.dumps(manifest, indent=2) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}; zip it with color.png (192x192) and outline.png (32x32) to sideload", file=sys.stderr)
    return 0


def _teams_roster(settings) -> int:
    if not settings.teams_enabled:
        raise SettingsError("Teams is not configured: set TEAMS_CLIENT_ID and TEAMS_CLIENT_SECRET (docs/teams.md)")
    lines = asyncio.run(_read_rosters(settings))
    print("teams roster:")
    for line in lines or ["no team in the OKR file is on Teams (platform: teams)"]:
        print(f"  {line}")
    return 0


async def _read_rosters(settings) -> list[str]:
    from bot.wiring import build_services, close
    from teams_in.roster import read_known_teams

    svc = build_services(settings)
    try:
        return await read_known_teams(svc, svc.notifier.teams_app.api)
    finally:
        await close(svc)


NO_DATABASE = {
    "bench",
    "teams",
    "demo",
}  # bench and demo bring their own; teams manifest needs none (teams roster probes its own)
COMMANDS = {
    "run": _run,
    "serve": _serve,
    "tick": _tick,
    "import": _import,
    "export": _export,
    "cycle": _cycle,
    "bench": _bench,
    "db": _db,
    "demo": _demo,
    "teams": _teams,
}


if __name__ == "__main__":
    sys.exit(main())
