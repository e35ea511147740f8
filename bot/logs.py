"""One line per event, each with a correlation id; tokens never reach the output.

Every record becomes exactly one line: CR and LF inside a message or its arguments are written as the
two characters \\r and \\n, so text a user typed cannot start a forged log line; a traceback's lines are
indented behind "  | " for the same reason. Request bodies are never logged (docs/security.md).
"""

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


def request_id() -> str:
    """The current request's correlation id (a replay from the inbox keeps the one it came in with);
    a new one only where no request set any."""
    cid = correlation_id.get()
    return cid if cid != "-" else new_correlation_id()


_NEWLINES = str.maketrans({"\r": "\\r", "\n": "\\n"})
# Bolt puts the request body into some messages: "Invalid request signature detected (signature: …, body: …)",
# "Unhandled request ({…})", "A global middleware (…) skipped … for the request ({…})". Keep the words before it.
_BOLT_DETAIL = re.compile(r"\s*[({].*", re.DOTALL)


def one_line(text: str) -> str:
    """`text` with tokens masked and CR/LF escaped: safe to write as (part of) one log line."""
    return _TOKEN.sub("[token]", text).translate(_NEWLINES)


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.cid = correlation_id.get()
        try:
            message = record.getMessage()  # %-formats the args: escape what they render to, whatever their type
        except (TypeError, ValueError):
            return True  # logging reports the bad format string itself
        record.msg, record.args = one_line(message), None
        return True


class _OneLineFormatter(logging.Formatter):
    def formatException(self, ei) -> str:
        return "\n".join("  | " + one_line(line) for line in super().formatException(ei).splitlines())

    def formatStack(self, stack_info: str) -> str:
        return "\n".join("  | " + one_line(line) for line in stack_info.splitlines())


class _NoBodies(logging.Filter):
    """On Bolt's loggers: drop the details (request bodies among them) Bolt appends to its messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        if message in _BOLT_NOISE:
            return False
        record.msg, record.args = _BOLT_DETAIL.sub("", message) or "(details withheld)", None
        return True


# Bolt warns on every start when SLACK_BOT_TOKEN is in the environment (it reads it itself, though okrbot hands
# it a client built from the same token): true of every correct deploy, so not worth a line.
_BOLT_NOISE = frozenset({"As you gave `client` as well, `token` will be unused."})


def bolt_logger() -> logging.Logger:
    """The base logger for AsyncApp(logger=...): Bolt copies its level and filters to each of its loggers."""
    logger = logging.getLogger("slack_bolt")
    if not any(isinstance(f, _NoBodies) for f in logger.filters):
        logger.addFilter(_NoBodies())
    # Bolt's DEBUG lines print listener responses and payloads; never below INFO, whatever LOG_LEVEL says.
    logger.setLevel(max(logging.INFO, logging.getLogger().getEffectiveLevel()))
    return logger


# slack_sdk's clients test `logger.level <= DEBUG` (the logger's *own* level, not the effective one) before
# formatting every request and response, body and headers included, into a debug string. Left at NOTSET (0)
# that test passes, so every API call paid for the string, which logging then dropped (issue 15). An explicit
# level on these loggers skips it, and keeps bodies out of the logs whatever the root level.
SDK_CLIENT_LOGGERS = (
    "slack_sdk.web.async_base_client",
    "slack_sdk.web.base_client",
    "slack_sdk.webhook.async_client",
    "slack_sdk.webhook.client",
)


def sdk_client_logger(name: str = SDK_CLIENT_LOGGERS[0]) -> logging.Logger:
    """A slack_sdk client's logger with an explicit level of at least INFO (see SDK_CLIENT_LOGGERS)."""
    logger = logging.getLogger(name)
    if logger.level < logging.INFO:
        logger.setLevel(logging.INFO)
    return logger


def log_handler(stream=None) -> logging.Handler:
    """The production handler: one line per record, correlation id, tokens masked, CR/LF escaped."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(_Context())
    handler.setFormatter(_OneLineFormatter("%(asctime)s %(levelname)s %(name)s [%(cid)s] %(message)s"))
    return handler


def setup_logging(level: str = "INFO", *, stream=None) -> None:
    handler = log_handler(stream)
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
    # APScheduler's executor says "Running job" and "executed successfully" every minute; its errors stay.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    for noisy in ("slack_bolt", "slack_sdk", "aiosqlite", *SDK_CLIENT_LOGGERS):
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(level), logging.INFO))
    # At INFO SQLAlchemy echoes every statement with its parameters, review-note bodies included.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
