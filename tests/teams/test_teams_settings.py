"""Teams settings: off unless configured, refused when unsafe, and the SDK's own environment names ignored."""

import aiohttp
import pytest

from bot.config import SettingsError, load_settings
from bot.teams.server import TeamsSetupError, build_teams_app


def test_unauthenticated_mode_with_a_secret_refuses_to_start():
    with pytest.raises(SettingsError, match="TEAMS_ALLOW_UNAUTHENTICATED=true with TEAMS_CLIENT_SECRET set"):
        load_settings(_env_file=None, TEAMS_ALLOW_UNAUTHENTICATED="true", TEAMS_CLIENT_SECRET="s3cret")


def test_a_secret_without_a_client_id_is_refused():
    with pytest.raises(SettingsError, match="TEAMS_CLIENT_ID is not"):
        load_settings(_env_file=None, TEAMS_CLIENT_SECRET="s3cret")


def test_teams_is_off_unless_configured():
    assert not load_settings(_env_file=None).teams_enabled
    assert load_settings(_env_file=None, TEAMS_CLIENT_ID="11111111-1111-1111-1111-111111111111").teams_enabled


def test_the_sdks_own_environment_names_are_refused(monkeypatch):
    monkeypatch.setenv("CLIENT_SECRET", "from-the-environment")
    settings = load_settings(_env_file=None, TEAMS_ALLOW_UNAUTHENTICATED="true")
    with pytest.raises(TeamsSetupError, match="CLIENT_SECRET set in the environment"):
        build_teams_app(settings)


def test_unauthenticated_mode_warns_loudly(caplog):
    build_teams_app(load_settings(_env_file=None, TEAMS_ALLOW_UNAUTHENTICATED="true"))
    assert any("NOT authenticated" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


async def test_a_slack_only_bot_has_no_teams_endpoint(bot):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{bot.app_url}/api/messages", json={"type": "message"}) as resp:
            assert resp.status == 404
    assert type(bot.svc.notifier).__name__ == "SlackNotifier"


async def test_jwt_check_is_on_when_configured_with_credentials(fake_slack, tmp_path):
    from tests.harness import running_bot

    overrides = {"TEAMS_CLIENT_ID": "11111111-1111-1111-1111-111111111111", "TEAMS_CLIENT_SECRET": "s3cret"}
    async with running_bot(fake_slack, tmp_path / "bot.db", **overrides) as h:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{h.app_url}/api/messages", json={"type": "message", "text": "42"}) as resp:
                assert resp.status == 401  # no Bearer token: refused before any handler runs


def test_the_cli_refuses_unauthenticated_mode_with_a_secret_in_one_line(monkeypatch, tmp_path, capsys):
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no ./.env, no okrbot.db left behind
    monkeypatch.setenv("TEAMS_ALLOW_UNAUTHENTICATED", "true")
    monkeypatch.setenv("TEAMS_CLIENT_SECRET", "s3cret")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("okrbot: ") and "refusing to start" in err and "s3cret" not in err
