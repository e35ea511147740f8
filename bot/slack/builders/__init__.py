"""Importing this package registers every message builder with bot.slack.render."""
