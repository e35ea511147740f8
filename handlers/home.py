"""App Home: publish on app_home_opened; the manager's Review notes button (cycle buttons: handlers.cycles)."""

from slack_bolt.async_app import AsyncApp

from bot.services import home
from bot.slack.builders.home import build_review_people
from bot.slack.ids import ViewAction
from handlers.inbox import after_ack, deferred


async def on_home_opened(event: dict, body: dict, context) -> None:
    if event.get("tab", "home") != "home":
        return
    await home.home_opened(context["svc"], user_id=event["user"])


async def on_review_notes(ack, body, context, client) -> None:
    await ack()
    people = await home.review_people(context["svc"], user_id=body["user"]["id"])
    await client.views_open(trigger_id=body["trigger_id"], view=build_review_people(people))


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(deferred(on_home_opened))
    app.action(ViewAction.REVIEW_NOTES)(after_ack(on_review_notes))
