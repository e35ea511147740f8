"""Which failures mean "the database is away, retry later" (storage.db.db_unavailable), as PostgreSQL raises them
while it restarts: an inbox item meeting one of these waits for the database instead of failing for good."""

import aiohttp
import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from storage.db import db_unavailable


def wrapped(orig: Exception, kind=DBAPIError) -> DBAPIError:
    return kind("SELECT 1", None, orig)  # what SQLAlchemy's asyncpg dialect raises around asyncpg's error


@pytest.mark.parametrize(
    "error",
    [
        wrapped(asyncpg.exceptions.CannotConnectNowError("the database system is shutting down")),
        wrapped(asyncpg.exceptions.CannotConnectNowError("the database system is starting up")),
        wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")),
        wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation")),
        ConnectionRefusedError(111, "Connect call failed"),
        ConnectionResetError(104, "Connection reset by peer"),
        wrapped(Exception("database is locked"), OperationalError),
        wrapped(Exception("attempt to write a readonly database"), OperationalError),
    ],
    ids=[
        "shutting-down",
        "starting-up",
        "admin-shutdown",
        "closed-mid-operation",
        "refused",
        "reset",
        "sqlite-locked",
        "sqlite-read-only",
    ],
)
def test_the_database_going_away_is_worth_a_retry(error):
    assert db_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key value"), IntegrityError),
        wrapped(asyncpg.exceptions.UndefinedTableError('relation "x" does not exist')),
        wrapped(Exception("no such table: x"), OperationalError),
        aiohttp.ClientConnectionResetError("Cannot write to closing transport"),  # a Slack call, not the database
        ValueError("bad input"),
    ],
    ids=["unique", "no-table-pg", "no-table-sqlite", "slack-reset", "value"],
)
def test_a_bug_or_a_slack_failure_is_not(error):
    assert not db_unavailable(error)
