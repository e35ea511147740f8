"""/okr mine, team, @person, at-risk, plus their Show more and team picker actions. Thin: one service call each."""

from slack_bolt.async_app import AsyncApp

from bot.services.okrs import lists
from bot.slack.ids import ViewAction
from bot.slack.render import render
from handlers.commands import Invocation, Subcommand, parse_mention


async def mine(inv: Invocation) -> None:
    await inv.reply(await lists.my_krs(inv.svc, user_id=inv.user_id))


async def team(inv: Invocation) -> None:
    await inv.reply(await lists.team_view(inv.svc, user_id=inv.user_id, name=inv.args))


async def person(inv: Invocation) -> None:
    person_id, _ = parse_mention(inv.args, "Mention someone, like `/okr @ann`.")
    await inv.reply(await lists.person_krs(inv.svc, viewer_id=inv.user_id, person_id=person_id))


async def at_risk(inv: Invocation) -> None:
    await inv.reply(await lists.at_risk(inv.svc, user_id=inv.user_id, team_name=inv.args))


SUBCOMMANDS = [
    Subcommand("mine", mine, "/okr mine", "your key results: progress, pacing, last check-in, Update buttons"),
    Subcommand("team", team, "/okr team [name]", "a team's objectives and KRs (yours if you leave out the name)"),
    Subcommand("@", person, "/okr @person", "someone's key results"),
    Subcommand(
        "at-risk",
        at_risk,
        "/okr at-risk [team]",
        "KRs behind pace or marked at risk / off track (all teams unless you name one)",
        aliases=("atrisk", "risk"),
    ),
]


async def on_show_more(ack, body, context, respond) -> None:
    await ack()
    offset, _, query = body["actions"][0]["value"].partition("|")
    page = await lists.page_for(context["svc"], user_id=body["user"]["id"], query=query, offset=int(offset))
    r = render(page)
    await respond(text=r.text, blocks=r.blocks_json(), response_type="ephemeral", replace_original=True)


async def on_pick_team(ack, body, context, respond) -> None:
    await ack()
    team_id = int(body["actions"][0]["selected_option"]["value"])
    page = await lists.team_view(context["svc"], user_id=body["user"]["id"], team_id=team_id)
    r = render(page)
    await respond(text=r.text, blocks=r.blocks_json(), response_type="ephemeral", replace_original=True)


def register(app: AsyncApp) -> None:
    app.action(ViewAction.SHOW_MORE)(on_show_more)
    app.action(ViewAction.PICK_TEAM)(on_pick_team)
