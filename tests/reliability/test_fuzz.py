"""Item 12: fuzz the thread-reply parser and the OKR import with arbitrary input.

Nothing may raise except the documented errors: ParseError from the reply parser, InvalidInput /
OkrError (OkrFileInvalid is one) from the importer. Kept modest (200 examples) so CI stays fast.
"""

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.okr.replies import KRRef, ParseError, parse_reply
from bot.okr.types import Confidence, KRKind
from bot.services.kernel.errors import OkrError
from bot.services.okr_io.importer import import_okrs
from storage.db import Database
from tests.scenario.seed import okr_data

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The parser needs no database, and 200 import examples would each need a fresh server database.
pytestmark = pytest.mark.sqlite_only(reason="fuzzes on in-process SQLite files; the parser touches no database")
REPLY_WORDS = (
    "1: 2: 42 1,200.5 1.200,5 -3 nan inf 1e309 done not at risk on track blocked by blockers: no change".split()
)
REPLY_WORDS += [",", ";", "\n", "%", "&lt;!channel&gt;", "👍", "שלום"]
KR_REFS = st.lists(
    st.builds(
        KRRef,
        index=st.just(0),
        title=st.text(max_size=40),
        kind=st.sampled_from(list(KRKind)),
        unit=st.sampled_from(["", "%", "€", "users"]),
        current=st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=32)),
        confidence=st.one_of(st.none(), st.sampled_from(list(Confidence))),
    ),
    min_size=1,
    max_size=4,
).map(lambda refs: [KRRef(i, r.title, r.kind, r.unit, r.current, r.confidence) for i, r in enumerate(refs, 1)])
REPLIES = st.one_of(st.text(max_size=300), st.lists(st.sampled_from(REPLY_WORDS), max_size=12).map(" ".join))


@pytest.mark.slow
@FUZZ
@given(text=REPLIES, refs=KR_REFS, allow_unsure=st.booleans())
def test_reply_parser_raises_only_parse_error(text, refs, allow_unsure):
    try:  # the adapter has unescaped the text; a literal "&lt;" may remain. allow_unsure=True: the Confirm / Edit flow
        drafts = parse_reply(text, refs, allow_unsure=allow_unsure)
    except ParseError as exc:
        assert exc.problems
        return
    for draft in drafts:
        assert 1 <= draft.index <= len(refs)
        assert draft.no_change or draft.value is None or abs(draft.value) != float("inf")
        assert allow_unsure or draft.unsure is None


def _mutate(data: dict, path: list, value):
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


LEAVES = [
    ["cycle", "start"],
    ["cycle", "name"],
    ["teams", 0, "timezone"],
    ["teams", 0, "checkin"],
    ["teams", 0, "name"],
    ["people", 0, "id"],
    ["people", 0, "tz"],
    ["objectives", 0, "title"],
    ["objectives", 0, "team"],
    ["objectives", 0, "key_results", 0, "target"],
    ["objectives", 0, "key_results", 0, "kind"],
    ["objectives", 0, "key_results"],
    ["objectives", 0, "key_results", 0, "owner"],
    ["teams"],
    ["people"],
]
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
DOCUMENTS = st.one_of(
    st.text(max_size=200),  # YAML text
    st.dictionaries(st.text(max_size=10), JUNK, max_size=5),
    st.builds(lambda path, value: _mutate(okr_data(), path, value), st.sampled_from(LEAVES), JUNK),
)


async def _dry_run(data) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'fuzz.db'}")
        await db.create_all()
        try:
            await import_okrs(db, data, dry_run=True)
        except OkrError as exc:
            assert str(exc) or exc.args
        finally:
            await db.dispose()


@pytest.mark.slow
@FUZZ
@given(data=DOCUMENTS)
def test_import_dry_run_raises_only_documented_errors(data):
    asyncio.run(_dry_run(data))
