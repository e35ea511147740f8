"""A throwaway PostgreSQL server of one's own (scripts/pg.sh with a private state folder).

The PostgreSQL benchmark and the outage test start their own server, so they never stop, restart or
load the one the test suite's PostgreSQL pass shares (that one lives in the worktree's .pg-test).
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).parents[1]
PG_SH = ROOT / "scripts" / "pg.sh"


def available() -> bool:
    """Whether PostgreSQL's server programs are installed (pg.sh would otherwise try to apt-get them)."""
    if shutil.which("initdb") and shutil.which("pg_ctl"):
        return True
    return any((d / "bin" / "initdb").exists() for d in Path("/usr/lib/postgresql").glob("*"))


class PgServer:
    """`start()` initdb's and starts a server on a free loopback port; `down()`/`up()` stop and restart it
    (same port, same data); `destroy()` stops it and removes its folder."""

    def __init__(self, state: Path | None = None, *, durable: bool = False) -> None:
        """`durable`: synchronous_commit on, so a crash (`down("immediate")`) loses no commit a client was told of
        (the tests' default, off, is faster and loses the last few)."""
        self.state = Path(state or tempfile.mkdtemp(prefix="okrbot-pgstate-"))
        self.durable = durable
        self.admin_url = ""

    def _run(self, *args: str) -> str:
        env = {
            **os.environ,
            "OKRBOT_PG_STATE": str(self.state),
            "OKRBOT_PG_SYNC_COMMIT": "on" if self.durable else "off",
        }
        done = subprocess.run(["bash", str(PG_SH), *args], env=env, capture_output=True, text=True, timeout=180)
        if done.returncode != 0:
            raise RuntimeError(f"scripts/pg.sh {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def start(self) -> "PgServer":
        out = self._run("start")  # prints: export OKRBOT_TEST_PG_URL=postgresql://user@127.0.0.1:port/okrbot_test
        self.admin_url = out.strip().splitlines()[-1].split("=", 1)[1]
        return self

    def url(self, database: str = "okrbot_test") -> str:
        """The async (asyncpg) URL of one database on this server."""
        url = make_url(self.admin_url).set(drivername="postgresql+asyncpg", database=database)
        return url.render_as_string(hide_password=False)

    def down(self, mode: str = "fast") -> None:
        """Stop the server, keeping its data: `fast` ends sessions cleanly, `immediate` is a crash."""
        self._run("down", mode)

    def up(self) -> None:
        self._run("up")

    def destroy(self) -> None:
        self._run("stop")
        shutil.rmtree(self.state, ignore_errors=True)

    def __enter__(self) -> "PgServer":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.destroy()
