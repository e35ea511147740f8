"""/okr cycle open|close, the Home tab's cycle buttons and modal, and the end-of-cycle score picker."""

from datetime import date

from slack_bolt.async_app import AsyncApp

from bot.services.cycles import admin as cycles_admin
from bot.services.cycles import scoring
from bot.services.kernel.errors import InvalidInput, OkrError
from bot.slack.builders.cycles import CARRY, build_open_cycle_modal
from bot.slack.ids import CycleForm, DigestId, ViewAction
from bot.slack.render import render
from handlers.commands import Invocation, Subcommand
from handlers.inbox import after_ack, deferred

FIELD_BLOCKS = {"name": CycleForm.NAME, "start": CycleForm.START, "end": CycleForm.END}


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"'{text}' is not a date; use YYYY-MM-DD.") from None


async def cycle_cmd(inv: Invocation) -> None:
    words = inv.args.split()
    if words[:1] == ["close"] and len(words) == 1:
        await inv.reply(await cycles_admin.close_as(inv.svc, user_id=inv.user_id))
        return
    if words[:1] == ["open"] and len(words) in (4, 5) and words[4:] in ([], ["carry-over"]):
        notice = await cycles_admin.open_as(
            inv.svc,
            user_id=inv.user_id,
            name=words[1],
            start=_iso_date(words[2]),
            end=_iso_date(words[3]),
            carry_over=len(words) == 5,
        )
        await inv.reply(notice)
        return
    raise InvalidInput("Use `/okr cycle open NAME START END [carry-over]` or `/okr cycle close`.")


SUBCOMMANDS = [
    Subcommand("cycle", cycle_cmd, "/okr cycle open NAME START END [carry-over]", "open or close a cycle (admins)"),
]


async def on_open_cycle(ack, body, context, client) -> None:
    await ack()
    cycles_admin.require_cycle_admin(context["svc"], user_id=body["user"]["id"])
    await client.views_open(trigger_id=body["trigger_id"], view=build_open_cycle_modal().to_dict())


async def on_open_cycle_submit(ack, body, view, context) -> None:
    values = view["state"]["values"]
    name = (values[CycleForm.NAME]["v"].get("value") or "").strip()
    start, end = _picked_date(values, CycleForm.START), _picked_date(values, CycleForm.END)
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


def _picked_date(values: dict, block: str) -> date | None:
    raw = values.get(block, {}).get("v", {}).get("selected_date")
    return date.fromisoformat(raw) if raw else None


async def on_close_cycle(ack, body, context) -> None:
    await ack()
    await cycles_admin.close_from_home(context["svc"], user_id=body["user"]["id"])


async def on_score(ack, body: dict, context, respond) -> None:
    await ack()
    kr_id, _, score = body["actions"][0]["selected_option"]["value"].partition(":")
    notice = await scoring.record_score(context["svc"], user_id=body["user"]["id"], kr_id=int(kr_id), score=score)
    r = render(notice)
    await respond(text=r.text, blocks=r.blocks_json(), response_type="ephemeral", replace_original=False)


def register(app: AsyncApp) -> None:
    app.action(ViewAction.OPEN_CYCLE)(after_ack(on_open_cycle))
    app.action(ViewAction.CLOSE_CYCLE)(deferred(on_close_cycle))
    app.view(CycleForm.OPEN_MODAL)(on_open_cycle_submit)
    app.action(DigestId.SCORE_PICK)(deferred(on_score))
