"""One line per event, each with a correlation id; tokens never reach the output."""

import contextvars
import logging
import re
import secrets

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")

# Belt and braces: SecretStr keeps tokens out of our own messages, this catches
# anything a library might print (a URL with a token, a repr of a request).
_TOKEN = re.compile(r"xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")


def new_correlation_id() -> str:
    cid = secrets.token_hex(4)
    correlation_id.set(cid)
    return cid


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.cid = correlation_id.get()
        if isinstance(record.msg, str):
            record.msg = _TOKEN.sub("[token]", record.msg)
        if record.args:
            record.args = tuple(_TOKEN.sub("[token]", a) if isinstance(a, str) else a for a in record.args)
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_Context())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(cid)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_libraries(level)


def quiet_libraries(level: str = "INFO") -> None:
    """Keep library loggers that print request bodies or SQL parameters (review-note text) quiet."""
    # Bolt and slack_sdk log request bodies at DEBUG; those can hold review-note text.
    # Migrations print a line per step at INFO; only problems matter on every start.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # aiosqlite logs every statement with its parameters at DEBUG.
    # aiohttp's access log repeats what our own one-line-per-event logs already say.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    for noisy in ("slack_bolt", "slack_sdk", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(level), logging.INFO))
    # At INFO SQLAlchemy echoes every statement with its parameters, review-note bodies included.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
