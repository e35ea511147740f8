"""Bolt listeners. Each feature module has register(app) and/or SUBCOMMANDS; bot.app calls register_all."""

from slack_bolt.async_app import AsyncApp

from handlers import checkin, commands, errors, events


def subcommands() -> list[commands.Subcommand]:
    """Every /okr subcommand, in the order /okr help lists them."""
    return [*checkin.SUBCOMMANDS]


def register_all(app: AsyncApp) -> None:
    app.error(errors.on_error)
    commands.register(app, subcommands())
    events.register(app)
    checkin.register(app)
