"""Reading and checking OKR files: a strict YAML loader, readable error messages, cross-references.

Pure functions. Cross-reference checks read the raw (unvalidated) data defensively, so
a typo in one objective never hides an unknown team in another: every problem in the
file is reported in one go.
"""

import difflib
import re
import reprlib
from collections.abc import Iterable
from typing import Any

import yaml
from pydantic import ValidationError

from bot.services.kernel.errors import InvalidInput


class OkrFileInvalid(InvalidInput):
    """An OKR file with problems; `errors` holds one message per problem, each starting with its path."""

    def __init__(self, errors: list[str]) -> None:
        count = f"{len(errors)} problems" if len(errors) != 1 else "1 problem"
        super().__init__(f"The OKR file has {count}:\n" + "\n".join(f"  - {e}" for e in errors))
        self.errors = errors


# --- YAML -------------------------------------------------------------------------

_INT, _FLOAT, _TIMESTAMP = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"


# A real OKR file is a few hundred KB at most; these caps keep a hostile one from eating memory and minutes.
MAX_FILE_BYTES = 5 * 1024 * 1024
# Values after aliases are expanded: nine nested anchors of nine aliases each ("billion laughs") fit in
# 500 bytes yet expand to 387 million values, and everything that walks the data (validation, repr) pays for each.
MAX_VALUES = 250_000


class _TooBig(yaml.YAMLError):
    """The document expands past MAX_VALUES; raised while composing, before anything is built from it."""


