"""Run Alembic programmatically, so `okrbot db upgrade` needs no alembic.ini on disk.

These calls are synchronous (env.py drives its own event loop): call them before
starting the bot's loop, or from a worker thread.
"""

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def autogenerate(url: str, message: str) -> None:
    """Write a new revision from the models' diff against the database at `url` (developers only)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
