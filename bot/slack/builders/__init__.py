"""Importing this package registers every message builder with bot.slack.render."""

from bot.slack.builders import digest, notes  # noqa: F401
