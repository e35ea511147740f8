"""Importing this package registers every message builder with bot.slack.render."""

from bot.slack.builders import checkins, cycles, digests, home, notes  # noqa: F401
from bot.slack.builders.okrs import lists  # noqa: F401
