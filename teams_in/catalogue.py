"""The Teams text commands: one list for the router, `okr help` and the manifest's command menu.

Plain data with no SDK import, so `okrbot teams manifest` runs without loading the Teams SDK.
The words are Slack's /okr subcommands (manifest.yml's usage hint), typed as `okr <word>` in a chat.
"""

from dataclasses import dataclass

PREFIX = "okr"


@dataclass(frozen=True)
class Command:
    name: str  # the word after "okr"
    usage: str  # e.g. "okr team NAME"
    summary: str  # one line for okr help; the manifest's description (Teams allows 128 characters)
    aliases: tuple[str, ...] = ()
    # False for the Teams-only commands: Slack has its Home tab, and gives okrbot each person's zone itself.
    slack: bool = True
    # False keeps it out of the manifest's command menu (Teams shows at most 10 per menu); typed, it works the same.
    menu: bool = True

    @property
    def title(self) -> str:
        """What the command menu puts in the compose box (Teams allows 32 characters)."""
        return f"{PREFIX} {self.name}"


COMMANDS = (
    Command("mine", "okr mine", "your key results: progress, pacing, confidence"),
    Command("team", "okr team NAME", "a team's objectives and key results (yours if you leave out the name)"),
    Command(
        "at-risk",
        "okr at-risk [team]",
        "key results behind pace or marked at risk / off track (all teams unless you name one)",
        aliases=("atrisk", "risk"),
    ),
    Command("@person", "okr @person", "someone's key results (@mention them, or write their email)"),
    Command("next", "okr next", "when you will next be asked to check in, and about which key results"),
    Command("home", "okr home", "My OKRs: your key results, teams and next check-in, with buttons", slack=False),
    Command(
        "away",
        "okr away until YYYY-MM-DD [delegate @person]",
        "pause your prompts through a date, or hand them to a delegate",
    ),
    Command("back", "okr back", "resume your prompts after okr away"),
    Command(
        "timezone",
        "okr timezone ZONE",
        "set your time zone (e.g. Europe/Berlin) until Teams tells okrbot yours",
        aliases=("tz",),
        slack=False,
    ),
    Command("help", "okr help", "this list of commands"),
    # Off the menu: the menu is full, and only a person's line managers and HR may read their notes.
    Command(
        "notes", "okr notes @person [cycle]", "review notes about someone (their line managers and HR)", menu=False
    ),
)
MENU = tuple(c for c in COMMANDS if c.menu)  # the manifest's commandLists
PERSON = "@person"  # not a typed word: a mention or an email after "okr" (teams_in.commands routes it)
