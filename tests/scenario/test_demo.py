"""The demo (scripts/demo.sh) walks a newcomer through a week and prints it as people read it in Slack."""

import pytest

from devtools.demo import run_demo


@pytest.mark.slow
async def test_demo_prints_the_week_as_people_read_it():
    lines: list[str] = []
    await run_demo(out=lines.append)
    text = "\n".join(lines)
    # prompts at each owner's 10:00, answered in words in the thread and confirmed there
    assert "DM to Alice · okrbot:\n    :wave: Time for your weekly check-in" in text
    assert "DM to Alice (in thread) · okrbot:\n    *Recorded*" in text
    assert "*Activation rate from 30% to 45%*: 34% / 45% (27%), on track" in text
    # one nudge, only for Bob, who did not answer
    assert "DM to Bob (in thread) · okrbot:\n    :bell: A reminder" in text
    assert "DM to Alice (in thread) · okrbot:\n    :bell:" not in text
    # the digests show the answers; the manager digest and the private review note
    assert "#growth · okrbot:\n    Growth · 2027-Q1 · week 1 of 13" in text
    assert "*Not checked in yet:* Bob" in text and "> new welcome email is live" in text
    assert "DM to Maya · okrbot:" in text
    assert "Saved as a private review note about Bob" in text
    assert "@Carol" in text and '"blocks"' not in text
