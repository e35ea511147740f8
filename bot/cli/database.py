"""The CLI's database helpers: a Database for one command, and the SQLite file checks made before opening it."""

from bot.config import SettingsError


async def with_db(settings, work):
    from storage.db import Database

    db = Database.from_settings(settings)
    try:
        return await work(db)
    finally:
        await db.dispose()


def sqlite_file(url: str):
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

    path = sqlite_file(url)
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
