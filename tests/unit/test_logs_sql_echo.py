"""SQL statements (and their parameters, which can hold review-note bodies) never reach the log."""

import logging

import pytest

from bot.logs import setup_logging


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
def test_sqlalchemy_does_not_echo_statements(level):
    setup_logging(level)
    assert not logging.getLogger("sqlalchemy.engine").isEnabledFor(logging.INFO)
