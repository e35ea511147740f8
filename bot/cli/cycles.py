"""`okrbot cycle open|close` (docs/digests.md)."""

import asyncio

from bot.cli.database import with_db


def cycle_command(settings, args) -> int:
    from bot.services.cycles import admin as cycles_admin
    from storage.migrate import upgrade

    upgrade(settings.database_url)
    if args.cycle_command == "close":
        change = asyncio.run(with_db(settings, cycles_admin.close_active))
    else:
        change = asyncio.run(
            with_db(
                settings,
                lambda db: cycles_admin.open_cycle(
                    db, name=args.name, start=args.start, end=args.end, carry_over=args.carry_over
                ),
            )
        )
    print(change.describe())
    return 0
