"""The one Bolt error handler: domain errors become clear ephemeral replies; the rest get an id."""

import logging

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import request_id
from bot.services.kernel import inbox_store
from bot.services.kernel.errors import OkrError
from bot.slack.mrkdwn import esc
from bot.slack.response_url import VERIFIED

log = logging.getLogger("okrbot.errors")
UNAVAILABLE = "okrbot cannot reach its database right now, so this was not saved. Please try again in a minute."


async def on_error(
    error: Exception,
    body: dict,
    client: AsyncWebClient,
    context: dict | None = None,
    respond: AsyncRespond | None = None,
    response: BoltResponse | None = None,
) -> None:
    if not (context or {}).get(VERIFIED):
        # Bolt calls this handler for errors raised before or inside its signature check too: the body is
        # then anyone's. Say nothing to anyone (no reply, no post, no DM); one line, without the body.
        log.warning("error before the request was verified, nothing sent: %s", type(error).__name__)
        if response is not None:
            response.status, response.body = 401, ""
        return
    if inbox_store.is_transient(error):
        # The database is away (a restart, a failover): nothing of this request was kept. Not 200, so Slack
        # redelivers an event (then quietly: the redelivery will be kept); a person's click or command is not
        # redelivered, so they are told to try again.
        log.warning("request not kept, the database is unavailable: %s", type(error).__name__)
        if response is not None:
            response.status, response.body = 503, ""
        if "event" not in body:
            await _tell(body, client, respond, f":hourglass: {UNAVAILABLE}")
        return
    if isinstance(error, inbox_store.InboxFull):
        # The inbox is at its limit (OKRBOT_INBOX_LIMIT): nothing was kept, so the request must not get a 200
        # (an event would be lost silently). Slack redelivers an event later; a person is told to try again.
        log.warning("request not kept, the inbox is full")
        if response is not None:
            response.status, response.body = 503, ""
        if "event" not in body:
            await _tell(body, client, respond, f":hourglass: {esc(error.message)}")
        return
    if isinstance(error, OkrError):
        text = f":warning: {esc(error.message)}"  # messages quote user input (team names, values)
        if response is not None:
            # An expected refusal the person is told about below: answer Slack 200, not Bolt's default 500
            # (with process_before_response a 500 makes Slack add its own error, and retry events).
            response.status, response.body = 200, ""
    else:
        cid = request_id()  # the id of the request's own log lines, so an operator can find them by the ref
        log.exception("unhandled error (ref %s)", cid, exc_info=error)
        text = f":boom: Something went wrong on our side. If it keeps happening, tell your okrbot admin: ref `{cid}`."
    await _tell(body, client, respond, text)


async def _tell(body: dict, client: AsyncWebClient, respond: AsyncRespond | None, text: str) -> None:
    user = (body.get("user") or {}).get("id") or body.get("user_id") or (body.get("event") or {}).get("user")
    if body.get("response_url") and respond is not None:
        await respond(text=text, response_type="ephemeral", replace_original=False)
        return
    if not user:
        return
    channel = (
        (body.get("channel") or {}).get("id") or body.get("channel_id") or (body.get("event") or {}).get("channel")
    )
    thread_ts = (body.get("event") or {}).get("thread_ts")
    if channel and not channel.startswith("D"):
        await client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
    else:
        await client.chat_postMessage(channel=user, text=text, thread_ts=thread_ts)
