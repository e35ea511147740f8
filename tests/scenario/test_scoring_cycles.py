"""End of cycle: owners score their KRs in the final week, the final digest shows the scores,
and an admin closes the quarter and opens the next one, carrying unfinished objectives over."""

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.cli import main
from bot.slack.ids import DigestId
from storage.models import Cycle, KeyResult, Objective
from tests.scenario.digest_seed import EXAMPLE, kr_id, seed, texts


async def test_final_week_score_prompt_score_and_final_digest(bot):
    await seed(bot)
    await bot.tick(datetime(2027, 3, 26, 12, 0, tzinfo=UTC))  # the week before: nothing to score yet
    assert not any("score" in texts(m) for m in bot.fake.messages("U0ALICE"))
    await bot.tick(datetime(2027, 3, 29, 9, 0, tzinfo=UTC))  # Monday of the final week, 11:00 in Berlin
    await bot.tick(datetime(2027, 3, 29, 9, 5, tzinfo=UTC))
    (prompt,) = [m for m in bot.fake.messages("U0ALICE") if "Time to score" in texts(m)]
    assert "0.7 is a healthy score for a stretch goal" in texts(prompt)
    assert not any("Time to score" in texts(m) for m in bot.fake.messages("U0BOB"))  # 04:00 in New York

    activation = await kr_id(bot, "Activation")
    await bot.req.block_action(
        "U0ALICE", DigestId.SCORE_PICK, message=prompt, selected_option={"value": f"{activation}:0.8"}
    )
    async with bot.db.transaction() as s:
        assert (await s.get(KeyResult, activation)).score == 0.8
    assert "Scored Activation" in bot.fake.calls_to("response_url")[-1].args["text"]

    await bot.tick(datetime(2027, 4, 2, 14, 0, tzinfo=UTC))  # final Friday, 16:00 in Berlin
    final = bot.fake.messages("C0GROWTH")[-1]
    assert "Final week of the cycle" in texts(final)
    assert "score *0.8*" in texts(final) and "*Average score:* 0.8" in texts(final)
    bot.fake.assert_no_warnings()


async def test_cycle_commands_are_for_admins(bot):
    await seed(bot)
    await bot.req.command("/okr", text="cycle close", user_id="U0ALICE")
    assert "Only okrbot admins" in bot.fake.calls_to("response_url")[-1].args["text"]
    await bot.req.command("/okr", text="cycle open 2027-Q2 2027-04-05 2027-07-02 carry-over", user_id="U0ADMIN")
    assert "opened 2027-Q2" in bot.fake.calls_to("response_url")[-1].args["text"]
    async with bot.db.transaction() as s:
        states = {c.name: c.state for c in (await s.exec(select(Cycle))).all()}
        carried = (await s.exec(select(Objective).where(Objective.cycle_id != 1))).all()
    assert states == {"2027-Q1": "closed", "2027-Q2": "active"} and len(carried) == 3
    await bot.req.command("/okr", text="cycle close", user_id="U0ADMIN")
    assert "Closed 2027-Q2." in bot.fake.calls_to("response_url")[-1].args["text"]


@pytest.mark.sqlite_only(reason="edits and reads the database file with the sqlite3 module")
def test_cli_cycle_close_and_open_with_carry_over(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "okrbot.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    assert main(["import", str(EXAMPLE)]) == 0
    with sqlite3.connect(db) as conn:  # onboarding is done; trial conversion stands at 5%
        conn.execute("UPDATE key_result SET current_value = target_value WHERE title LIKE 'Activation%'")
        conn.execute("UPDATE key_result SET current_value = 1 WHERE title = 'Ship the guided setup'")
        conn.execute("UPDATE key_result SET current_value = 5, confidence = 'at_risk' WHERE ref = 'trial-conversion'")
    capsys.readouterr()
    assert main(["cycle", "open", "2027-Q2", "--start", "2027-04-05", "--end", "2027-07-02", "--carry-over"]) == 0
    assert "closed 2027-Q1; opened 2027-Q2 (active); carried over 2 objectives with 4 KRs" in capsys.readouterr().out
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT o.title, k.start_value, k.current_value, k.confidence, o.parent_id IS NOT NULL FROM key_result k "
            "JOIN objective o ON o.id = k.objective_id JOIN cycle c ON c.id = o.cycle_id "
            "WHERE c.name = '2027-Q2' AND k.ref = 'trial-conversion'"
        ).fetchall()
        child = conn.execute(
            "SELECT p.title FROM objective o JOIN objective p ON p.id = o.parent_id JOIN cycle c ON c.id = o.cycle_id "
            "WHERE c.name = '2027-Q2'"
        ).fetchall()
    assert rows == [("Grow self-serve revenue", 5.0, 5.0, None, 0)]
    assert child == [("Grow self-serve revenue",)]  # alignment kept within the new cycle
    assert main(["cycle", "close"]) == 0
    assert "closed 2027-Q2" in capsys.readouterr().out
    assert main(["cycle", "close"]) == 2  # nothing active any more
