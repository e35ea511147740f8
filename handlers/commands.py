"""The /okr slash command: ack at once, then route the first word to a subcommand.

Feature modules each export SUBCOMMANDS (a list of Subcommand); register() merges them,
so adding a subcommand never touches this router. Help and "did you mean" come from
the same list, so they cannot drift from what actually exists.
"""

import difflib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.kernel.context import Services
from bot.services.kernel.errors import InvalidInput
from bot.slack.builders.help import build_help, build_unknown
from bot.slack.render import render
from handlers.inbox import INBOX, REPLAY


@dataclass(frozen=True)
class Invocation:
    """One /okr call, with everything a subcommand needs to answer it."""

    svc: Services
    user_id: str
    channel_id: str
    args: str  # the text after the subcommand word
    trigger_id: str
    respond: AsyncRespond
    client: AsyncWebClient

    async def reply(self, message) -> None:
        """Answer the person who typed the command, and only them, with a rendered message."""
        r = render(message)
        await self.respond(text=r.text, blocks=r.blocks_json(), response_type="ephemeral")


Handler = Callable[[Invocation], Awaitable[None]]

# A user mention as Slack sends it in command text (the manifest sets should_escape): <@U123> or <@U123|name>.
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>\s*(.*)$", re.S)


def parse_mention(args: str, error: str) -> tuple[str, str]:
    """`<@U123|name> rest` -> ("U123", "rest"); `error` (an InvalidInput) if the text does not start with one.

    The one mention parser: services take user ids, never Slack's mention syntax.
    """
    match = MENTION.match(args.strip())
    if match is None:
        raise InvalidInput(error)
    return match.group(1), match.group(2).strip()


@dataclass(frozen=True)
class Subcommand:
    name: str  # first word, e.g. "mine"; "" for a mention like `/okr @person`
    handler: Handler
    usage: str  # e.g. "/okr team [name]"
    summary: str  # one line for /okr help
    aliases: tuple[str, ...] = ()
    # Opens a modal: runs straight after the ack, not queued, since its trigger_id expires 3 s after the
    # command. Every other subcommand's work is kept in the durable inbox first and done by a worker.
    opens_modal: bool = False


async def _help(inv: Invocation) -> None:  # routed inline below; listed so help shows itself
    return None


HELP = Subcommand("help", _help, "/okr help", "this overview of every command")


def register(app: AsyncApp, subcommands: list[Subcommand]) -> None:
    subcommands = [HELP, *subcommands]
    table: dict[str, Subcommand] = {}
    for sub in subcommands:
        for name in (sub.name, *sub.aliases):
            table[name] = sub

    async def okr_command(
        ack, body: dict, command: dict, context, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        word, _, rest = (command.get("text") or "").strip().partition(" ")
        word = word.lower()
        sub = table.get(word) or (table.get("@") if word.startswith("<@") else None)
        if sub is not None and sub is not HELP and not context.get(REPLAY):
            if sub.opens_modal:  # opened straight after the 200, ahead of the inbox's queue (handlers.inbox.after_ack)
                context[INBOX].soon(body, context)
            else:
                await context[INBOX].keep(body)
            return
        inv = Invocation(
            svc=context["svc"],
            user_id=command["user_id"],
            channel_id=command.get("channel_id", ""),
            args=rest.strip(),
            trigger_id=command.get("trigger_id", ""),
            respond=respond,
            client=client,
        )
        if word in ("", "help", "?"):
            r = build_help(subcommands)
        elif word in table:
            await table[word].handler(inv)
            return
        elif word.startswith("<@") and "@" in table:
            await table["@"].handler(Invocation(**{**inv.__dict__, "args": (command.get("text") or "").strip()}))
            return
        else:
            guesses = difflib.get_close_matches(word, [n for n in table if n != "@"], n=1, cutoff=0.6)
            r = build_unknown(word, guesses[0] if guesses else None, subcommands)
        await respond(text=r.text, blocks=r.blocks_json(), response_type="ephemeral")

    app.command("/okr")(okr_command)
