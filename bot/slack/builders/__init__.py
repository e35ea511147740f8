"""Importing this package registers every message builder with bot.slack.render."""

from bot.slack.builders import checkin, digest, home, notes, okr_list  # noqa: F401
