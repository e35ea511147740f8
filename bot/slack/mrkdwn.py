"""Escaping for Slack mrkdwn.

Every piece of user text goes through `esc` before it is placed in mrkdwn; otherwise a
comment like `<!channel>` pings a whole channel and `<https://evil|bank>` hides a link.
"""

import re


def esc(text: str | None) -> str:
    """Escape &, < and > exactly as Slack documents; everything else is literal."""
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str | None) -> str:
    """Undo Slack's escaping of incoming message text in one pass, so "&amp;lt;" stays the literal "&lt;".

    Called once, by the inbound adapter (handlers.events): services get the text the person typed.
    """
    if not text:
        return ""
    return re.sub(r"&(amp|lt|gt);", lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m[1]], text)


def shorten(text: str | None, limit: int) -> str:
    """Cut long text on a word boundary with an ellipsis (before escaping, so entities stay whole)."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip() + "…"


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


SECTION_LIMIT = 3000  # Slack's cap on a section's text


def clip(mrkdwn: str, limit: int = SECTION_LIMIT) -> str:
    """Cut already-built mrkdwn to `limit` without splitting an entity (`&amp;`) or a `<...>` token.

    Builders escape user text first and then assemble; a plain slice could leave `&am` behind,
    which Slack would show as garbage, or half of a mention.
    """
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = mrkdwn[: limit - 1]
    amp, semi = cut.rfind("&"), cut.rfind(";")
    if amp > semi:
        cut = cut[:amp]
    lt, gt = cut.rfind("<"), cut.rfind(">")
    if lt > gt:
        cut = cut[:lt]
    return cut + "…"


def _safe_cut(mrkdwn: str, limit: int) -> int:
    """Where to cut `mrkdwn` to at most `limit` characters: a newline, else a space, in the second half of
    the window, else the limit itself; then back off so no entity (`&amp;`) or `<...>` token is split."""
    window = mrkdwn[:limit]
    cut = next((at for at in (window.rfind("\n"), window.rfind(" ")) if at > limit // 2), limit)
    amp, semi = window.rfind("&", 0, cut), window.rfind(";", 0, cut)
    if amp > semi:
        cut = amp
    lt, gt = window.rfind("<", 0, cut), window.rfind(">", 0, cut)
    if lt > gt:
        cut = lt
    return cut if cut > 0 else limit


def split(mrkdwn: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Cut already-built mrkdwn into pieces of at most `limit` characters, losing nothing (unlike `clip`).

    Escaping can make user text up to five times longer (`&` -> `&amp;`), so a note that fits before
    escaping may need several sections after it.
    """
    pieces = []
    while len(mrkdwn) > limit:
        cut = _safe_cut(mrkdwn, limit)
        pieces.append(mrkdwn[:cut].rstrip())
        mrkdwn = mrkdwn[cut:].lstrip()
    return [*pieces, mrkdwn]
