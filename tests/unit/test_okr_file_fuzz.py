"""Whatever it is fed, the OKR file validator either accepts it or raises InvalidInput."""

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services.kernel.errors import InvalidInput
from bot.services.okr_io.okr_file import load_okr_file
from tests.unit.test_okr_file import BASE

KEYS = [
    "cycle",
    "teams",
    "objectives",
    "people",
    "name",
    "start",
    "end",
    "title",
    "team",
    "owner",
    "key_results",
    "kind",
    "target",
    "parent",
    "ref",
    "checkin",
    "day",
    "time",
    "timezone",
    "members",
    "teams",
    "co_owners",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["U0ALICE", "Growth", "monday", "25:00", "2027-01-04", "Europe/Berlin", "../etc", "binary"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=30,
)


def _accepts_or_rejects_cleanly(data) -> None:
    try:
        load_okr_file(data)
    except InvalidInput:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_arbitrary_data(data):
    _accepts_or_rejects_cleanly(data if isinstance(data, dict) else {"cycle": data})


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text(text):
    _accepts_or_rejects_cleanly(text)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["cycle", "teams", "objectives"]), st.integers(0, 3), st.sampled_from(KEYS), values)
def test_one_corrupted_field_in_a_valid_file(section, index, key, value):
    data = copy.deepcopy(BASE)
    node = data[section]
    target = node if isinstance(node, dict) else (node[index % len(node)] if node else {})
    target[key] = value
    _accepts_or_rejects_cleanly(data)
