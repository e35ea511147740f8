"""Card buttons (Action.Execute → invoke `adaptiveCard/action`): Save, No change, Undo, Confirm; one service call each.

The same check-in services as Slack's buttons and modal: `form.validate` reads the value with the same parser,
`form.submit` / `no_change` / `undo_checkin` check the permission (owner, co-owner, an away owner's delegate,
admins) and post the confirmation card into the person's chat; Confirm records an unsure plain-words reply
(`confirm.confirm_reply` checks the kept reply is the clicker's own and still reads the same). The invoke's own
answer is a short message Teams shows on the card: what was done, or exactly what was wrong (then nothing is
recorded).
"""

import logging

from microsoft_teams.api import AdaptiveCardActionMessageResponse, AdaptiveCardInvokeActivity

from bot.okr.messages import Delivery
from bot.okr.messages.checkins import FormContext
from bot.okr.types import CheckInSource
from bot.services import addresses
from bot.services.checkins import confirm, form
from bot.services.kernel.context import Services
from bot.services.kernel.errors import InvalidInput, OkrError
from bot.services.kernel.ports import DeliveryFailed
from bot.teams.cards import CONFIDENCES, Verb, input_id, teams_words

log = logging.getLogger(__name__)
STALE = "This card is out of date: wait for your next prompt, or reply here in plain words."


def _int(data: dict, key: str) -> int:
    raw = data.get(key)
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
        raise InvalidInput(STALE)
    return int(raw)


def request_id(activity) -> str | None:
    """The invoke's identity for request_claims: Teams resends an unanswered invoke with the same activity id,
    unique within its conversation (as Slack's event ids are within a workspace)."""
    conversation = getattr(activity.conversation, "id", None) if activity.conversation else None
    return f"teams:{conversation}:{activity.id}" if conversation and activity.id else None


async def _checkin(svc: Services, user_id: str, data: dict, request: str | None) -> str:
    kr_id = _int(data, "kr")
    values = {name: _text(data.get(input_id(name, kr_id))) for name in ("value", "confidence", "comment")}
    if values["confidence"] and values["confidence"] not in CONFIDENCES:
        raise InvalidInput("Choose on track, at risk or off track.")
    # No ledger id: the confirmation goes to the clicker's own chat (user_id), never to a chat a card's data names.
    context = FormContext(CheckInSource.MODAL, kr_id=kr_id)  # the card is the form
    sub = await form.validate(svc, user_id=user_id, context=context, values=values)
    recorded = await form.submit(svc, user_id=user_id, sub=sub, request_id=request)
    return f"Saved: {recorded.lines[0].kr_title}, {recorded.lines[0].text}"


def _text(raw) -> str | None:
    return None if raw is None else str(raw)


async def _no_change(svc: Services, user_id: str, data: dict, request: str | None) -> str:
    kr_id = _int(data, "kr")
    recorded = await form.no_change(svc, user_id=user_id, kr_id=kr_id, where=None, request_id=request)
    return f"No change recorded: {recorded.lines[0].kr_title}"


async def _undo(svc: Services, user_id: str, data: dict, request: str | None) -> str:
    checkin_id = _int(data, "checkin")
    notice = await form.undo_checkin(svc, user_id=user_id, checkin_id=checkin_id, where=None, request_id=request)
    return notice.text


async def _confirm(svc: Services, user_id: str, data: dict, request: str | None) -> str:
    check, reply_ts = data.get("check"), data.get("ts")
    address = await addresses.find(svc.db, user_id)
    if not isinstance(check, str) or not isinstance(reply_ts, str) or address is None:
        raise InvalidInput(STALE)
    # The clicker's own chat: where their reply was kept and where the confirmation goes (never a chat data names).
    where = Delivery(address.channel, reply_ts)
    recorded = await confirm.confirm_reply(
        svc,
        user_id=user_id,
        pending_id=_int(data, "pending"),
        check=check,
        reply_ts=reply_ts,
        thread=where,
        request_id=request,
    )
    return "Recorded: " + "; ".join(f"{line.kr_title}, {line.text}" for line in recorded.lines)


VERBS = {Verb.CHECKIN: _checkin, Verb.NO_CHANGE: _no_change, Verb.UNDO: _undo, Verb.CONFIRM: _confirm}


async def on_card_action(svc: Services, user_id: str, activity: AdaptiveCardInvokeActivity):
    """The invoke response for one button press; an OkrError becomes its message, and nothing was written.

    A resent invoke (same activity id) writes nothing again: the service answers "Already …" (AlreadyDone)."""
    action = activity.value.action
    data = action.data if isinstance(action.data, dict) else {}
    run = VERBS.get(action.verb or data.get("action"))
    log.info("teams card action %s", action.verb if run else "unknown")  # never the inputs
    try:
        if run is None:
            raise InvalidInput(STALE)
        text = await run(svc, user_id, data, request_id(activity))
    except OkrError as exc:
        text = teams_words(exc.message)
    except DeliveryFailed as exc:  # the services post after their commit: what was asked for is done
        text = f"Done, but okrbot could not post the confirmation in this chat ({exc.reason})."
    return AdaptiveCardActionMessageResponse(value=text)


def refused() -> AdaptiveCardActionMessageResponse:
    return AdaptiveCardActionMessageResponse(value="okrbot could not tell who pressed this button.")
