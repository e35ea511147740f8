"""The Teams app manifest (manifest.json) for `okrbot teams manifest`: the bot, its scopes and its command menu.

The command menu (`commandLists`) comes from teams_in.catalogue (its MENU: at most 10, Teams' limit), the
list the chat router and `okr help` use, whose words are Slack's /okr subcommands (manifest.yml's usage hint;
a test keeps the two in step).
Manifest schema 1.19 (learn.microsoft.com/microsoftteams/platform/resources/schema/manifest-schema).
No SDK import: it runs without loading the Teams SDK.
"""

import re
from urllib.parse import urlsplit

from teams_in.catalogue import MENU

SCHEMA_VERSION = "1.19"
SCHEMA = f"https://developer.microsoft.com/en-us/json-schemas/teams/v{SCHEMA_VERSION}/MicrosoftTeams.schema.json"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
SHORT = "Weekly OKR check-ins, team digests and private review notes."
FULL = (
    "okrbot asks every key-result owner for a weekly check-in at their own local time, in a 1:1 chat. "
    "Answer on the card or in plain words (42, at risk, waiting on legal). Write okr help for the commands, "
    "in the chat or by @mentioning okrbot in a channel. OKRs are visible to everyone; review notes are private "
    "to a person's line managers and HR."
)


class ManifestError(ValueError):
    pass


def _commands() -> list[dict]:
    return [{"title": c.title, "description": c.summary} for c in MENU]


def build_manifest(*, bot_id: str, base_url: str, version: str = "1.0.0") -> dict:
    """The manifest as a dict; ManifestError says what is wrong with an argument."""
    if not GUID.match(bot_id or ""):
        raise ManifestError(f"TEAMS_CLIENT_ID {bot_id!r} is not the Azure bot's app id (a GUID)")
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.hostname:
        raise ManifestError(f"--base-url {base_url!r} is not an https:// URL (Teams requires https)")
    if not SEMVER.match(version):
        raise ManifestError(f"--app-version {version!r} is not MAJOR.MINOR.PATCH")
    site = base_url.rstrip("/")
    return {
        "$schema": SCHEMA,
        "manifestVersion": SCHEMA_VERSION,
        "version": version,
        "id": bot_id,
        "developer": {
            "name": "okrbot",
            "websiteUrl": site,
            "privacyUrl": f"{site}/privacy",
            "termsOfUseUrl": f"{site}/terms",
        },
        "name": {"short": "okrbot", "full": "okrbot: OKR check-ins"},
        "description": {"short": SHORT, "full": FULL},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#2C2D30",
        "bots": [
            {
                "botId": bot_id,
                "scopes": ["personal", "team"],
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [
                    {"scopes": ["personal"], "commands": _commands()},
                    {"scopes": ["team"], "commands": _commands()},
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [parts.hostname],
    }