class _Loader(yaml.SafeLoader):
    """SafeLoader minus YAML 1.1 surprises: `10:00` stays a string (not 600), dates stay strings
    (pydantic reports bad ones with their path), and duplicate keys are errors, not silently dropped.
    It also counts every node as expanded (an alias counts as all of what it points to) and stops at MAX_VALUES."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._sizes: dict[int, int] = {}  # id(node) -> its expanded size; nodes live as long as the loader

    def compose_node(self, parent, index):
        alias = self.check_event(yaml.AliasEvent)
        node = super().compose_node(parent, index)
        if alias:
            if id(node) not in self._sizes:  # still being composed: `&a [*a]` would nest forever
                raise _TooBig("an alias refers to the value that contains it")
            return node
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = node.value if isinstance(node, yaml.SequenceNode) else []
        size = 1 + sum(self._sizes[id(child)] for child in children)
        if size > MAX_VALUES:
            raise _TooBig(
                f"the file expands to more than {MAX_VALUES:,} values (YAML aliases repeat what their anchor holds); "
                "no OKR file needs that many"
            )
        self._sizes[id(node)] = size
        return node

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {short(key)}", key_node.start_mark)
            if isinstance(key, str | int | float | bool):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*|0x[0-9a-fA-F][0-9a-fA-F_]*)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9][0-9_]*|[-+]?\.(?:inf|Inf|INF))$"),
    list("-+0123456789."),
)


def too_large(size: int) -> str | None:
    """The refusal for a file of `size` bytes, or None when the size is fine."""
    if size <= MAX_FILE_BYTES:
        return None
    return f"the file is {size / 1024 / 1024:.1f} MB; an OKR file may be at most {MAX_FILE_BYTES // 1024 // 1024} MB"


def parse_text(text: str) -> Any:
    """YAML (or JSON, which is YAML) to plain data; syntax errors name the line and column."""
    refusal = too_large(len(text.encode("utf-8", "surrogatepass")))
    if refusal:
        raise OkrFileInvalid([refusal])
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except _TooBig as exc:
        raise OkrFileInvalid([f"refused: {exc}"]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        raise OkrFileInvalid([f"invalid YAML at {where}{exc.problem or exc.context}{context}"]) from None
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as exc:
        raise OkrFileInvalid([f"invalid YAML: {exc}"]) from None


# --- pydantic errors as path-prefixed messages --------------------------------------


def _path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        part = part if isinstance(part, int) else str(part)[:60]  # a key can be megabytes long
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"


_REPR = reprlib.Repr()
_REPR.maxstring, _REPR.maxother, _REPR.maxlevel = 60, 60, 2


def short(value: Any) -> str:
    """A repr of at most 60 characters, built without ever formatting the whole value (it may be huge)."""
    text = _REPR.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_BY_TYPE = {
    "missing": lambda e: "is required",
    "literal_error": lambda e: f"{short(e['input'])} is not one of {e['ctx']['expected']}",
    "float_parsing": lambda e: f"{short(e['input'])} is not a number",
    "float_type": lambda e: f"{short(e['input'])} is not a number",
    "finite_number": lambda e: f"{short(e['input'])} is not a finite number",
    "int_parsing": lambda e: f"{short(e['input'])} is not a whole number",
    "int_type": lambda e: f"{short(e['input'])} is not a whole number",
    "int_from_float": lambda e: f"{short(e['input'])} is not a whole number",
    "bool_parsing": lambda e: f"{short(e['input'])} is not true or false",
    "bool_type": lambda e: f"{short(e['input'])} is not true or false",
    "string_type": lambda e: f"{short(e['input'])} should be text",
    "string_too_short": lambda e: "must not be empty",
    "too_short": lambda e: "must not be empty",
    "too_long": lambda e: f"is too long (at most {e['ctx']['max_length']})",
    "string_too_long": lambda e: f"is too long (at most {e['ctx']['max_length']} characters)",
    "list_type": lambda e: f"{short(e['input'])} should be a list",
    "model_type": lambda e: f"{short(e['input'])} should be a mapping (key: value)",
    "model_attributes_type": lambda e: f"{short(e['input'])} should be a mapping (key: value)",
    "greater_than_equal": lambda e: f"{short(e['input'])} must be at least {e['ctx']['ge']}",
    "less_than_equal": lambda e: f"{short(e['input'])} must be at most {e['ctx']['le']}",
}


def format_errors(exc: ValidationError, *, vocabulary: Iterable[str] = ()) -> list[str]:
    """One `path: message` line per pydantic error; unknown keys get a did-you-mean from `vocabulary`."""
    out: list[str] = []
    words = sorted(set(vocabulary))
    for err in exc.errors(include_url=False):
        loc, kind = list(err["loc"]), err["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            hint = difflib.get_close_matches(key, words, n=1) if len(key) <= 60 else []
            message = "unknown field" + (f" (did you mean {hint[0]!r}?)" if hint else "")
        elif kind in ("value_error", "assertion_error"):
            message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
            # model-level checks name their field as "field: message"
            field = re.match(r"^([a-z_]+): (.*)$", message, re.S)
            if field:
                loc, message = [*loc, field[1]], field[2]
        elif kind.startswith("date") or kind.startswith("datetime"):
            message = f"{short(err['input'])} is not a date (YYYY-MM-DD)"
        else:
            message = _BY_TYPE.get(kind, lambda e: e["msg"])(err)
        line = f"{_path(loc)}: {message}"
        if line not in out:
            out.append(line)
    return out


# --- cross-references -------------------------------------------------------------


def _dicts(value: Any) -> list[tuple[int, dict]]:
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)] if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _name(value: Any) -> str | None:
    """A team reference as the file model will read it: the model turns a bare number (team: 7) into "7"."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return _str(value)


def parent_index(objectives: list[tuple[str | None, str | None]], parent: str) -> int | list[int] | None:
    """Which objective `parent` names: by ref first, then by title. A list means the title is ambiguous."""
    by_ref = [i for i, (ref, _) in enumerate(objectives) if ref == parent]
    if by_ref:
        return by_ref[0]
    by_title = [i for i, (_, title) in enumerate(objectives) if title == parent]
    return by_title[0] if len(by_title) == 1 else (by_title or None)


