"""`okrbot import` and `okrbot export`: the OKR file in and out (docs/yaml-format.md)."""

import asyncio
import sys

from bot.cli.database import sqlite_file, with_db

NOTES_WARNING = (
    "WARNING: this export contains confidential performance-review notes. "
    "Store it encrypted, share it with no one who may not read every note, and delete it when done."
)


def import_command(settings, args) -> int:
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
    if args.dry_run and sqlite_file(settings.database_url) and not sqlite_file(settings.database_url).exists():
        return _dry_run_without_database(settings, text)
    upgrade(settings.database_url)
    report = asyncio.run(
        with_db(settings, lambda db: import_okrs(db, text, dry_run=args.dry_run, archive_missing=args.archive_missing))
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
        report = asyncio.run(with_db(scratch, lambda db: import_okrs(db, text, dry_run=True)))
    return _print_import(report)


def _print_import(report) -> int:
    print(("dry run, nothing written: " if report.dry_run else "imported: ") + report.summary())
    for line in report.changes + report.notices:
        print(f"  {line}")
    for line in report.warnings:
        print(f"  ! {line}")
    return 0


def export_command(settings, args) -> int:
    from pathlib import Path

    from bot.services.okr_io.exporter import export_okrs
    from storage.migrate import upgrade

    if args.include_review_notes:
        print(NOTES_WARNING, file=sys.stderr)
    upgrade(settings.database_url)
    text = asyncio.run(
        with_db(
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
