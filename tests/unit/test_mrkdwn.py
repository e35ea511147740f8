"""Escaping and clipping of mrkdwn."""

import pytest

from bot.slack.mrkdwn import clip, esc, shorten, split, unescape


def test_escape_defuses_mentions_and_links():
    assert esc("<!channel> <@U0ALICE> <https://evil.example|bank> & co") == (
        "&lt;!channel&gt; &lt;@U0ALICE&gt; &lt;https://evil.example|bank&gt; &amp; co"
    )
    assert unescape(esc("a < b & c > d")) == "a < b & c > d"
    assert unescape("&amp;lt;") == "&lt;"  # one pass: an escaped entity stays literal


@pytest.mark.parametrize(
    "tail",
    ["&amp;&amp;&amp;", "&lt;!channel&gt;", "<@U0ALICE> and <#C0GROWTH>", "plain words only"],
)
@pytest.mark.parametrize("pad", range(2985, 3001))
def test_clip_never_splits_an_entity_or_a_token(pad, tail):
    text = "x" * pad + tail + "y" * 50
    out = clip(text)
    assert len(out) <= 3000
    body = out.removesuffix("…")
    assert text.startswith(body)
    # every & that survives starts a whole entity
    assert body.count("&") == body.count("&amp;") + body.count("&lt;") + body.count("&gt;")
    assert body.count("<") == body.count(">")


def test_short_text_is_untouched_and_shorten_cuts_on_words():
    assert clip("hello") == "hello"
    assert shorten("one two three four", 10) == "one two…"


def test_split_keeps_everything_and_never_cuts_an_entity():
    text = esc("&<>" * 1500 + " tail words here")  # 19,516 characters once escaped, no space for 19,500
    pieces = split(text, 3000)
    assert len(pieces) == 7 and all(len(p) <= 3000 for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")  # only the spaces cut at are dropped
    assert all(esc(unescape(p)) == p for p in pieces)  # each piece holds whole entities only
