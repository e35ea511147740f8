"""Teams rendering: cards for the prompt and the confirmation, plain text for every other message type."""

from bot.okr.messages import Notice
from bot.okr.messages.checkins import CheckInRecorded, RecordedLine, ReplyNotUnderstood
from bot.teams.cards import render


def _card(activity) -> dict:
    return activity.model_dump(by_alias=True, exclude_none=True)["attachments"][0]["content"]


def test_user_text_goes_only_into_text_runs_which_teams_never_reads_as_markdown():
    line = RecordedLine(1, "Ship **v2**", "42 / 100 (42%)", comment="see [this](http://evil.example)")
    card = _card(render(CheckInRecorded((line,))))
    assert {block["type"] for block in card["body"]} == {"RichTextBlock"}
    runs = [inline["text"] for block in card["body"] for inline in block["inlines"]]
    assert "Comment: see [this](http://evil.example)" in runs and "Ship **v2**: 42 / 100 (42%)" in runs


def test_other_messages_fall_back_to_their_words():
    activity = render(ReplyNotUnderstood(("no number for KR 1",), "42, on track", None, ()))
    assert activity.text == "no number for KR 1\n42, on track" and not activity.attachments
    assert activity.text_format == "plain"
    assert render(Notice("Saved", emoji="✅")).text == "✅ Saved"
