"""/okr settings [team]: the team settings modal and its submission (managers and admins)."""

import json

from slack_bolt.async_app import AsyncApp

from bot.services import teams
from bot.slack.builders.teams import build_settings_modal
from bot.slack.ids import ViewCallback
from handlers.commands import Invocation, Subcommand
from handlers.okrs.edit import submit


async def settings(inv: Invocation) -> None:
    form = await teams.settings_form(inv.svc, user_id=inv.user_id, team_name=inv.args)
    await inv.client.views_open(trigger_id=inv.trigger_id, view=build_settings_modal(form).to_dict())


SUBCOMMANDS = [
    Subcommand(
        "settings",
        settings,
        "/okr settings [team]",
        "a team's schedule, digest channel and timezone (managers)",
        opens_modal=True,
    ),
]


async def on_submit(ack, body, view, context) -> None:
    svc, user = context["svc"], body["user"]["id"]
    team_id = json.loads(view.get("private_metadata") or "{}")["team_id"]
    await submit(ack, view, lambda v: teams.save_settings(svc, user_id=user, team_id=team_id, values=v))


def register(app: AsyncApp) -> None:
    app.view(ViewCallback.SETTINGS)(on_submit)
