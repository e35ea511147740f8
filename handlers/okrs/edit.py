"""/okr new objective|kr, the Edit buttons, and the create/edit modal submissions. Thin: one service call each."""

import json

from slack_bolt.async_app import AsyncApp

from bot.services.kernel.errors import FormErrors, InvalidInput, OkrError
from bot.services.okrs import edit as okr_edit
from bot.slack.builders.forms import errors_for, read_values
from bot.slack.builders.okrs.modals import build_kr_modal, build_objective_modal
from bot.slack.ids import ViewAction, ViewCallback
from handlers.commands import Invocation, Subcommand
from handlers.inbox import after_ack


async def new(inv: Invocation) -> None:
    what = inv.args.lower().strip()
    if what in ("objective", "obj", "o"):
        view = build_objective_modal(await okr_edit.objective_form(inv.svc, user_id=inv.user_id))
    elif what in ("kr", "key result", "keyresult", "k"):
        view = build_kr_modal(await okr_edit.kr_form(inv.svc, user_id=inv.user_id))
    else:
        raise InvalidInput("Try `/okr new objective` or `/okr new kr`.")
    await inv.client.views_open(trigger_id=inv.trigger_id, view=view.to_dict())


SUBCOMMANDS = [
    Subcommand(
        "new",
        new,
        "/okr new objective|kr",
        "create an objective or a key result (team managers, admins)",
        opens_modal=True,
    ),
]


async def on_edit_kr(ack, body, context, client) -> None:
    await ack()
    form = await okr_edit.kr_form(context["svc"], user_id=body["user"]["id"], kr_id=int(body["actions"][0]["value"]))
    await client.views_open(trigger_id=body["trigger_id"], view=build_kr_modal(form).to_dict())


async def on_edit_objective(ack, body, context, client) -> None:
    await ack()
    objective_id = int(body["actions"][0]["value"])
    form = await okr_edit.objective_form(context["svc"], user_id=body["user"]["id"], objective_id=objective_id)
    await client.views_open(trigger_id=body["trigger_id"], view=build_objective_modal(form).to_dict())


async def submit(ack, view: dict, call) -> None:
    """Validate and save via the service; any refusal shows in place, so the person's input is kept."""
    try:
        await call(read_values(view))
    except FormErrors as e:
        await ack(response_action="errors", errors=errors_for(view, e.errors))
        return
    except OkrError as e:
        await ack(response_action="errors", errors=errors_for(view, {"": e.message}))
        return
    await ack()


def _meta(view: dict) -> dict:
    return json.loads(view.get("private_metadata") or "{}")


async def on_new_objective(ack, body, view, context) -> None:
    svc, user = context["svc"], body["user"]["id"]
    await submit(ack, view, lambda values: okr_edit.create_objective(svc, user_id=user, values=values))


async def on_new_kr(ack, body, view, context) -> None:
    svc, user = context["svc"], body["user"]["id"]
    await submit(ack, view, lambda values: okr_edit.create_kr(svc, user_id=user, values=values))


async def on_edit_objective_submit(ack, body, view, context) -> None:
    svc, user, oid = context["svc"], body["user"]["id"], _meta(view)["objective_id"]
    await submit(ack, view, lambda v: okr_edit.update_objective(svc, user_id=user, objective_id=oid, values=v))


async def on_edit_kr_submit(ack, body, view, context) -> None:
    svc, user, kr_id = context["svc"], body["user"]["id"], _meta(view)["kr_id"]
    await submit(ack, view, lambda v: okr_edit.update_kr(svc, user_id=user, kr_id=kr_id, values=v))


def register(app: AsyncApp) -> None:
    app.action(ViewAction.EDIT_KR)(after_ack(on_edit_kr))
    app.action(ViewAction.EDIT_OBJECTIVE)(after_ack(on_edit_objective))
    app.view(ViewCallback.NEW_OBJECTIVE)(on_new_objective)
    app.view(ViewCallback.NEW_KR)(on_new_kr)
    app.view(ViewCallback.EDIT_OBJECTIVE)(on_edit_objective_submit)
    app.view(ViewCallback.EDIT_KR)(on_edit_kr_submit)
