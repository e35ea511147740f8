"""Bolt listeners. Each module's register(app) adds its own; bot.app calls register_all."""

from slack_bolt.async_app import AsyncApp

from handlers import errors


def register_all(app: AsyncApp) -> None:
    app.error(errors.on_error)
