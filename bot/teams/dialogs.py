"""Dialogs (task modules) for Teams: the full check-in form, and the answers a dialog's invoke gets back.

A dialog is the answer to a `task/fetch` invoke (a TaskModuleContinueResponse carrying an Adaptive Card); its
Submit (Action.Submit) comes back as `task/submit`, answered with the same card again (with what was typed and
what was wrong: Teams has no server-side field errors) or with a message that closes it.
The form's context (the KR, the check-in being edited) travels in the Submit's data, as Slack's modal carries it
in `private_metadata`; teams_in.dialogs reads it back and never trusts it (the services check permissions).
"""

from microsoft_teams.api import (
    Attachment,
    CardTaskModuleTaskInfo,
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleResponse,
)
from microsoft_teams.cards import AdaptiveCard, Choice, ChoiceSetInput, RichTextBlock, SubmitAction, TextInput, TextRun
from microsoft_teams.cards.utilities import SubmitData

from bot.okr.messages.checkins import CheckInForm
from bot.okr.types import Confidence, KRKind
from bot.teams.cards import CARD_VERSION, CONFIDENCES, DialogSubmit, emoji, run, teams_words

ADAPTIVE = "application/vnd.microsoft.card.adaptive"
FIELDS = ("value", "confidence", "comment", "blockers")  # the form's input ids, one KR per dialog


def dialog(title: str, body: list, *, submit: SubmitAction | None = None) -> TaskModuleResponse:
    """Open (or keep open, redrawn) a dialog showing this card."""
    card = AdaptiveCard(version=CARD_VERSION, body=body, actions=[submit] if submit else None)
    info = CardTaskModuleTaskInfo(title=title, card=Attachment(content_type=ADAPTIVE, content=card))
    return TaskModuleResponse(task=TaskModuleContinueResponse(value=info))


def dialog_message(text: str) -> TaskModuleResponse:
    """Close the dialog (or refuse to open one) with a short message Teams shows in a box."""
    return TaskModuleResponse(task=TaskModuleMessageResponse(value=emoji(teams_words(text))))


def submit_button(title: str, action: DialogSubmit, **data) -> SubmitAction:
    kept = {k: v for k, v in data.items() if v is not None}
    return SubmitAction(title=title, data=SubmitData(str(action), kept))


def error_line(text: str) -> RichTextBlock:
    """A field's error, in red, right under the field (shown as typed: a TextRun)."""
    return RichTextBlock(inlines=[TextRun(text=teams_words(text), color="Attention", weight="Bolder")])


def _value_input(f: CheckInForm, typed: str) -> ChoiceSetInput | TextInput:
    if f.kind is KRKind.BINARY:
        choices = [Choice(title="Done", value="done"), Choice(title="Not done", value="not_done")]
        value = typed if typed in ("done", "not_done") else f.value or "not_done"
        return ChoiceSetInput(id="value", label="Status", style="compact", value=value, choices=choices)
    unit = f" ({f.unit})" if f.unit else ""
    return TextInput(id="value", label=f"Current value{unit}", value=typed, placeholder="e.g. 42")


def checkin_dialog(
    f: CheckInForm, *, typed: dict | None = None, error: tuple[str, str] | None = None, reply: dict | None = None
):
    """The check-in form for one KR (prefilled from `f`, or with what was `typed`); `error` is (field, message);
    `reply` (pending, index, ts) when it edits a line of an unsure reply, so the submit can rebuild the same form."""
    typed = typed if typed is not None else {}
    now = {
        "value": typed.get("value", f.value),
        "confidence": typed.get("confidence") or str(f.confidence or Confidence.ON_TRACK),
        "comment": typed.get("comment", f.comment),
        "blockers": typed.get("blockers", f.blockers),
    }
    if now["confidence"] not in CONFIDENCES:
        now["confidence"] = str(Confidence.ON_TRACK)
    choices = [Choice(title=c.label.capitalize(), value=str(c)) for c in CONFIDENCES]
    inputs = {
        "value": _value_input(f, now["value"]),
        "confidence": ChoiceSetInput(
            id="confidence", label="Confidence", style="compact", value=now["confidence"], choices=choices
        ),
        "comment": TextInput(id="comment", label="Comment (optional)", is_multiline=True, value=now["comment"]),
        "blockers": TextInput(id="blockers", label="Blockers (optional)", is_multiline=True, value=now["blockers"]),
    }
    body: list = [run(f.kr_title, bold=True)]
    for name in FIELDS:
        body.append(inputs[name])
        if error and (error[0] == name or (name == "value" and error[0] not in FIELDS)):
            body.append(error_line(error[1]))
    context = f.context
    save = submit_button("Save", DialogSubmit.CHECKIN, kr=context.kr_id, checkin=context.checkin_id, **(reply or {}))
    return dialog("Edit check-in" if f.editing else "Check in", body, submit=save)
