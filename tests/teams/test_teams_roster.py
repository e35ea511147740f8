"""The OKR file names Carol by email; okrbot maps her from the Teams roster and her prompts reach her.

Read on install (1:1: the person's own entry, while someone named by email is unmapped) and when okrbot is
installed in a team or the team's members change (conversationUpdate): GET …/pagedMembers, page by page.
Someone known only from the roster gets their 1:1 chat opened (POST /v3/conversations) at the first send.
"""

import json
import logging
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.services.okr_io.exporter import export_okrs
from bot.services.okr_io.importer import import_okrs
from bot.services.okr_io.okr_file import load_okr_file
from bot.services.okr_io.okr_file_checks import OkrFileInvalid
from storage.models import KeyResult, Person, SendLedger, TeamMember, TeamsAddress
from tests.teams.activities import ALICE, ALICE_AAD, BOT, CHAT, TENANT, install, post
from tests.teams.test_teams_checkin import MONDAY_10_BERLIN, card_texts

CAROL_AAD = "c3c3c3c3-0000-4000-8000-000000000003"
CAROL = f"teams:{CAROL_AAD}"
TEAM = "19:growth-team@thread.tacv2"
MONDAY_10_UTC = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


def okrs(alice: str = ALICE) -> dict:
    return {
        "cycle": {"name": "2027-Q1", "start": "2027-01-04", "end": "2027-04-02"},
        "teams": [{"name": "Growth", "platform": "teams", "timezone": "UTC", "members": [alice, "carol@example.com"]}],
        "people": [{"id": "Carol@Example.com", "name": "Carol"}],
        "objectives": [
            {
                "title": "Make onboarding effortless",
                "team": "Growth",
                "key_results": [
                    {"title": "Activation rate", "owner": alice, "start": 30, "target": 45, "unit": "%"},
                    {"title": "Docs coverage", "owner": "carol@example.com", "start": 10, "target": 80, "unit": "%"},
                ],
            }
        ],
    }


def member(name: str, user_id: str, aad: str, email: str) -> dict:
    """A member as pagedMembers lists them (TeamsChannelAccount)."""
    return {
        "id": user_id,
        "name": name,
        "aadObjectId": aad,
        "email": email,
        "userPrincipalName": email,
        "tenantId": TENANT,
    }


ROSTER = [
    member("Alice", "29:alice", ALICE_AAD, "alice@example.com"),
    member("Carol", "29:carol", CAROL_AAD, "carol@example.com"),
    member("Dan", "29:dan", "d4d4d4d4-0000-4000-8000-000000000004", "dan@example.com"),  # not in the file
]


def team_install(connector) -> dict:
    """okrbot added to the Growth team: a conversationUpdate in the team's General channel."""
    return {
        "type": "conversationUpdate",
        "id": "in-team-1",
        "channelId": "msteams",
        "serviceUrl": connector.base_url,
        "from": {"id": "29:alice", "name": "Alice", "aadObjectId": ALICE_AAD},
        "recipient": BOT,
        "conversation": {"id": TEAM, "conversationType": "channel", "tenantId": TENANT, "isGroup": True},
        "channelData": {"tenant": {"id": TENANT}, "team": {"id": TEAM}, "eventType": "teamMemberAdded"},
        "membersAdded": [{"id": BOT["id"]}],
    }


def paged_calls(connector, conversation: str) -> list:
    return [
        c for c in connector.calls if c.method == "GET" and c.path == f"/v3/conversations/{conversation}/pagedMembers"
    ]


