"""The OKR file names a team's platform (default slack) and Teams people as teams:<Entra object id>."""

import json

import pytest
from sqlmodel import select

from bot.services.kernel.context import Services
from bot.services.okr_io.exporter import export_okrs
from bot.services.okr_io.importer import import_okrs
from bot.services.okr_io.okr_file import OkrFileInvalid, load_okr_file
from storage.models import Team
from tests.teams.activities import ALICE
from tests.teams.test_teams_checkin import OKRS

CYCLE = {"name": "2027-Q1", "start": "2027-01-04", "end": "2027-04-02"}


def test_platform_defaults_to_slack():
    f = load_okr_file({"cycle": CYCLE, "teams": [{"name": "Growth", "members": ["U0ALICE"]}]})
    assert f.teams[0].platform == "slack"


def test_a_teams_person_on_a_slack_team_is_refused_clearly():
    with pytest.raises(OkrFileInvalid) as err:
        load_okr_file({"cycle": CYCLE, "teams": [{"name": "Growth", "members": [ALICE]}]})
    assert "is not a Slack user id (U…), as platform: slack needs" in str(err.value.errors)


def test_a_slack_id_on_a_teams_team_is_refused_clearly():
    with pytest.raises(OkrFileInvalid) as err:
        load_okr_file({"cycle": CYCLE, "teams": [{"name": "Growth", "platform": "teams", "members": ["U0ALICE"]}]})
    assert "is not teams:<Entra object id>" in str(err.value.errors)


def test_a_malformed_teams_id_is_refused():
    with pytest.raises(OkrFileInvalid) as err:
        load_okr_file({"cycle": CYCLE, "teams": [{"name": "G", "platform": "teams", "members": ["teams:alice"]}]})
    assert "is not a Slack user id" in str(err.value.errors)  # the id check names the accepted shapes' family


async def test_platform_is_stored_and_exported(db):
    svc = Services(db=db, notifier=None, directory=None)
    await import_okrs(svc, OKRS, dry_run=False)
    async with db.transaction() as s:
        (team,) = (await s.exec(select(Team))).all()
    assert team.platform == "teams"
    exported = json.loads(await export_okrs(svc, fmt="json"))
    assert exported["teams"][0]["platform"] == "teams"
    assert load_okr_file(exported).teams[0].members == [ALICE]
