"""Run Alembic programmatically, so `okrbot db upgrade` needs no alembic.ini on disk.

These calls are synchronous (env.py drives its own event loop): call them before
starting the bot's loop, or from a worker thread.
"""

import asyncio
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


def ensure_current(url: str) -> None:
    """Upgrade unless the database is already at head; the check is cheap, a full upgrade run is not.

    `run` and `serve` call this on every start, and start-up time is what a load balancer
    waits on; reading one row beats spinning up Alembic's environment and an engine.
    """
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    if asyncio.run(_current_revisions(url)) != heads:
        upgrade(url)


async def _current_revisions(url: str) -> set[str]:
    # The app's own async driver: a sync one (psycopg for PostgreSQL) is not installed.
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(url, poolclass=NullPool, hide_parameters=True)
    try:
        async with engine.connect() as conn:
            return {row[0] for row in await conn.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception:  # no table yet (fresh database): let Alembic decide
        return set()
    finally:
        await engine.dispose()