async def test_installing_in_a_team_reads_the_roster_page_by_page_and_carol_gets_her_prompt(teams_bot):
    await import_okrs(teams_bot.svc, okrs(), dry_run=False)
    await teams_bot.tick(MONDAY_10_UTC)  # before the roster: okrbot cannot reach carol@example.com yet
    async with teams_bot.db.transaction() as s:
        (failed,) = (await s.exec(select(SendLedger).where(SendLedger.recipient == "email:carol@example.com"))).all()
    assert failed.status == "failed" and "have not installed the app" in failed.error
    teams_bot.connector.members[TEAM] = ROSTER
    teams_bot.connector.page_size = 2
    assert await post(teams_bot, team_install(teams_bot.connector)) == 200
    pages = paged_calls(teams_bot.connector, TEAM)
    assert [c.query.get("continuationToken") for c in pages] == [None, "p2"]  # two pages, the second by token
    async with teams_bot.db.transaction() as s:
        kr = (await s.exec(select(KeyResult).where(KeyResult.title == "Docs coverage"))).one()
        carol = await s.get(Person, CAROL)
        assert await s.get(Person, "email:carol@example.com") is None  # folded into her Teams person
        members = (await s.exec(select(TeamMember.person_id))).all()
        address = (await s.exec(select(TeamsAddress).where(TeamsAddress.person_id == CAROL))).one()
        dan = (await s.exec(select(Person).where(Person.email == "dan@example.com"))).first()
    assert kr.owner_id == CAROL and (carol.email, carol.display_name) == ("carol@example.com", "Carol")
    assert CAROL in members and "email:carol@example.com" not in members
    assert (address.user_id, address.conversation_id) == ("29:carol", "")  # known, but no chat opened yet
    assert dan is None  # okrbot keeps no row for people it has no use for
    assert not [c for c in teams_bot.connector.calls if c.method == "POST"]  # the roster read only reads
    await teams_bot.tick(MONDAY_10_UTC.replace(minute=5))  # the same slot: the first send opens her chat
    opened = [c.body for c in teams_bot.connector.calls if c.method == "POST" and c.path == "/v3/conversations"]
    assert sorted(b["members"][0]["id"] for b in opened) == ["29:alice", "29:carol"]  # the file's people, not Dan
    assert all(b["tenantId"] == TENANT and len(b["members"]) == 1 for b in opened)
    async with teams_bot.db.transaction() as s:
        address = (await s.exec(select(TeamsAddress).where(TeamsAddress.person_id == CAROL))).one()
    assert address.conversation_id == "a:1on1-29:carol"  # kept: the next send goes straight there
    (prompt,) = teams_bot.connector.sent("a:1on1-29:carol")
    assert "Weekly check-in" in card_texts(prompt) and "Docs coverage" in card_texts(prompt)


async def test_a_person_named_by_email_is_mapped_when_they_install_and_reimport_keeps_them(teams_bot):
    data = okrs(alice="alice@example.com")
    await import_okrs(teams_bot.svc, data, dry_run=False)
    teams_bot.connector.members[CHAT] = [ROSTER[0]]
    assert await post(teams_bot, install(teams_bot.connector)) == 200
    assert len(paged_calls(teams_bot.connector, CHAT)) == 1  # her own entry, for her email
    await teams_bot.tick(MONDAY_10_BERLIN)  # her zone came with the install: 10:00 in Berlin
    (prompt,) = teams_bot.connector.sent(CHAT)
    assert "Activation rate" in card_texts(prompt)
    report = await import_okrs(teams_bot.svc, data, dry_run=False)  # the file still says alice@example.com
    assert report.created == 0
    async with teams_bot.db.transaction() as s:
        owners = set((await s.exec(select(KeyResult.owner_id))).all())
        assert await s.get(Person, "email:alice@example.com") is None
    assert owners == {ALICE, "email:carol@example.com"}  # Carol has not installed okrbot yet


async def test_without_email_people_an_install_reads_no_roster(teams_bot):
    await import_okrs(teams_bot.svc, okrs() | {"people": []} | _no_carol(), dry_run=False)
    assert await post(teams_bot, install(teams_bot.connector)) == 200
    assert teams_bot.connector.calls == []


def _no_carol() -> dict:
    data = okrs()
    data["teams"][0]["members"] = [ALICE]
    data["objectives"][0]["key_results"] = data["objectives"][0]["key_results"][:1]
    return {"teams": data["teams"], "objectives": data["objectives"]}


async def test_a_roster_the_connector_refuses_leaves_the_install_answered(teams_bot, caplog):
    await import_okrs(teams_bot.svc, okrs(), dry_run=False)
    teams_bot.connector.fail_next = [(503, {}, {"error": {"code": "ServiceUnavailable"}})]
    with caplog.at_level(logging.WARNING):
        assert await post(teams_bot, team_install(teams_bot.connector)) == 200
    assert any("teams roster: the connector said 503" in r.getMessage() for r in caplog.records)
    async with teams_bot.db.transaction() as s:
        assert await s.get(Person, "email:carol@example.com") is not None  # nothing mapped; the next read retries
    teams_bot.connector.members[TEAM] = ROSTER
    assert await post(teams_bot, team_install(teams_bot.connector)) == 200
    async with teams_bot.db.transaction() as s:
        assert await s.get(Person, "email:carol@example.com") is None


