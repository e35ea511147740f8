"""`okrbot teams manifest|roster`: the Microsoft Teams app package and rosters (docs/teams.md)."""

import asyncio
import sys

from bot.config import SettingsError


def teams_command(settings, args) -> int:
    if args.teams_command == "roster":
        return _teams_roster(settings)
    import json
    from pathlib import Path

    from teams_in.manifest import ManifestError, build_manifest

    try:
        manifest = build_manifest(
            bot_id=settings.teams_client_id or "", base_url=args.base_url, version=args.app_version
        )
    except ManifestError as exc:
        raise SettingsError(str(exc)) from None
    text = json.dumps(manifest, indent=2) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}; zip it with color.png (192x192) and outline.png (32x32) to sideload", file=sys.stderr)
    return 0


def _teams_roster(settings) -> int:
    if not settings.teams_enabled:
        raise SettingsError("Teams is not configured: set TEAMS_CLIENT_ID and TEAMS_CLIENT_SECRET (docs/teams.md)")
    lines = asyncio.run(_read_rosters(settings))
    print("teams roster:")
    for line in lines or ["no team in the OKR file is on Teams (platform: teams)"]:
        print(f"  {line}")
    return 0


async def _read_rosters(settings) -> list[str]:
    from bot.wiring import build_services, close
    from teams_in.roster import read_known_teams

    svc = build_services(settings)
    try:
        return await read_known_teams(svc, svc.notifier.teams_app.api)
    finally:
        await close(svc)
