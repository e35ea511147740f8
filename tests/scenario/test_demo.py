"""`okrbot demo` walks a newcomer through a week and prints it as people read it in Slack."""

from bot.devtools.demo import run_demo


async def test_demo_prints_the_week_as_people_read_it():
    lines: list[str] = []
    await run_demo(out=lines.append)
    text = "\n".join(lines)
    assert "#growth · okrbot:\n    Growth · 2027-Q1 · week 1 of 13" in text
    assert "DM to Maya · okrbot:" in text and "*Not checked in yet:* Alice, Bob, Dave" in text
    assert "Saved as a private review note about Bob" in text
    assert "@Carol" in text and '"blocks"' not in text
