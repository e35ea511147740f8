"""Teams messages through the durable inbox: kept before Teams gets its 200, worked on after.

A message activity (a plain-words check-in, a command, an @mention in a channel) reaches `on_message` once the
SDK has checked its JWT. There it is only kept (committed to the inbox, keyed by its activity id in its
conversation, so a Teams redelivery of the same activity is kept once) and the handler returns: the SDK's 200
follows that commit, so
once Teams has its 200 the message survives SIGTERM, SIGKILL and a restart. An inbox worker then replays the
kept activity through the same SDK app (`replayer`), with REPLAYING set, and the very same handler does the
work, replying through the SDK's context as before.

Card button presses (`adaptiveCard/action` invokes) are not kept: Teams shows the invoke's answer on the card,
so they must be answered in the HTTP response (docs/teams.md). Installs are one small write, done in the request.
"""

import logging
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from types import SimpleNamespace

from microsoft_teams.api import MessageActivityInput
from microsoft_teams.apps import App
from microsoft_teams.apps.events import ActivityEvent, CoreActivity

from bot.logs import correlation_id, new_correlation_id
from bot.services.kernel import inbox_store

log = logging.getLogger(__name__)
PLATFORM = "teams"  # the inbox payload's "platform": which replayer the inbox workers hand it to
REPLAYING: ContextVar[bool] = ContextVar("okrbot_teams_replay", default=False)
Keep = Callable[..., Awaitable[bool]]  # handlers.inbox.InboxWorker.keep_item, handed in by the composition root


def request_key(activity) -> str:
    """Teams redelivers an activity it got no answer for with the same id: that id, in its conversation, is the
    inbox key (a message id is unique within its conversation, not across conversations)."""
    return f"{PLATFORM}:{activity.id or uuid.uuid4().hex}:{activity.conversation.id}"[:200]


def request_lane(activity) -> str:
    """Whose message this is (workers are fair between people): the sender's Entra object id."""
    sender = activity.from_
    return f"{PLATFORM}:{getattr(sender, 'aad_object_id', None) or sender.id or '-'}"[:64]


async def keep(keep_item: Keep, activity) -> None:
    """Commit the verified activity (its JSON, as Teams sent it) for a worker; never logged. Its work logs under
    a correlation id made here, the ref a person is shown if it fails."""
    new_correlation_id()
    body = activity.model_dump(by_alias=True, exclude_none=True, mode="json")
    payload = {"platform": PLATFORM, "body": body}
    await keep_item(key=request_key(activity), lane=request_lane(activity), payload=payload)


def _verified(body: dict) -> SimpleNamespace:
    """The SDK's stand-in token for an activity whose JWT was checked when it came in (the token is long gone;
    the SDK reads only its service URL, as a fallback to the activity's own)."""
    return SimpleNamespace(
        app_id="",
        app_display_name="",
        tenant_id="",
        service_url=body.get("serviceUrl") or "",
        from_="azure",
        from_id="",
        is_expired=lambda: False,
    )


async def _tell_failed(app: App, body: dict) -> None:
    """What Slack's one error handler does: the person sees that it failed, and a ref to quote (never the error)."""
    text = (
        "Something went wrong on okrbot's side. If it keeps happening, tell your okrbot admin: "
        f"ref {correlation_id.get()}."
    )
    conversation = (body.get("conversation") or {}).get("id")
    try:
        await app.api.conversations.create_activity(
            conversation, MessageActivityInput(text=text, text_format="plain"), service_url=body.get("serviceUrl")
        )
    except Exception as exc:  # noqa: BLE001 - best effort: the failure itself is logged and recorded already
        log.warning("teams: could not tell the person their message failed (%s)", type(exc).__name__)


def replayer(app: App) -> Callable[[dict], Awaitable[str | None]]:
    """The inbox workers' replay of a kept Teams activity: the SDK routes it to the same handlers as live."""

    async def replay(body: dict) -> str | None:
        reset = REPLAYING.set(True)
        try:
            on_request = app.server.on_request
            if on_request is None:
                return "retry"  # not initialised yet: a worker started before mount_teams finished
            await on_request(ActivityEvent(body=CoreActivity.model_validate(body), token=_verified(body)))
        except Exception as exc:  # noqa: BLE001 - recorded as the item's outcome, like a Slack listener's
            if inbox_store.is_transient(exc):
                log.warning("teams: a kept message will be retried: %s", type(exc).__name__)
                return "retry"
            log.error("teams: a kept message failed: %s (details withheld)", type(exc).__name__)
            await _tell_failed(app, body)
            return type(exc).__name__
        finally:
            REPLAYING.reset(reset)
        return None

    return replay