def test_the_file_names_people_by_email_only_on_teams_teams():
    data = okrs()
    data["teams"][0]["platform"] = "slack"
    data["teams"][0]["members"] = ["U0ALICE", "carol@example.com"]
    with pytest.raises(OkrFileInvalid) as err:
        load_okr_file(data)
    assert "'email:carol@example.com' is not a Slack user id (U…), as platform: slack needs" in str(err.value.errors)
    bad = okrs()
    bad["objectives"][0]["key_results"][1]["owner"] = "carol@"
    with pytest.raises(OkrFileInvalid) as err:
        load_okr_file(bad)
    assert "owner: 'carol@' is not a Slack user id, teams:<Entra object id> or email address" in str(err.value.errors)
    assert load_okr_file(okrs()).people[0].id == "email:carol@example.com"  # lower-cased, as stored


async def test_a_team_install_reads_the_roster_once(teams_bot):
    await import_okrs(teams_bot.svc, okrs(), dry_run=False)
    teams_bot.connector.members[TEAM] = ROSTER
    installed = team_install(teams_bot.connector) | {"type": "installationUpdate", "action": "add", "id": "in-team-0"}
    installed.pop("membersAdded")
    assert await post(teams_bot, installed) == 200  # Teams sends this and the conversationUpdate
    assert await post(teams_bot, team_install(teams_bot.connector)) == 200
    assert len(paged_calls(teams_bot.connector, TEAM)) == 1


async def test_a_chat_teams_will_not_open_is_a_failed_send_that_a_later_tick_retries(teams_bot):
    await import_okrs(teams_bot.svc, okrs(), dry_run=False)
    teams_bot.connector.members[TEAM] = ROSTER
    assert await post(teams_bot, team_install(teams_bot.connector)) == 200
    teams_bot.connector.fail_next = [(403, {}, {"error": {"code": "Forbidden"}})] * 2  # Alice's and Carol's
    report = await teams_bot.tick(MONDAY_10_UTC)
    async with teams_bot.db.transaction() as s:
        row = (await s.exec(select(SendLedger).where(SendLedger.recipient == CAROL))).one()
    assert (row.status, row.error) == ("failed", "teams_403 could not open a 1:1 chat with them")
    assert any("could not open a 1:1 chat" in line for line in report.lines)
    await teams_bot.tick(MONDAY_10_UTC.replace(minute=5))
    (prompt,) = teams_bot.connector.sent("a:1on1-29:carol")
    assert "Docs coverage" in card_texts(prompt)


async def test_an_unmapped_email_person_exports_and_imports_back_unchanged(teams_bot):
    await import_okrs(teams_bot.svc, okrs(), dry_run=False)
    exported = json.loads(await export_okrs(teams_bot.svc, fmt="json"))
    assert "email:carol@example.com" in exported["teams"][0]["members"]
    assert {"id": "email:carol@example.com", "name": "Carol"}.items() <= exported["people"][0].items()
    report = await import_okrs(teams_bot.svc, exported, dry_run=False)
    assert (report.created, report.updated) == (0, 0)


async def test_the_sign_in_name_maps_too_when_the_email_differs(teams_bot):
    await import_okrs(teams_bot.svc, okrs(), dry_run=False)
    carol = member("Carol", "29:carol", CAROL_AAD, "carol.smith@example.com") | {
        "userPrincipalName": "Carol@example.com"
    }
    teams_bot.connector.members[TEAM] = [carol]
    assert await post(teams_bot, team_install(teams_bot.connector)) == 200
    async with teams_bot.db.transaction() as s:
        owner = (await s.exec(select(KeyResult.owner_id).where(KeyResult.title == "Docs coverage"))).one()
        person = await s.get(Person, CAROL)
    assert owner == CAROL and person.email == "carol@example.com"  # the address the file knows her by
