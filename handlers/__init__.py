"""Bolt listeners. Each feature module has register(app) and/or SUBCOMMANDS; bot.app calls register_all."""

from slack_bolt.async_app import AsyncApp

from handlers import commands, digest, errors, events


def subcommands() -> list[commands.Subcommand]:
    """Every /okr subcommand, in the order /okr help lists them."""
    return [*digest.SUBCOMMANDS]


def register_all(app: AsyncApp) -> None:
    app.error(errors.on_error)
    commands.register(app, subcommands())
    events.register(app)
    digest.register(app)
