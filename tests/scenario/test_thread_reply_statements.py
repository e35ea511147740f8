"""Issue 15 item 7: a thread reply's own write transaction is a handful of Core statements, however many KRs.

The prompt and whether this reply was already recorded (one SELECT), the prompt's KRs with their owners'
delegates (one SELECT), every check-in (one INSERT ... RETURNING), every KR's new value (one UPDATE), and the
marks of its coalesced effects (the digest's teams, whether the person uses Home, one upsert). Before, the
same reply took a SELECT per KR, a SELECT of the owner per check-in and an ORM flush per row. Counted with a
`before_cursor_execute` listener on the bot's engine, through the real endpoint; nothing is timed.
"""

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import event, func, select

from storage.models import CheckIn
from tests.fakes.signing import SlackRequests
from tests.harness import SIGNING_SECRET
from tests.scenario.seed import MONDAY_10_BERLIN, at, okr_data, opens_home, seed

RETENTION = {"title": "Retention to 60%", "owner": "U0ALICE", "start": 40, "target": 60, "unit": "%"}
REPLY_TRANSACTION = [
    ("SELECT", "send_ledger"),  # the prompt, and whether this reply already has check-ins
    ("SELECT", "key_result"),  # the prompt's KRs and their owners' delegates
    ("INSERT", "check_in"),  # every line of the reply
    ("UPDATE", "key_result"),  # every KR follows its check-in
    ("SELECT", "objective"),  # the teams whose digests show these KRs
    ("SELECT", "person"),  # whether the person uses the Home tab
    ("INSERT", "effect_due"),  # the marks
]


def _shape(sql: str) -> tuple[str, str]:
    """(verb, table): a SELECT by its first column's table, an INSERT by its target, an UPDATE by its table."""
    words = sql.replace('"', "").split()
    verb = words[0].upper()
    return verb, (words[2] if verb == "INSERT" else words[1]).split(".")[0]


async def _reply_transaction(bot, unsettled: SlackRequests, text: str, thread_ts: str) -> list[tuple[str, str]]:
    """The statements of the transaction that stored the reply's check-ins (other connections left out)."""
    by_conn: dict[int, list[list[str]]] = defaultdict(list)

    def listener(conn, cursor, sql, *rest):
        if sql.startswith("BEGIN") or not by_conn[id(conn)]:
            by_conn[id(conn)].append([])
        if not sql.startswith("BEGIN"):
            by_conn[id(conn)][-1].append(sql)

    event.listen(bot.db.engine.sync_engine, "before_cursor_execute", listener)
    try:
        assert (await unsettled.message_im("U0ALICE", text, thread_ts=thread_ts)).status == 200
        await bot.inbox.wait_idle()
    finally:
        event.remove(bot.db.engine.sync_engine, "before_cursor_execute", listener)
    (unit,) = [u for units in by_conn.values() for u in units if any(s.startswith("INSERT INTO check_in") for s in u)]
    return [_shape(sql) for sql in unit]


async def test_a_thread_reply_on_two_krs_is_stored_by_seven_core_statements(bot):
    await seed(bot, okr_data(team={"channel": "C0GROWTH"}, extra_krs=[RETENTION]))
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=1))
    await opens_home(bot, "U0ALICE")
    bot.fake.reset_calls()
    unsettled = SlackRequests(bot.app_url, SIGNING_SECRET, fake=bot.fake)  # one: its message ts never repeat

    assert await _reply_transaction(bot, unsettled, "1: 40, on track", prompt.ts) == REPLY_TRANSACTION  # one KR
    two = await _reply_transaction(bot, unsettled, "1: 41, at risk\n2: 45, on track, waiting on data", prompt.ts)
    assert two == REPLY_TRANSACTION  # two KRs: the same statements

    async with bot.db.read() as session:
        thread = select(func.count()).select_from(CheckIn).where(CheckIn.source == "thread")
        assert (await session.exec(thread)).scalar_one() == 3
    (*_, confirmation) = bot.fake.messages("U0ALICE", thread_ts=prompt.ts)
    assert "41% / 45%" in confirmation.text and "45% / 60%" in confirmation.text
    await bot.settle()
    (publish,) = bot.fake.calls_to("views.publish")  # her Home tab, once, after both
    assert publish.args["user_id"] == "U0ALICE"
