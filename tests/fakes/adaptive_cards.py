"""What the fake connector accepts as an Adaptive Card: schema 1.5, the version okrbot targets (bot.teams.cards).

Hand-written from the Adaptive Cards 1.5 schema (adaptivecards.io/schemas/1.5.0/adaptive-card.json): the known
element and action types, each with its required properties and the version it arrived in, camelCase property
names only (a snake_case name means a model was dumped without its aliases; Teams would ignore it), unique
input ids, and choices with a title and a value. It returns the problems; an empty list means accepted.
"""

TARGET = "1.5"
ELEMENTS = {  # type -> (required properties, version it arrived in)
    "TextBlock": (("text",), "1.0"),
    "RichTextBlock": (("inlines",), "1.2"),
    "Image": (("url",), "1.0"),
    "ImageSet": (("images",), "1.0"),
    "Media": (("sources",), "1.1"),
    "Container": (("items",), "1.0"),
    "ColumnSet": ((), "1.0"),
    "FactSet": (("facts",), "1.0"),
    "ActionSet": (("actions",), "1.2"),
    "Table": ((), "1.5"),
    "Input.Text": (("id",), "1.0"),
    "Input.Number": (("id",), "1.0"),
    "Input.Date": (("id",), "1.0"),
    "Input.Time": (("id",), "1.0"),
    "Input.Toggle": (("id", "title"), "1.0"),
    "Input.ChoiceSet": (("id",), "1.0"),
}
ACTIONS = {
    "Action.OpenUrl": (("url",), "1.0"),
    "Action.Submit": ((), "1.0"),
    "Action.ShowCard": (("card",), "1.0"),
    "Action.ToggleVisibility": (("targetElements",), "1.2"),
    "Action.Execute": ((), "1.4"),
}
INLINES = {"TextRun": (("text",), "1.2")}
CONTAINERS = {"body": ELEMENTS, "items": ELEMENTS, "actions": ACTIONS, "inlines": INLINES}


def _version(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def card_problems(card: dict) -> list[str]:
    problems: list[str] = []
    if card.get("type") != "AdaptiveCard":
        problems.append("type is not AdaptiveCard")
    if card.get("version") != TARGET:
        problems.append(f"version is {card.get('version')!r}, not {TARGET}")
    ids: list[str] = []
    for key in ("body", "actions"):
        for item in card.get(key) or []:
            _check(item, CONTAINERS[key], f"{key}", problems, ids)
    problems += [f"input id {i!r} is not unique" for i in {i for i in ids if ids.count(i) > 1}]
    return problems


def _check(item: dict, known: dict, where: str, problems: list[str], ids: list[str]) -> None:
    kind = item.get("type")
    if kind not in known:
        problems.append(f"{where}: unknown type {kind!r}")
        return
    required, since = known[kind]
    if _version(since) > _version(TARGET):
        problems.append(f"{where}: {kind} needs {since}")
    problems += [f"{where}: {kind} lacks {name}" for name in required if item.get(name) in (None, "", [])]
    problems += [f"{where}: {kind} has snake_case {name}" for name in item if "_" in name]
    if kind.startswith("Input."):
        ids.append(item.get("id"))
    if kind == "Input.ChoiceSet":
        for choice in item.get("choices") or []:
            if not isinstance(choice.get("title"), str) or not isinstance(choice.get("value"), str):
                problems.append(f"{where}: a choice needs a string title and value")
    if kind == "Action.ShowCard":  # the card it reveals: same rules, and its input ids count with the parent's
        shown = item.get("card") if isinstance(item.get("card"), dict) else {}
        if shown.get("type") != "AdaptiveCard":
            problems.append(f"{where}: Action.ShowCard card is not an AdaptiveCard")
        for key in ("body", "actions"):
            for child in shown.get(key) or []:
                _check(child, CONTAINERS[key], f"{where}/card", problems, ids)
    if kind == "Action.Execute" and not isinstance(item.get("data", {}), dict):
        problems.append(f"{where}: Action.Execute data is not an object")
    if "text" in item and not isinstance(item["text"], str):
        problems.append(f"{where}: {kind} text is not a string")
    for key, inner in CONTAINERS.items():
        if key in item and key != "body":
            for child in item[key] or []:
                _check(child, inner, f"{where}/{kind}", problems, ids)
