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


def ensure_current(url: str) -> None:
    """Upgrade unless the database is already at head; the check is cheap, a full upgrade run is not.

    `run` and `serve` call this on every start, and start-up time is what a load balancer
    waits on; reading one row beats spinning up Alembic's environment and an engine.
    """
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    sync_url = make_url(url).set(drivername=make_url(url).get_backend_name())
    engine = create_engine(sync_url, hide_parameters=True)
    try:
        with engine.connect() as conn:
            current = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception:  # no table yet (fresh database) or no sync driver: let Alembic decide
        current = set()
    finally:
        engine.dispose()
    if current != heads:
        upgrade(url)
