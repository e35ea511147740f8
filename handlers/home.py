"""App Home: publish on app_home_opened; the manager's Review notes button and the admin's cycle actions."""

from datetime import date

from slack_bolt.async_app import AsyncApp

from bot.services import home
from bot.services.cycles import admin as cycles_admin
from bot.services.kernel.errors import InvalidInput, OkrError
from bot.slack.builders.cycles import CARRY, build_open_cycle_modal
from bot.slack.builders.home import build_review_people
from bot.slack.ids import CycleForm, ViewAction

FIELD_BLOCKS = {"name": CycleForm.NAME, "start": CycleForm.START, "end": CycleForm.END}


async def on_home_opened(event: dict, context) -> None:
    if event.get("tab", "home") != "home":
        return
    await home.refresh_home(context["svc"], user_id=event["user"])


async def on_review_notes(ack, body, context, client) -> None:
    await ack()
    people = await home.review_people(context["svc"], user_id=body["user"]["id"])
    await client.views_open(trigger_id=body["trigger_id"], view=build_review_people(people).to_dict())


async def on_open_cycle(ack, body, context, client) -> None:
    await ack()
    cycles_admin.require_cycle_admin(context["svc"], user_id=body["user"]["id"])
    await client.views_open(trigger_id=body["trigger_id"], view=build_open_cycle_modal().to_dict())


async def on_open_cycle_submit(ack, body, view, context) -> None:
    values = view["state"]["values"]
    name = (values[CycleForm.NAME]["v"].get("value") or "").strip()
    start, end = _date(values, CycleForm.START), _date(values, CycleForm.END)
    carry = any(
        o["value"] == CARRY for o in (values.get(CycleForm.CARRY, {}).get("v", {}).get("selected_options") or [])
    )
    svc, user_id = context["svc"], body["user"]["id"]
    try:
        cycles_admin.check_open_form(user_id=user_id, admins=svc.admins, name=name, start=start, end=end)
        notice = await cycles_admin.open_as(svc, user_id=user_id, name=name, start=start, end=end, carry_over=carry)
    except InvalidInput as exc:
        await ack(response_action="errors", errors={FIELD_BLOCKS.get(exc.field, CycleForm.NAME): exc.message})
        return
    except OkrError as exc:  # refused: say so where the admin is looking
        await ack(response_action="errors", errors={CycleForm.NAME: exc.message})
        return
    await ack()  # the modal closes now; the confirmation and the redrawn Home tab follow
    await cycles_admin.announce(svc, user_id=user_id, notice=notice)


def _date(values: dict, block: str) -> date | None:
    raw = values.get(block, {}).get("v", {}).get("selected_date")
    return date.fromisoformat(raw) if raw else None


async def on_close_cycle(ack, body, context) -> None:
    await ack()
    await cycles_admin.close_from_home(context["svc"], user_id=body["user"]["id"])


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(on_home_opened)
    app.action(ViewAction.REVIEW_NOTES)(on_review_notes)
    app.action(ViewAction.OPEN_CYCLE)(on_open_cycle)
    app.action(ViewAction.CLOSE_CYCLE)(on_close_cycle)
    app.view(CycleForm.OPEN_MODAL)(on_open_cycle_submit)
