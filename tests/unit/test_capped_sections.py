"""Lists that grow with team size fit Slack's limits and say how many they left out."""

import re

import pytest

from bot.slack.builders.lines import capped_sections

HEAD = "*Not checked in yet:* "


@pytest.mark.parametrize("count", [0, 1, 5, 100, 140, 141, 300, 5000])
@pytest.mark.parametrize("width", [6, 20, 80, 900])
def test_every_section_fits_and_nothing_is_silently_dropped(count, width):
    items = [f"{i:05d}".ljust(width, "x") for i in range(count)]
    out = capped_sections(HEAD, items, sections=3)
    assert 1 <= len(out) <= 3 and all(len(t) <= 3000 for t in out)
    assert out[0].startswith(HEAD)
    shown = sum(len(re.findall(r"\d{5}x*", t)) for t in out)
    more = re.search(r"…and (\d+) more$", out[-1])
    assert shown + (int(more[1]) if more else 0) == count
    assert (more is None) == (shown == count)


def test_short_lists_are_untouched():
    assert capped_sections(HEAD, ["Bob", "Dave"], sections=3) == [HEAD + "Bob, Dave"]
