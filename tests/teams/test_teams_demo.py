"""`okrbot demo --platform teams` prints a Teams week as people read it: the prompt card, a plain-words answer and
its confirmation, the reminder, the team digest in the channel and the manager digest, as text (not JSON)."""

import os
import subprocess
import sys

import pytest

from tests.teams.serve import ROOT

pytestmark = pytest.mark.slow


def test_the_teams_demo_prints_the_week_as_people_read_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "OKRBOT_", "DATABASE_"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--platform", "teams"],
        cwd=tmp_path,  # no stray .env, and nothing written here
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout
    # Monday: the prompt card in Alice's 1:1 chat at 10:00 Berlin, its inputs and buttons shown as a person sees them
    assert "Alice's chat with okrbot · okrbot:\n    Weekly check-in\n    1. Activation rate from 30% to 45%" in text
    assert "[New value (%): 30]" in text and "[Save] [No change]" in text
    # her answer in plain words, and the confirmation card
    assert "Alice writes in the chat:\n    34, on track, new welcome email is live" in text
    assert "    Recorded\n    Activation rate from 30% to 45%: 34% / 45% (27%), on track" in text
    # Tuesday: Bob, who did not answer, gets the reminder; Alice does not
    assert "Bob's chat with okrbot · okrbot:\n    🔔 A reminder" in text
    assert "Alice's chat with okrbot · okrbot:\n    🔔" not in text
    # Friday: the team digest in the channel, and Maya's manager digest with a card per person
    assert "Growth channel (Teams) · okrbot:\n    Growth digest: 2027-Q1, week 1 of 13" in text
    assert "No check-in yet: Bob" in text
    assert "Maya's chat with okrbot · okrbot:\n    Your manager digest for Growth" in text
    assert "Bob (Growth): no check-in this period, never checked in" in text
    assert '"type"' not in text and "AdaptiveCard" not in text  # read as text, not JSON
    assert list(tmp_path.iterdir()) == []
