"""Bolt listeners. Each feature module has register(app) and/or SUBCOMMANDS; bot.app calls register_all."""

from slack_bolt.async_app import AsyncApp

from handlers import checkins, commands, errors, events, home, teams
from handlers import notes as digest
from handlers.okrs import edit as okr_edit
from handlers.okrs import lists as view_commands


def subcommands() -> list[commands.Subcommand]:
    """Every /okr subcommand, in the order /okr help lists them."""
    return [
        *view_commands.SUBCOMMANDS,
        *checkins.SUBCOMMANDS,
        *digest.SUBCOMMANDS,
        *okr_edit.SUBCOMMANDS,
        *teams.SUBCOMMANDS,
    ]


def register_all(app: AsyncApp) -> None:
    app.error(errors.on_error)
    commands.register(app, subcommands())
    events.register(app)
    checkins.register(app)
    view_commands.register(app)
    okr_edit.register(app)
    home.register(app)
    teams.register(app)
    digest.register(app)
