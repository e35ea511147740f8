"""The test harness builds Settings from explicit values only: no ./.env, no developer environment."""

from tests import harness


class _Fake:
    token = "xoxb-test"
    base_url = "http://127.0.0.1:9/api/"


def test_harness_settings_ignore_dotenv_and_environment(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("SLACK_APP_TOKEN=xapp-from-dotenv\nLOG_LEVEL=DEBUG\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-from-environment")
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    settings = harness.test_settings(_Fake(), tmp_path / "x.db")
    assert settings.slack_app_token is None and settings.log_level == "INFO"
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
