"""App Home: publish on app_home_opened; the manager's Review notes button and the admin's cycle buttons."""

from slack_bolt.async_app import AsyncApp

from bot.services import home
from bot.slack.builders.home import build_review_people
from bot.slack.ids import ViewAction


async def on_home_opened(event: dict, context) -> None:
    if event.get("tab", "home") != "home":
        return
    await home.refresh_home(context["svc"], user_id=event["user"])


async def on_review_notes(ack, body, context, client) -> None:
    await ack()
    people = await home.review_people(context["svc"], user_id=body["user"]["id"])
    await client.views_open(trigger_id=body["trigger_id"], view=build_review_people(people).to_dict())


async def on_open_cycle(ack, body, context) -> None:
    await ack()
    await home.cycle_action_hint(context["svc"], user_id=body["user"]["id"], action="open")


async def on_close_cycle(ack, body, context) -> None:
    await ack()
    await home.cycle_action_hint(context["svc"], user_id=body["user"]["id"], action="close")


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(on_home_opened)
    app.action(ViewAction.REVIEW_NOTES)(on_review_notes)
    app.action(ViewAction.OPEN_CYCLE)(on_open_cycle)
    app.action(ViewAction.CLOSE_CYCLE)(on_close_cycle)
