"""Bolt listeners, one module (or package) per feature; each has register(app) and/or SUBCOMMANDS.

bot.app calls register_all. The /okr router (handlers.commands) and the DM-message adapter
(handlers.events) are the inbound edges every feature shares.
"""

from slack_bolt.async_app import AsyncApp

from handlers import checkins, commands, cycles, digests, errors, events, home, notes, teams
from handlers.okrs import edit as okr_edit
from handlers.okrs import lists as okr_lists


def subcommands() -> list[commands.Subcommand]:
    """Every /okr subcommand, in the order /okr help lists them."""
    return [
        *okr_lists.SUBCOMMANDS,
        *checkins.SUBCOMMANDS,
        *digests.SUBCOMMANDS,
        *notes.SUBCOMMANDS,
        *cycles.SUBCOMMANDS,
        *okr_edit.SUBCOMMANDS,
        *teams.SUBCOMMANDS,
    ]


def register_all(app: AsyncApp) -> None:
    app.error(errors.on_error)
    commands.register(app, subcommands())
    events.register(app)
    checkins.register(app)
    okr_lists.register(app)
    okr_edit.register(app)
    home.register(app)
    teams.register(app)
    notes.register(app)
    cycles.register(app)
