"""Importing this package registers every message builder with bot.slack.render."""

from bot.slack.builders import checkin  # noqa: F401
