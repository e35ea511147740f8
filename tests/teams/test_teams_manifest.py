"""`okrbot teams manifest`: a Teams app manifest with the bot, both scopes and the command menu from the catalogue."""

import json
import re
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from handlers import subcommands
from teams_in.catalogue import COMMANDS, MENU
from teams_in.manifest import SCHEMA_VERSION, ManifestError, build_manifest

BOT_ID = "11111111-2222-4333-8444-555555555555"
ROOT = Path(__file__).resolve().parents[2]


def _write(monkeypatch, tmp_path, *args: str) -> int:
    monkeypatch.chdir(tmp_path)  # no ./.env, no okrbot.db left behind
    monkeypatch.setenv("TEAMS_CLIENT_ID", BOT_ID)
    return main(["teams", "manifest", *args])


def test_the_cli_writes_a_manifest_with_the_bot_scopes_and_commands(monkeypatch, tmp_path, capsys):
    assert _write(monkeypatch, tmp_path, "--base-url", "https://okr.acme.test") == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "zip it with color.png" in capsys.readouterr().err
    assert not (tmp_path / "okrbot.db").exists()  # no database needed
    for key in ("$schema", "manifestVersion", "version", "id", "developer", "name", "description", "icons"):
        assert manifest[key], key
    assert manifest["manifestVersion"] == SCHEMA_VERSION and SCHEMA_VERSION in manifest["$schema"]
    assert manifest["id"] == BOT_ID and manifest["validDomains"] == ["okr.acme.test"]
    assert all(url.startswith("https://okr.acme.test") for url in manifest["developer"].values() if "://" in url)
    assert len(manifest["description"]["short"]) <= 80 and len(manifest["description"]["full"]) <= 4000
    assert len(manifest["name"]["short"]) <= 30
    (bot,) = manifest["bots"]
    assert bot["botId"] == BOT_ID and set(bot["scopes"]) == {"personal", "team"}
    assert sorted(s for lst in bot["commandLists"] for s in lst["scopes"]) == ["personal", "team"]
    for command_list in bot["commandLists"]:
        assert [c["title"] for c in command_list["commands"]] == [f"okr {c.name}" for c in MENU]
        assert len(command_list["commands"]) <= 10  # Teams' limit per list
        for command in command_list["commands"]:
            assert 0 < len(command["title"]) <= 32 and 0 < len(command["description"]) <= 128


def test_the_commands_are_slacks_okr_subcommands():
    slack = yaml.safe_load((ROOT / "manifest.yml").read_text())
    (okr,) = slack["features"]["slash_commands"]
    slack_words = set(re.findall(r"[a-z-]+", okr["usage_hint"])) | {s.name for s in subcommands()}
    assert {c.name.lstrip("@") for c in COMMANDS if c.slack} <= slack_words
    assert {c.name for c in COMMANDS if not c.slack} == {"home", "timezone"}  # Teams' stand-ins for Slack's own


def test_stdout_and_refusals(monkeypatch, tmp_path, capsys):
    assert _write(monkeypatch, tmp_path, "--out", "-") == 0
    assert json.loads(capsys.readouterr().out)["id"] == BOT_ID
    monkeypatch.delenv("TEAMS_CLIENT_ID")
    assert main(["teams", "manifest"]) == 2
    assert "TEAMS_CLIENT_ID '' is not the Azure bot's app id" in capsys.readouterr().err
    with pytest.raises(ManifestError, match="is not an https:// URL"):
        build_manifest(bot_id=BOT_ID, base_url="http://okr.acme.test")
    with pytest.raises(ManifestError, match="MAJOR.MINOR.PATCH"):
        build_manifest(bot_id=BOT_ID, base_url="https://okr.acme.test", version="2")
