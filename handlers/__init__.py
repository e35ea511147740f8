"""Bolt listeners. Each feature module has register(app) and/or SUBCOMMANDS; bot.app calls register_all."""

from slack_bolt.async_app import AsyncApp

from handlers import checkin, commands, digest, errors, events, home, okr_edit, team_settings, view_commands


def subcommands() -> list[commands.Subcommand]:
    """Every /okr subcommand, in the order /okr help lists them."""
    return [
        *view_commands.SUBCOMMANDS,
        *checkin.SUBCOMMANDS,
        *digest.SUBCOMMANDS,
        *okr_edit.SUBCOMMANDS,
        *team_settings.SUBCOMMANDS,
    ]


def register_all(app: AsyncApp) -> None:
    app.error(errors.on_error)
    commands.register(app, subcommands())
    events.register(app)
    checkin.register(app)
    view_commands.register(app)
    okr_edit.register(app)
    home.register(app)
    team_settings.register(app)
    digest.register(app)
