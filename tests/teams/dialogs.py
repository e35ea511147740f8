"""Dialogs as Teams drives them: a card's Action.Submit with `msteams.type: task/fetch` sends a `task/fetch` invoke;
the dialog's own Action.Submit sends `task/submit`. Both are answered in the invoke's HTTP response."""

from dataclasses import dataclass

from tests.fakes.adaptive_cards import card_problems
from tests.teams.activities import _base, _walk, post_json

ADAPTIVE = "application/vnd.microsoft.card.adaptive"


def openers(card: dict) -> list[dict]:
    """Every button on a card that opens a dialog, in order."""
    found = [i for i in _walk([*card.get("body", []), *card.get("actions", [])]) if i.get("type") == "Action.Submit"]
    return [b for b in found if (b.get("data") or {}).get("msteams", {}).get("type") == "task/fetch"]


def opener(card: dict, title: str) -> dict:
    (found,) = [b for b in openers(card) if b["title"] == title]
    return found


def invoke(connector, name: str, data: dict, **kw) -> dict:
    return {**_base(connector, "invoke", **kw), "name": name, "value": {"data": data, "context": {"theme": "default"}}}


@dataclass
class Answer:
    """A dialog invoke's HTTP answer: the dialog's card (`card`), or the message that closed it (`message`)."""

    status: int
    body: dict
    card: dict | None = None
    title: str = ""
    message: str | None = None

    def inputs(self, **typed) -> dict:
        """The dialog's inputs as Teams submits them: each input's value, with what the person typed over it."""
        values = {i["id"]: i.get("value", "") for i in _walk(self.card["body"]) if i["type"].startswith("Input.")}
        return {**values, **typed}

    def texts(self) -> str:
        return "\n".join(inline["text"] for block in self.card["body"] for inline in block.get("inlines", []))

    def submit(self) -> dict:
        (action,) = self.card["actions"]
        assert action["type"] == "Action.Submit"
        return action


def _answer(status: int, body: dict) -> Answer:
    assert status == 200, body
    task = body["task"]
    if task["type"] == "message":
        return Answer(status, body, message=task["value"])
    assert task["type"] == "continue"
    attachment = task["value"]["card"]
    assert attachment["contentType"] == ADAPTIVE
    card = attachment["content"]
    assert card_problems(card) == [], card_problems(card)  # a dialog's card meets the same schema as a message's
    return Answer(status, body, card=card, title=task["value"]["title"])


async def fetch(bot, button: dict, **kw) -> Answer:
    """Press a dialog-opening button: its data arrives in a task/fetch (it associates no inputs)."""
    assert button.get("associatedInputs") == "none"
    return _answer(*await post_json(bot, invoke(bot.connector, "task/fetch", dict(button["data"]), **kw)))


async def submit(bot, answer: Answer, who: str = "alice", **typed) -> Answer:
    """Press the dialog's Submit: its data with the dialog's inputs (and what was typed) merged in."""
    data = {**answer.inputs(**typed), **answer.submit()["data"]}
    return _answer(*await post_json(bot, invoke(bot.connector, "task/submit", data, who=who)))


async def submit_data(bot, data: dict, who: str = "alice") -> Answer:
    """A task/submit with exactly this data (a doctored or stale dialog)."""
    return _answer(*await post_json(bot, invoke(bot.connector, "task/submit", data, who=who)))
