"""Review-note text never reaches a log line or a Slack call it should not, even when writing the note fails:
a constraint failure, Slack failing mid-note, an unexpected database error (issue 9, item 7).

Logs are captured at DEBUG with the production logging config (bot.logs), SQLAlchemy's loggers at DEBUG too:
with hide_parameters=True its statement echo and its errors say "[SQL parameters hidden ...]" instead of values.
"""

import io
import json
import logging
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.logs import log_handler, quiet_libraries
from bot.slack.ids import DigestId
from storage.models import ReviewNote
from tests.scenario.digest_seed import seed, texts

FRIDAY_DUE = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)
MARKER = "PRV-note-9913"


@pytest.fixture
def all_logs(caplog):
    """Every record at DEBUG: caplog, plus the production handler writing into a buffer."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    sqlalchemy_level = logging.getLogger("sqlalchemy").level  # WARNING, as SQLAlchemy sets it on import
    buf = io.StringIO()
    root.addHandler(log_handler(buf))
    quiet_libraries("DEBUG")
    logging.getLogger("sqlalchemy").setLevel(logging.DEBUG)  # statements and errors, parameters hidden
    caplog.set_level(logging.DEBUG)
    yield lambda: caplog.text + buf.getvalue() + "".join(str(r.args) + str(r.exc_info) for r in caplog.records)
    logging.getLogger("sqlalchemy").setLevel(sqlalchemy_level)  # not NOTSET: later tests would inherit INFO
    quiet_libraries("INFO")
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


async def _review_thread(bot):
    await seed(bot)
    await bot.tick(FRIDAY_DUE)
    _, *people = bot.fake.messages("U0MANAGER")
    return next(m for m in people if "Bob" in texts(m))


async def _sql(bot, statement: str) -> None:
    async with bot.db.engine.begin() as conn:
        await conn.exec_driver_sql(statement)


async def _notes(bot) -> list[ReviewNote]:
    async with bot.db.read() as s:
        return list((await s.exec(select(ReviewNote))).all())


def _marked_calls(fake) -> list:
    return [c for c in fake.calls if MARKER in json.dumps(c.args, ensure_ascii=False)]


async def _write_notes_three_ways(bot, bob) -> None:
    await bot.req.command("/okr", text=f"note <@U0BOB|bob> command {MARKER}", user_id="U0MANAGER")
    await bot.req.message_im("U0MANAGER", f"thread {MARKER}", channel=bob.channel, thread_ts=bob.ts)
    await bot.req.block_action("U0MANAGER", DigestId.ADD_NOTE, "U0BOB", message=bob)
    values = {
        DigestId.NOTE_BODY: {DigestId.NOTE_BODY_INPUT: f"modal {MARKER}"},
        DigestId.NOTE_VISIBILITY: {
            DigestId.NOTE_VISIBILITY_INPUT: {"type": "radio_buttons", "selected_option": {"value": "shared"}}
        },
    }
    await bot.req.view_submission("U0MANAGER", DigestId.NOTE_MODAL, values)


@pytest.mark.parametrize(
    "failure",
    [
        # A foreign-key failure, as when an admin without a person row wrote a note: forced by a trigger.
        pytest.param(
            "CREATE TRIGGER no_notes BEFORE INSERT ON review_note "
            "BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END",
            marks=pytest.mark.sqlite_only("the failure is forced by a SQLite trigger"),
            id="constraint",
        ),
        # Not a constraint at all: the table is gone (OperationalError), an error nothing expects.
        pytest.param("ALTER TABLE review_note RENAME TO review_note_gone", id="unexpected"),
    ],
)
async def test_a_failed_note_write_logs_no_note_text(bot, all_logs, failure):
    bob = await _review_thread(bot)
    await _sql(bot, failure)
    await _write_notes_three_ways(bot, bob)

    logs = all_logs()
    assert MARKER not in logs  # the note text is in no log line ...
    assert "hidden due to hide_parameters" in logs  # ... though the failures were logged, hiding the values
    assert _marked_calls(bot.fake) == []  # nobody was sent the text of a note that was not saved
    booms = [c for c in bot.fake.calls if "Something went wrong" in json.dumps(c.args)]
    assert len(booms) == 3  # the author was told, three times, with a reference id


async def test_slack_failing_mid_note_logs_no_note_text(bot, all_logs):
    bob = await _review_thread(bot)
    bot.fake.fail_next("chat.postMessage", times=20, status=500)  # the share and every confirmation fail
    await _write_notes_three_ways(bot, bob)

    assert len(await _notes(bot)) == 3  # saved before Slack failed
    assert MARKER not in all_logs()
    for call in _marked_calls(bot.fake):  # only the shared note itself, to Bob's own DM thread
        assert call.method == "chat.postMessage" and call.args["channel"] in ("U0BOB", "D0BOB"), call
        assert call.args.get("thread_ts")
