"""/okr digest: preview this period's team digest."""

from bot.services.digests import team as digests
from handlers.commands import Invocation, Subcommand


async def digest_cmd(inv: Invocation) -> None:
    await inv.reply(await digests.preview_digest(inv.svc, user_id=inv.user_id, team_name=inv.args))


SUBCOMMANDS = [
    Subcommand("digest", digest_cmd, "/okr digest [team]", "preview this period's team digest, just for you"),
]