def cross_check(raw: dict, *, known_teams: Iterable[str] = ()) -> list[str]:
    """Problems that span several parts of the file: duplicates and references."""
    teams = _dicts(raw.get("teams"))
    objectives = _dicts(raw.get("objectives"))
    errors = _duplicates(teams, "teams", "name", "team name", fold=True)
    errors += _duplicates(_people(raw.get("people")), "people", "id", "person id")
    errors += _manager_errors(_people(raw.get("people")))
    errors += _duplicates(objectives, "objectives", "ref", "objective ref")
    names = {n.lower() for _, t in teams if (n := _str(t.get("name")))} | {n.lower() for n in known_teams}
    for i, obj in objectives:
        team = _name(obj.get("team"))
        if team and team.lower() not in names:
            errors.append(f"objectives[{i}].team: unknown team {short(team)}; add it under teams:")
        krs = _dicts(obj.get("key_results"))
        errors += _duplicates(krs, f"objectives[{i}].key_results", "title", "key result title")
        errors += _duplicates(krs, f"objectives[{i}].key_results", "ref", "key result ref")
        for j, kr in krs:
            contributing = kr.get("teams") if isinstance(kr.get("teams"), list) else []
            for k, name in enumerate(contributing):
                if _name(name) and _name(name).lower() not in names:
                    errors.append(f"objectives[{i}].key_results[{j}].teams[{k}]: unknown team {short(name)}")
    by_team: dict[str, list[tuple[int, dict]]] = {}
    for i, obj in objectives:
        by_team.setdefault(str(_str(obj.get("team")) or "").lower(), []).append((i, obj))
    for group in by_team.values():
        errors += _duplicates(group, "objectives", "title", "objective title in this team")
    return errors + _parent_errors(objectives, raw.get("objectives"))


def _duplicates(items: list[tuple[int, dict]], where: str, key: str, what: str, *, fold: bool = False) -> list[str]:
    seen: dict[str, int] = {}
    errors = []
    for i, item in items:
        value = _str(item.get(key))
        if value is None:
            continue
        norm = value.lower() if fold else value
        if norm in seen:
            errors.append(f"{where}[{i}].{key}: duplicate {what} {short(value)} (also {where}[{seen[norm]}])")
        else:
            seen[norm] = i
    return errors


def _people(value: Any) -> list[tuple[int, dict]]:
    """The people: list with the plain-id shorthand (`- U0ALICE`) read as `{id: U0ALICE}`."""
    if not isinstance(value, list):
        return []
    return _dicts([{"id": v} if isinstance(v, str) else v for v in value])


def _manager_errors(people: list[tuple[int, dict]]) -> list[str]:
    """Nobody manages themselves, and explicit reporting lines never loop (A -> B -> A)."""
    errors, boss, where = [], {}, {}
    for i, person in people:
        pid, manager = _str(person.get("id")), _str(person.get("manager"))
        if pid is None or manager is None:
            continue
        if manager == pid:
            errors.append(f"people[{i}].manager: {pid} cannot be their own manager")
            continue
        boss.setdefault(pid, manager)
        where.setdefault(pid, i)
    reported: set[str] = set()
    for start in boss:
        line, node = [start], boss[start]
        while node in boss and node not in line:
            line.append(node)
            node = boss[node]
        if node == start and not reported & set(line):
            reported |= set(line)
            loop = " → ".join([*line, start])
            errors.append(
                f"people[{where[start]}].manager: reporting cycle {loop}; someone in it needs another manager"
            )
    return errors


def _parent_errors(objectives: list[tuple[int, dict]], raw_list: Any) -> list[str]:
    size = len(raw_list) if isinstance(raw_list, list) else 0
    keys: list[tuple[str | None, str | None]] = [(None, None)] * size
    for i, obj in objectives:
        keys[i] = (_str(obj.get("ref")), _str(obj.get("title")))
    parents: dict[int, int] = {}
    errors = []
    for i, obj in objectives:
        parent = _str(obj.get("parent"))
        if parent is None:
            continue
        found = parent_index(keys, parent)
        if found is None:
            errors.append(
                f"objectives[{i}].parent: unknown parent {short(parent)}; use the ref or title of an objective"
            )
        elif isinstance(found, list):
            errors.append(f"objectives[{i}].parent: {short(parent)} matches several objectives; use a ref")
        elif found == i:
            errors.append(f"objectives[{i}].parent: an objective cannot be its own parent")
        else:
            parents[i] = found
    for start in parents:
        node, steps = parents[start], 0
        while node in parents and node != start and steps <= len(parents):
            node, steps = parents[node], steps + 1
        if node == start:
            errors.append(f"objectives[{start}].parent: the parent chain loops back to this objective")
    return errors
