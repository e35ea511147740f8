"""Escaping for Slack mrkdwn.

Every piece of user text goes through `esc` before it is placed in mrkdwn; otherwise a
comment like `<!channel>` pings a whole channel and `<https://evil|bank>` hides a link.
"""


def esc(text: str | None) -> str:
    """Escape &, < and > exactly as Slack documents; everything else is literal."""
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str | None) -> str:
    """Undo Slack's escaping of incoming message text, so we store what the person typed."""
    if not text:
        return ""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def shorten(text: str | None, limit: int) -> str:
    """Cut long text on a word boundary with an ellipsis (before escaping, so entities stay whole)."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip() + "…"


def mention(user_id: str) -> str:
    return f"<@{user_id}>"
